import hashlib
import zipfile

import pytest

from molgen.data import moses
from molgen.data.moses import ChecksumError, DownloadError, FetchError, fetch_moses, load_moses_split, moses_file


@pytest.mark.network
def test_real_fetch_gives_the_published_split_sizes(fetched_moses):
    assert moses.is_fetched()
    sizes = {split: len(load_moses_split(split)) for split in moses.SPLITS}
    assert sizes == {"train": 1_584_663, "test": 176_074, "test_scaffolds": 176_225}
    assert load_moses_split("test")[0] == "CC1C2CCC(C2)C1CN(CCO)C(=O)c1ccc(Cl)cc1"
    stats = moses.load_moses_fcd_stats("test")
    assert stats["mu"].shape == (512,) and stats["sigma"].shape == (512, 512)


@pytest.mark.network
def test_a_corrupted_cached_file_is_detected(fetched_moses):
    path = moses_file("test_scaffolds")
    original = path.read_bytes()
    try:
        path.write_bytes(original[:-10] + b"\x00" * 10)  # same size, different content
        with pytest.raises(ChecksumError, match="test_scaffolds.csv.gz"):
            load_moses_split("test_scaffolds")
    finally:
        path.write_bytes(original)
    assert len(load_moses_split("test_scaffolds")) == 176_225


def test_a_corrupted_wheel_is_refused(tmp_path, empty_cache):
    wheel = tmp_path / moses.WHEEL_FILENAME
    wheel.write_bytes(b"PK\x03\x04 this is not the molsets wheel")
    with pytest.raises(ChecksumError, match="does not match the expected"):
        fetch_moses(wheel)
    assert not moses.is_fetched()


def test_a_wheel_path_that_is_no_file_is_said(tmp_path, empty_cache, monkeypatch):
    with pytest.raises(FetchError, match=r"--wheel .*nope.whl: no such file"):   # it was a FileNotFoundError traceback
        fetch_moses(tmp_path / "nope.whl")
    monkeypatch.setenv("MOLGEN_MOSES_WHEEL", str(tmp_path / "gone.whl"))
    with pytest.raises(FetchError, match=r"MOLGEN_MOSES_WHEEL .*gone.whl: no such file"):
        fetch_moses()


def test_a_corrupted_member_is_refused_and_nothing_is_left_behind(tmp_path, monkeypatch, empty_cache):
    # A wheel whose own hash is accepted but whose data file differs from the known one.
    wheel = tmp_path / "fake.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for entry in moses.FILES.values():
            archive.writestr(entry.member, b"SMILES\nCCO\n")
    monkeypatch.setattr(moses, "WHEEL_SHA256", hashlib.sha256(wheel.read_bytes()).hexdigest())
    with pytest.raises(ChecksumError, match="moses/dataset/data/train.csv.gz"):
        fetch_moses(wheel)
    assert not any(moses.moses_dir().iterdir())  # no partial file, no unverified file


def test_missing_data_says_how_to_fetch(empty_cache):
    with pytest.raises(FileNotFoundError, match="molgen data fetch moses"):
        load_moses_split("test")


def test_download_failure_is_a_download_error(monkeypatch, tmp_path):
    monkeypatch.setattr(moses, "WHEEL_REQUIREMENT", "molsets==0.0.0.999")
    with pytest.raises(DownloadError, match="molsets==0.0.0.999"):
        moses.download_wheel(tmp_path)
