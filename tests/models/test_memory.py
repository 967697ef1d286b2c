"""The allocator setting of ``molgen.models.memory``: applied on glibc, switched off by the environment.

Each case runs in a child process, since the setting is process-wide and lasts for the process."""

import os
import platform
import subprocess
import sys

import pytest

PROBE = ("from molgen.models.memory import keep_freed_memory; "
         "print(keep_freed_memory(), keep_freed_memory())")


def _probe(switch: str | None) -> str:
    environment = {k: v for k, v in os.environ.items() if k != "MOLGEN_KEEP_FREED_MEMORY"}
    if switch is not None:
        environment["MOLGEN_KEEP_FREED_MEMORY"] = switch
    done = subprocess.run([sys.executable, "-c", PROBE], env=environment, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the thresholds are glibc's")
def test_thresholds_are_raised_on_glibc_and_the_answer_kept():
    assert _probe(None) == "True True"


def test_the_environment_switches_it_off():
    assert _probe("0") == "False False"


def test_loading_a_checkpoint_applies_it(tmp_path):
    # a load, even one that fails, sets the allocator before any tensor work (None: never asked)
    code = ("from molgen.models.base import load_checkpoint, CheckpointError; import molgen.models.memory as m\n"
            "before = m._applied\n"
            f"try:\n    load_checkpoint({str(tmp_path / 'missing.pt')!r})\nexcept CheckpointError:\n    pass\n"
            "print(before, m._applied)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    expected = "True" if platform.libc_ver()[0] == "glibc" else "False"
    assert done.stdout.strip() == f"None {expected}"
