import shutil
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from molgen import __version__
from molgen.cli import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_version_from_the_installed_console_script():
    script = Path(sys.executable).parent / "molgen"
    command = [str(script)] if script.exists() else [shutil.which("molgen")]
    out = subprocess.run(command + ["--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"molgen {__version__}"


def test_data_list_shows_both_datasets():
    result = run("data", "list")
    assert result.exit_code == 0
    assert "moses-sample" in result.output and "moses" in result.output


def test_data_info_prints_split_sizes():
    result = run("data", "info", "moses-sample")
    assert result.exit_code == 0, result.output
    assert "5,000" in result.output and "1,000" in result.output


def test_data_info_of_unfetched_moses_says_how_to_fetch():
    result = run("data", "info", "moses")
    assert result.exit_code == 1
    assert "molgen data fetch moses" in result.output


def test_unknown_dataset_exits_2_with_the_known_names():
    result = run("data", "info", "zinc")
    assert result.exit_code == 2 and "moses-sample" in result.output


def test_fetch_with_a_corrupted_wheel_fails_cleanly(tmp_path):
    wheel = tmp_path / "molsets-0.3.1-py3-none-any.whl"
    wheel.write_bytes(b"corrupted")
    result = run("data", "fetch", "moses", "--wheel", str(wheel))
    assert result.exit_code == 1
    assert "fetch failed" in result.output and "sha256" in result.output


def test_featurize_reports_graphs_and_atom_types():
    result = run("data", "featurize", "moses-sample", "--split", "test")
    assert result.exit_code == 0, result.output
    assert "1,000 graphs, 0 failures" in result.output and "atom types: C, N, O" in result.output
