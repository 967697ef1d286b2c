"""How each synthetic row was made: the columns every augmentation output carries, and the
manifest written beside an output file (the command's settings, the input's checksum, the
guard that was applied, the counts and the package versions)."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pandas as pd

#: Columns every synthetic row has, whatever the method.
PROVENANCE_COLUMNS = ("smiles", "method", "seed_smiles", "params", "checkpoint")


def params_text(params: dict) -> str:
    """Parameters as sorted JSON, so equal settings read the same in every row."""
    return json.dumps(params, sort_keys=True)


def reason_counts(removed: pd.DataFrame) -> dict[str, int]:
    """How many rows were removed for each kind of reason (the text before its first colon)."""
    if not len(removed):
        return {}
    counts = removed["removed_because"].astype(str).str.split(":").str[0].value_counts()
    return {str(reason): int(count) for reason, count in counts.items()}


def write_manifest(output: str | Path, *, command: str, settings: dict, input_path: str | Path, guard, rows: int,
                   removed, report: str | Path) -> Path:
    """``OUTPUT.manifest.json``, written atomically: what made ``output`` and what was taken out.

    ``guard`` is the :class:`~molgen.augment.guards.Guard` applied (its held-out sets by name and
    size, thresholds, alerts and rules); ``removed`` the removal table (counted by reason)."""
    from molgen.data.files import write_json
    from molgen.runs.generate import package_versions

    output, input_path = Path(output), Path(input_path)
    manifest = {
        "augment": {"command": command, "settings": settings, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")},
        "input": {"file": str(input_path), "sha256": hashlib.sha256(input_path.read_bytes()).hexdigest()},
        "guard": {"held_out": [{"name": r.name, "molecules": len(r.canonical)} for r in guard.held_out],
                  "near_duplicate": guard.near_duplicate, "alerts": list(guard.alerts), "rules": list(guard.rules)},
        "output": {"file": output.name, "rows": int(rows), "removed": int(len(removed)), "report": Path(report).name,
                   "removed_by_reason": reason_counts(removed)},
        "versions": package_versions(),
    }
    return write_json(manifest, output.with_name(output.name + ".manifest.json"))
