"""What a fine-tuned model's samples show, measured once it is trained and kept in its card.

A fine-tune's validation loss says how well the model predicts its series, not what a chemist gets from it.
Past a few dozen passes a model mostly writes its series back (``benchmarks/fine_tuning.py``: 16% copies after
50 passes, 96% after 400). So the card says, from a seeded sample: validity as sampled (nothing corrected),
distinct molecules, the share of valid samples that copy a training molecule, how many held-out series members
the model found, how many new molecules it wrote, and how many of those keep a ring system (Murcko scaffold)
of the series. The same for every model family: a SMILES model sampled at temperature 1, a graph model with its
own sampling defaults (the VAE valid by construction, diffusion as sampled).
"""

from __future__ import annotations

from typing import Sequence

from molgen.chem.parse import canonical_smiles
from molgen.chem.rdkit_log import quiet_rdkit
from molgen.data.splits import murcko_scaffold


def series_scaffolds(smiles) -> set[str]:
    """The ring systems (Murcko scaffolds) of a series' molecules; an acyclic molecule has none."""
    return {murcko_scaffold(s) for s in smiles} - {"", None}


def on_scaffolds(smiles: Sequence[str], scaffolds: set[str]) -> list[bool]:
    """For each of ``smiles``, whether its ring system is one of ``scaffolds``."""
    return [murcko_scaffold(s) in scaffolds for s in smiles]


def measure_fine_tune(model, training: Sequence[str], held_out: Sequence[str], n: int = 1000, seed: int = 0,
                      known: frozenset[str] | set[str] = frozenset(),
                      learned_before: frozenset[str] | set[str] | None = frozenset(),
                      sampling: dict | None = None, validity_note: str = "as sampled, no correction") -> dict:
    """``n`` samples of ``model`` (``seed``; ``sampling``: options of its ``sample``, e.g. a SMILES model's
    temperature, else its defaults) against the molecules it was fine-tuned on
    (``training``) and the series members it was validated on (``held_out``); ``known``: the rest of the series'
    file in canonical forms (rows a --where left out), not new either, and whose ring systems are the series'.
    ``learned_before``: the molecules of the model it started from (MOSES for a shipped one), not new either (a
    sample writing one back is no new idea); None when they cannot be read here, and the card says new counts
    against the series alone."""
    with quiet_rdkit():
        taught = {c for c in map(canonical_smiles, training) if c}
        kept_apart = {c for c in map(canonical_smiles, held_out) if c} - taught
        samples = [canonical_smiles(s.smiles) if s.smiles else None for s in model.sample(n, seed=seed, **(sampling or {}))]
        valid = [s for s in samples if s]
        distinct = set(valid)
        new = {s for s in distinct - taught - kept_apart - set(known) if s not in (learned_before or ())}   # no copy of MOSES
        on_scaffold = sum(on_scaffolds(sorted(new), series_scaffolds(taught | kept_apart | set(known))))
    return {"samples": n, "seed": seed, **(sampling or {}),
            "valid": round(len(valid) / n, 4) if n else None,
            "distinct_valid": len(distinct),
            "training_copies": round(sum(1 for s in valid if s in taught) / len(valid), 4) if valid else None,
            "held_out_found": len(distinct & kept_apart), "held_out": len(kept_apart),
            "new_molecules": len(new),
            "new_on_series_scaffold": round(on_scaffold / len(new), 4) if new else None,
            "new_means": ("in neither the series nor the data of the model it started from" if learned_before is not None
                          else "not in the series (the data of the model it started from is not found here)"),
            "validity_note": validity_note}


#: The sampling options a report line names beside its seed.
SAMPLING_SAID = ("temperature", "steps")


def report_line(metrics: dict) -> str:
    """The measurement in one sentence, as training prints it."""
    how = "".join(f", {key} {metrics[key]:g}" for key in SAMPLING_SAID if key in metrics)
    said = (f"{metrics['samples']:,} samples (seed {metrics['seed']}{how}): {metrics['valid']:.0%} valid, "
            f"{metrics['distinct_valid']:,} distinct")
    if metrics["training_copies"] is not None:
        said += f"; {metrics['training_copies']:.0%} of the valid ones copy a training molecule"
    if metrics["held_out"]:
        said += f"; {metrics['held_out_found']} of {metrics['held_out']} held-out series members found"
    said += f"; {metrics['new_molecules']:,} new molecules"
    if metrics["new_on_series_scaffold"] is not None:
        said += f", {metrics['new_on_series_scaffold']:.0%} of them on a ring system of the series"
    return said
