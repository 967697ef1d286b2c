"""A file of generated molecules read and measured as MOSES measures samples: `molgen evaluate FILE` and the
Compare page's uploaded file.

Every row is a sample: a blank line below the header is an empty sample (invalid, as MOSES counts ''), a record the
reader could not read is invalid and named by its line; the rows measured are all, the first n, or n drawn at
random. :func:`read_samples` reads (and says what it noticed before the minutes the metrics take);
:func:`evaluate_samples` measures.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd


@dataclass
class SamplesFile:
    """The samples of a file, the rows chosen, in file order."""

    smiles: list[str]
    lines: list[int]                 # the file line of each, to name an invalid one
    rows: int                        # every sample the file holds (blank lines counted)
    rows_used: str                   # how the rows were chosen: "all", "the first 1,000", "1,000 drawn at random ..."
    blank: list[int]                 # blank lines counted as empty samples
    unreadable: list[tuple[int, str]]   # (line, why) of records not read as a molecule
    run_export: bool                 # a run's export (ranked, filtered molecules), not raw samples
    notes: list[str] = field(default_factory=list)   # what reading noticed, said before the metrics
    smiles_column: str | None = None   # the column read as the molecules (a table's); None for .smi and SDF
    place: str = "line"              # what a sample's number counts: a text file's lines, a Parquet file's rows


def evaluated_rows(total: int, first: int | None, sample: int | None, seed: int) -> tuple[list[int], str]:
    """The rows of ``total`` to evaluate (in file order) and how they were chosen, in words."""
    wanted = first if first is not None else sample
    if wanted is None or wanted >= total:
        return list(range(total)), "all"
    if first is not None:
        return list(range(first)), f"the first {first:,}"
    picked = np.sort(np.random.default_rng(seed).choice(total, size=sample, replace=False))
    return picked.tolist(), f"{sample:,} drawn at random, seed {seed}"


def is_run_export(path: Path, frame: pd.DataFrame) -> bool:
    """Whether a samples file is a run's export (ranked, filtered molecules), not raw samples: its manifest
    says so, or, without one, its columns (rank, score and molecule_id, and no valid column, which molgen score
    writes)."""
    manifest = Path(f"{path}.manifest.json")
    if manifest.is_file():
        try:
            return "run" in json.loads(manifest.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            pass
    # molgen export's own columns: a chemist's ranked file (rank, score) is no run's export without molecule_id
    return {"rank", "score", "molecule_id"} <= set(frame.columns) and "valid" not in frame.columns


def read_samples(path: Path, *, smiles_column: str | None = None, first: int | None = None,
                 sample: int | None = None, seed: int = 0) -> SamplesFile:
    """The samples of ``path`` (``read_molecules``'s formats; its ``FileFormatError`` or ``FileNotFoundError``
    raised), the rows ``first`` or ``sample`` choose (:func:`evaluated_rows`), with what reading noticed."""
    from molgen.data.files import detect_format, read_molecules, reading_notes

    frame = read_molecules(path, smiles_column=smiles_column)
    # a blank line below the header is an empty sample, invalid, as MOSES counts '' (a generator writing one
    # sample a line wrote nothing there): between records, and first or last too (skipping it raised validity),
    # but not one a comment sets apart (under a '# model X' header it formats the header)
    blank = frame.attrs.get("empty_sample_lines", [])
    counted = set(blank)   # said below as what evaluate makes of them; one a comment sets apart is skipped, and said
    frame.attrs["blank_lines"] = [line for line in frame.attrs.get("blank_lines", []) if line not in counted]
    notes = reading_notes(frame)
    by_line = sorted([(line, text) for line, text in zip(frame["line"], frame["smiles"].fillna("").astype(str))]
                     + [(line, "") for line in blank])
    if blank:
        shown = ", ".join(map(str, blank[:10])) + (f" and {len(blank) - 10:,} more" if len(blank) > 10 else "")
        notes.append(f"{len(blank):,} blank line{'s' * (len(blank) != 1)} (line{'s' * (len(blank) != 1)} {shown}) "
                     f"counted as {'empty samples' if len(blank) != 1 else 'an empty sample'}, invalid, as MOSES "
                     "counts an empty string")
    # a record the reader could not read (an SDF block without its end, a pentavalent carbon) is an invalid
    # sample: counted, and said with its line and why
    unreadable = [(int(line), str(why)) for line, why in zip(frame["line"], frame["read_error"]) if why]
    if unreadable:
        shown = "; ".join(why if f"line {line}" in why else f"line {line}: {why}" for line, why in unreadable[:5]) + \
            (f"; and {len(unreadable) - 5:,} more" if len(unreadable) > 5 else "")
        notes.append(f"{len(unreadable):,} record{'s' * (len(unreadable) != 1)} not read as a molecule, counted "
                     f"invalid ({shown})")
    chosen, how = evaluated_rows(len(by_line), first, sample, seed)
    return SamplesFile(smiles=[by_line[i][1] for i in chosen], lines=[by_line[i][0] for i in chosen],
                       rows=len(by_line), rows_used=how, blank=list(blank), unreadable=unreadable,
                       run_export=is_run_export(path, frame), notes=notes,
                       smiles_column=frame.attrs.get("smiles_column"),
                       # a Parquet file has no lines: its numbers are rows, from 1 (a review read "line 2" of one)
                       place="row" if detect_format(path) == "parquet" else "line")


def name_invalid_lines(metrics: dict, lines: list[int], said_before: set[int], place: str = "line") -> None:
    """A file's invalid samples named by file line (in ``metrics["invalid_samples"]``, under ``line``, and a note,
    as ``place``: a Parquet file's are rows); the blank lines and unreadable records, said already
    (``said_before``), are counted but not named again."""
    for entry in metrics["invalid_samples"]:
        entry["line"] = lines[entry.pop("position")]
    unsaid = metrics["n"] - metrics["n_valid"] - sum(line in said_before for line in lines)
    # those with text first: an empty cell says less than what a model wrote
    named = sorted((entry for entry in metrics["invalid_samples"] if entry["line"] not in said_before),
                   key=lambda entry: (not entry["smiles"].strip(), entry["line"]))[:5]
    if unsaid > 0:
        shown = "; ".join(f"{place} {e['line']}: {e['reason']}" for e in named) or "not listed"
        metrics["notes"].append(f"{unsaid:,} sample{'s' * (unsaid != 1)} not a molecule, counted invalid ({shown}"
                                f"{f'; and {unsaid - len(named):,} more' if named and unsaid > len(named) else ''})")


def evaluate_samples(samples: SamplesFile, reference, *, file: str, sha256: str, train=None, kl_reference=None,
                     first: int | None = None, keep_properties: bool = False, progress: bool = False,
                     n_jobs: int | None = None) -> dict:
    """:func:`molgen.metrics.evaluate` of ``samples`` against ``reference`` (and ``train`` for novelty), its invalid
    samples named by line, its ``input`` recorded (``file`` as the reader knows it, its ``sha256``); a run's export
    is said to describe that run's selection, not its model's samples."""
    from molgen.metrics import evaluate

    metrics = evaluate(samples.smiles, reference, train=train, kl_reference=kl_reference,
                       keep_properties=keep_properties, progress=progress, n_jobs=n_jobs)
    name_invalid_lines(metrics, samples.lines, said_before={*samples.blank, *(line for line, _ in samples.unreadable)},
                       place=samples.place)
    unread = dict(samples.unreadable)
    for entry in metrics["invalid_samples"]:   # the reader's reason, not "empty SMILES" (an SDF record it could not read)
        if entry["line"] in unread:
            entry["reason"] = unread[entry["line"]]
        elif entry["line"] in samples.blank:
            entry["reason"] = "blank line: an empty sample"
    metrics["input"] = {"file": file, "sha256": sha256, "rows": samples.rows, "used": len(samples.smiles),
                        "rows_used": samples.rows_used, "blank_lines_counted_invalid": samples.blank,
                        # which column was measured, where a table holds several SMILES-like ones (a review)
                        "smiles_column": samples.smiles_column,
                        "unreadable_records": [{"line": line, "why": why} for line, why in samples.unreadable]}
    if samples.run_export:
        # its molecules were kept valid, unique and meeting the run's conditions, and are in rank order
        metrics["notes"] = [*metrics["notes"],
                            "a run's export: its molecules were kept valid, unique and meeting the run's conditions "
                            "before they reached it, so validity, uniqueness and the distribution metrics describe "
                            "that selection, not the model's samples (`molgen evaluate --run RUN` measures all of a "
                            "run's molecules)" + (f"; -n took its first {first:,} rows, its best ranked"
                                                  if first is not None else "")]
    return metrics
