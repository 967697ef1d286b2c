"""The manifest beside a latent-space table (an interpolation, analogues, a push): what made it, written alike by
`molgen latent ... -o` and the Latent page's downloads, so a file read later says its seed, targets and model."""

from __future__ import annotations

import time
from pathlib import Path


def model_provenance(checkpoint: Path | str) -> dict:
    """The graph VAE's file and checksum, read once per result (a checkpoint is megabytes)."""
    from molgen.data.moses import sha256_of

    return {"checkpoint": str(checkpoint), "sha256": sha256_of(Path(checkpoint))}


def latent_manifest(*, command: str, settings: dict, given: dict, model: dict, file: str, sha256: str,
                    rows: int, created: str | None = None) -> dict:
    """``file``'s manifest: the ``command`` (or page) that made it, the ``settings`` that applied, the molecules
    ``given`` as typed and as encoded, the ``model`` (:func:`model_provenance`), the file's checksum, the versions;
    ``created``: when the table was made (now, if not given: a page draws its download later)."""
    from molgen.runs.generate import package_versions
    from molgen.scoring.similarity import SIMILARITY_MEASURE

    return {"latent": {"command": command, "settings": settings, "given": given,
                       "created": created or time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                       # what tanimoto_to_seed and tanimoto_to_start were computed on (a review found it nowhere)
                       "similarity": SIMILARITY_MEASURE},
            "model": model, "output": {"file": file, "sha256": sha256, "rows": rows},
            "versions": package_versions()}
