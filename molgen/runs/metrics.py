"""A stored run measured with the MOSES metrics: what `molgen evaluate --run` prints and Compare tabulates.

A run keeps each valid molecule once, in sampling order, its conditions met or not; it does not keep its repeats
or the strings that were no molecule. So validity and uniqueness come from the run's tally of every sample, the
distribution metrics from its distinct molecules, and novelty from each measured molecule's own mark (against
its model's training data, a fine-tune's series included), unless a training set is given to measure it against.
"""

from __future__ import annotations

from typing import Sequence

from molgen.metrics import evaluate
from molgen.runs.conditions import ConditionFilter, conditions_from_dict
from molgen.runs.generate import validity_note
from molgen.runs.notes import trained_on
from molgen.runs.store import RunStore


def measure_run(store: RunStore, record: dict, rows: Sequence[int] | None = None, *, reference="moses",
                train=None, own_novelty: bool = True, kl_reference: Sequence[str] | None = None,
                keep_properties: bool = False, progress: bool = False, n_jobs: int | None = None) -> dict:
    """:func:`molgen.metrics.evaluate` of a stored run's distinct valid molecules (``rows``: positions among them
    in sampling order; all by default), with ``valid`` from its tally of every sample, ``unique@k`` not measured
    (None), and notes saying so. ``Novelty``: against ``train`` when given; else the measured molecules' own marks
    (``own_novelty``), or not measured."""
    rows = None if rows is None else list(rows)
    # only as far into the run as the rows measured reach (Compare measures the first 10,000 of a larger run)
    stored = store.candidates(record["id"], order_by="id", columns=["smiles", "novel"],
                              **({"limit": max(rows) + 1} if rows else {}))
    chosen = stored if rows is None else stored.iloc[rows]
    metrics = evaluate(chosen["smiles"].tolist(), reference, train=train, kl_reference=kl_reference,
                       keep_properties=keep_properties, progress=progress, n_jobs=n_jobs)
    tally = store.tally(record["id"], record["n_requested"])   # as stored now: a run still sampling too
    sampled, valid, unique = tally["sampled"], tally["valid"], tally["unique"]
    # unique@k is not measured, so not explained; what the rest is computed on is said below, of the run
    notes = [note for note in metrics["notes"] if not note.startswith(("unique@", "computed on:"))]
    metrics["valid"] = valid / sampled if sampled else None   # in full, as a file's is (the tally rounds for show)
    # n, n_valid and n_unique count the distinct molecules measured (what FCD and the rest are of); valid is
    # n_valid_sampled / n_sampled, the whole run's tally, each number in the JSON for a script to divide
    metrics.update(n_sampled=sampled, n_valid_sampled=valid, n_unique_sampled=unique)
    metrics.pop("invalid_samples", None)   # its molecules are all valid: what was not is in the run's rejects
    for key in [k for k in metrics if k.startswith("unique@")]:
        metrics[key] = None
    if sampled:
        notes.append(f"valid: {valid:,} of the run's {sampled:,} samples ({validity_note(record, tally)}), of the whole run "
                     f"however many of its molecules were measured; {unique:,} of those distinct "
                     f"({unique / valid if valid else 0:.4f}). "
                     "The run keeps each molecule once, so unique@k is not measured and the distribution metrics "
                     f"describe the {len(chosen):,} distinct molecules measured (MOSES counts a repeat in them as "
                     "often as it was sampled)")
    if train is None and own_novelty and len(chosen):
        marks = chosen["novel"]
        known = bool(marks.notna().all())
        metrics["Novelty"] = float(marks.astype(bool).mean()) if known else None
        notes.append(f"novelty: the run's own, of the molecules measured, against its model's training data "
                     f"({trained_on(record)})" if known else
                     "novelty: not known (the model's training data could not be read when the run ran); a training "
                     "set given to measure against measures it")
    if described := "; ".join(ConditionFilter(conditions_from_dict(record["conditions"] or {})).describe()):
        notes.append(f"sampled under conditions ({described}): its molecules, those missing a condition included, "
                     "describe the model's samples under them, not its prior")
    if record["status"] != "complete":
        notes.append(f"the run is {record['status'].replace('_', ' ')}: measured as it stood, {sampled:,} samples "
                     "taken")
    metrics["notes"] = notes
    metrics["input"] = {"run": record["id"], "name": record["name"], "checkpoint": record["checkpoint"],
                        "checkpoint_sha256": record["checkpoint_sha256"], "seed": record["seed"],
                        "status": record["status"], "rows": tally["unique"], "used": len(chosen)}
    return metrics
