"""A molecule table and the manifest that describes it, written as a pair (``molgen export``, ``molgen score``).

The manifest carries the checksum of the file as written, so a copy passed on can be checked against it. Neither name
ever holds one write's half beside another's: the manifest is staged from the complete file, the earlier manifest
removed just before the file takes its name, then the manifest renamed into place, all under a lock on the folder.
A kill between the renames leaves the new file without a manifest, never beside an earlier one.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from molgen.data import files
from molgen.data.moses import sha256_of

MANIFEST_SUFFIX = ".manifest.json"


class WriteError(Exception):
    """A pair that could not be written; the message says what the failure left under the two names."""


def manifest_path_of(path: str | Path) -> Path:
    path = Path(path)
    return path.with_name(path.name + MANIFEST_SUFFIX)


def write_with_manifest(frame: pd.DataFrame, path: str | Path, manifest_of: Callable[[str], dict],
                        **write_options) -> dict:
    """Write ``frame`` to ``path`` (:func:`molgen.data.files.write_molecules`, ``write_options`` passed on) and
    ``manifest_of(sha256 of the file)`` beside it as ``PATH.manifest.json``; returns the manifest written.

    :class:`WriteError` when the pair cannot be written, saying what is left: the earlier pair whole; the earlier
    file with its manifest removed; or the new file without a manifest."""
    path = Path(path)
    manifest_path = manifest_path_of(path)
    if manifest_path.is_dir():   # found before the file is written, not after: it would be left without its manifest
        raise WriteError(f"{manifest_path} is a folder: the manifest cannot be written there")
    if files.write_protected(manifest_path):   # the pair is replaced together or not at all
        raise WriteError(f"{manifest_path} is write-protected (remove its protection to replace it, or choose another "
                         "name); nothing was written")
    # a name of its own: two writers of one name, where no folder lock can be had, do not share a temporary file
    staged = files.partial_name(manifest_path)
    manifest: dict = {}
    phase = "writing"   # how far the write got, to say what a failure left

    def stage_manifest(written: Path) -> None:
        nonlocal phase
        manifest.update(manifest_of(sha256_of(written)))
        files.write_json(manifest, staged)
        manifest_path.unlink(missing_ok=True)
        phase = "renaming"

    with folder_lock(path.parent):
        had_manifest = manifest_path.exists()
        try:
            files.write_molecules(frame, path, before_replace=stage_manifest, **write_options)
            phase = "manifest"
            os.replace(staged, manifest_path)
        except (OSError, files.FileFormatError) as error:   # a full disk, the folder gone meanwhile
            earlier = f"the earlier {path.name}" + (" and its manifest" if had_manifest else "")
            left = {"writing": f"{earlier} {'are' if had_manifest else 'is'} as {'they were' if had_manifest else 'it was'}",
                    "renaming": f"the earlier {path.name} is as it was" + (", its manifest removed" if had_manifest else ""),
                    "manifest": f"{path.name} is written, without its manifest"}[phase]
            said = left if phase == "manifest" or path.exists() else "nothing was written"
            if isinstance(error, files.FileFormatError):   # its message names the file
                raise WriteError(f"{error}; {said}") from None
            # a temporary file is named as the file it was for
            written = manifest_path if str(getattr(error, "filename", None) or "").startswith(str(manifest_path)) else path
            raise WriteError(f"writing {written} failed ({getattr(error, 'strerror', None) or error}); {said}") from None
        finally:
            staged.unlink(missing_ok=True)   # staged for a file that did not take its name, or stopped by Ctrl-C
    return manifest


@contextmanager
def folder_lock(folder: Path):
    """One pair at a time is written into ``folder`` (an advisory lock on the folder itself, so no lock file is left
    behind): a file and its manifest are two renames, and two writers of one name would interleave them. Where no
    such lock can be had (no fcntl, a folder that cannot be read, NFS), it writes without one."""
    try:
        import fcntl
    except ImportError:
        fcntl = None
    handle = None
    if fcntl is not None:
        try:
            handle = os.open(folder, os.O_RDONLY)
            fcntl.flock(handle, fcntl.LOCK_EX)
        except OSError:
            if handle is not None:
                os.close(handle)
            handle = None
    try:
        yield
    finally:
        if handle is not None:
            os.close(handle)   # closing releases the lock
