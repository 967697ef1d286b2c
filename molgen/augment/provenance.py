"""How each synthetic row was made: the columns every augmentation output carries, and the
manifest written beside an output file (the command's settings, the input's checksum, the
guard that was applied, the counts and the package versions)."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Sequence

import pandas as pd

#: Columns every synthetic row has, whatever the method.
PROVENANCE_COLUMNS = ("smiles", "method", "seed_smiles", "params", "checkpoint")


def params_text(params: dict) -> str:
    """Parameters as sorted JSON, so equal settings read the same in every row."""
    return json.dumps(params, sort_keys=True)


def _reason_kinds(removed: pd.DataFrame) -> pd.Series:
    """Each removed row's kind of reason: the text before its first colon ("leak", "invalid", ...)."""
    return removed["removed_because"].astype(str).str.split(":").str[0]


def reason_counts(removed: pd.DataFrame) -> dict[str, int]:
    """How many rows were removed for each kind of reason (the text before its first colon)."""
    if not len(removed):
        return {}
    return {str(reason): int(count) for reason, count in _reason_kinds(removed).value_counts().items()}


def reason_lines(removed: pd.DataFrame) -> list[str]:
    """Each kind of reason with its count, as said to a chemist: where the rows removed for it are spellings
    (enumerate's), also how many input records they came from, so "leak 20" is not read as 20 compounds."""
    lines, kinds = [], _reason_kinds(removed) if len(removed) else None
    for reason, count in reason_counts(removed).items():
        these = removed[kinds == reason]
        spelled = "method" in these and (these["method"] == "enumerate").all() and "input_row" in these
        records = these["input_row"].nunique() if spelled else count
        lines.append(f"{count:,} {reason}" + (f" (spellings of {records:,} input record{'s' if records != 1 else ''})"
                                               if records != count else ""))
    return lines


def reason_first(removed: pd.DataFrame) -> pd.DataFrame:
    """The removal report with ``removed_because`` right after ``smiles``: the reason beside the molecule, not
    after a dozen provenance and input columns."""
    if "removed_because" not in removed.columns:
        return removed
    order = [c for c in ("smiles", "removed_because") if c in removed.columns]
    return removed[order + [c for c in removed.columns if c not in order]]


def build_manifest(*, command: str, settings: dict, input_name: str, input_sha256: str, guard, rows: int, removed,
                   output_name: str, report_name: str, output_sha256: str | None = None,
                   report_sha256: str | None = None) -> dict:
    """What made an augmentation output and what was taken out, as a manifest.

    ``guard`` is the :class:`~molgen.augment.guards.Guard` applied (its held-out sets by name, size and a
    checksum of their molecules, thresholds, alerts and rules); ``removed`` the removal table (counted by
    reason); ``output_sha256`` and ``report_sha256`` the written files' checksums, where they were written."""
    from molgen.runs.generate import package_versions
    from molgen.scoring.similarity import SIMILARITY_MEASURE

    files = {"sha256": output_sha256, "report_sha256": report_sha256} if output_sha256 else {}
    return {
        # the similarity an analogue window and the near-duplicate guard read
        "augment": {"command": command, "settings": settings, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    "similarity": SIMILARITY_MEASURE},
        "input": {"file": input_name, "sha256": input_sha256},
        # a held-out set's molecules checksummed as canonical SMILES, sorted: the same set whether it came from a
        # file (in any spelling or order) or a dataset split, so an audit can tell which test set guarded the output
        "guard": {"held_out": [{"name": r.name, "molecules": len(r.canonical), "canonical_sha256": _molecules_sha256(r)}
                               for r in guard.held_out],
                  "near_duplicate": guard.near_duplicate, "alerts": list(guard.alerts), "rules": list(guard.rules)},
        "output": {"file": output_name, "rows": int(rows), "removed": int(len(removed)), "report": report_name,
                   **files, "removed_by_reason": reason_counts(removed)},
        "versions": package_versions(),
    }


def _molecules_sha256(reference) -> str:
    """The held-out molecules' checksum: each distinct canonical SMILES once, sorted (a file listing one twice, or
    in another order or spelling, is the same held-out set)."""
    return hashlib.sha256("\n".join(sorted(set(reference.canonical))).encode()).hexdigest()


def write_manifest(output: str | Path, *, command: str, settings: dict, input_path: str | Path, guard, rows: int,
                   removed, report: str | Path, beside: Sequence[str | Path] = ()) -> Path:
    """``OUTPUT.manifest.json`` (:func:`build_manifest`), written atomically beside ``output``, with the
    checksums of the input, the output, the removal report and each file of ``beside`` (balance's histogram)."""
    from molgen.data.files import write_json
    from molgen.data.with_manifest import manifest_path_of
    from molgen.data.moses import sha256_of

    output, input_path, report = Path(output), Path(input_path), Path(report)
    manifest = build_manifest(command=command, settings=settings, input_name=str(input_path),
                              input_sha256=sha256_of(input_path), guard=guard, rows=rows, removed=removed,
                              output_name=output.name, report_name=report.name, output_sha256=sha256_of(output),
                              report_sha256=sha256_of(report))
    if beside:
        manifest["output"]["beside"] = [{"file": Path(path).name, "sha256": sha256_of(Path(path))} for path in beside]
    return write_json(manifest, manifest_path_of(output))


def read_errors(frame: pd.DataFrame) -> dict[int, str]:
    """Why the reader could not read a record (a truncated SDF record), by 1-based input row: a removal gives that
    reason (:func:`with_read_errors`), not the "empty SMILES" the missing structure reads as."""
    return {row: str(error) for row, error in enumerate(frame.get("read_error", []), start=1)
            if isinstance(error, str) and error}


def with_read_errors(removed: pd.DataFrame, errors: dict[int, str] | None) -> pd.DataFrame:
    """``removed`` with each unread input row's reason the reader's (:func:`read_errors`)."""
    if not errors or not len(removed) or "input_row" not in removed:
        return removed
    unread = removed["input_row"].map(errors)
    if not unread.notna().any():
        return removed
    removed = removed.copy()
    removed.loc[unread.notna(), "removed_because"] = "invalid input: " + unread[unread.notna()]
    return removed


def _input_rows(columns: pd.DataFrame, rows_1based: pd.Series) -> pd.DataFrame:
    """The input's rows at 1-based positions (missing or empty positions give empty rows). By position, whatever
    ``columns``'s index: a filtered table (``series[series.pIC50 > 5]``) keeps its old labels, and a lookup by label
    put each label on another molecule."""
    position = pd.to_numeric(rows_1based, errors="coerce") - 1
    joined = columns.reset_index(drop=True).reindex(position.fillna(-1).astype(int).to_numpy()).reset_index(drop=True)
    for at, dtype in enumerate(columns.dtypes):   # a row with no input (balance's) would turn line 3 into 3.0
        if pd.api.types.is_integer_dtype(dtype) and not isinstance(dtype, pd.api.extensions.ExtensionDtype):
            joined.isetitem(at, joined.iloc[:, at].astype("Int64"))
    return joined


def with_input_columns(rows: pd.DataFrame, columns: pd.DataFrame | None) -> pd.DataFrame:
    """``rows`` with the input's other columns (ids, activities) joined on ``input_row`` (1-based), so an id or an
    activity follows each synthetic row made from it; a name the rows already use becomes input_<name>, as does
    the reader's ``line`` (the file line its record starts on, beside ``input_row``, the record's number). They
    come right after ``smiles``, where a chemist looks for them, before the provenance columns."""
    if columns is None or columns.empty or "input_row" not in rows.columns or not len(columns.columns):
        return rows
    # the reader's line is input_line (the line of the file given, as the README says); a file's column of a name the
    # rows use (method, seed_smiles), or named input_line itself (its own "line", read back), moves aside to
    # input_<name>, then input_input_<name> while taken; the other columns keep their names: the same whatever
    # their order
    from molgen.data.files import input_name

    reader_line = "line" in columns.columns
    clashing = [c for c in columns.columns if c in rows.columns or (reader_line and c == "input_line")]
    taken = set(rows.columns) | {c for c in columns.columns if c not in clashing and c != "line"}
    renamed = {"line": "input_line"} if reader_line else {}
    taken |= set(renamed.values())
    for column in clashing:
        renamed[column] = input_name(taken, column)
        taken.add(renamed[column])
    columns = columns.rename(columns=renamed)
    joined = _input_rows(columns, rows["input_row"])
    rows = rows.reset_index(drop=True)
    first = [c for c in ("smiles",) if c in rows.columns]
    return pd.concat([rows[first], joined, rows.drop(columns=first)], axis=1)


def with_seed_columns(rows: pd.DataFrame, columns: pd.DataFrame | None) -> pd.DataFrame:
    """Analogue rows with their seed's input columns joined on ``seed_row`` (1-based), each named seed_<name>,
    right after ``seed_row``: an analogue of compound ASP-1 says so (``seed_id``), and the seed's activity is
    labelled as the seed's, not taken for the analogue's own."""
    if columns is None or "seed_row" not in rows.columns:
        return rows
    columns = columns.drop(columns="line", errors="ignore")   # the seed's file line says nothing of the analogue
    if not len(columns.columns):
        return rows
    joined = _input_rows(columns.add_prefix("seed_"), rows["seed_row"])
    rows = rows.reset_index(drop=True)
    at = list(rows.columns).index("seed_row") + 1
    return pd.concat([rows.iloc[:, :at], joined, rows.iloc[:, at:]], axis=1)
