"""How each synthetic row was made: the columns every augmentation output carries."""

from __future__ import annotations

import json

#: Columns every synthetic row has, whatever the method.
PROVENANCE_COLUMNS = ("smiles", "method", "seed_smiles", "params", "checkpoint")


def params_text(params: dict) -> str:
    """Parameters as sorted JSON, so equal settings read the same in every row."""
    return json.dumps(params, sort_keys=True)
