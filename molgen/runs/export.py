"""Export a run's ranked candidates as CSV, TSV, SDF or Parquet, with a provenance manifest beside the file.

``FILE.manifest.json`` holds the run's record (model, checkpoint sha256, seed, conditions,
profile, versions, counts) and the export's own filters (``top``, ``diverse``, ``where``) and
row count, so an exported set can always be traced to how it was made. Both files are written
atomically: a temporary name, then a rename.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pandas as pd

from molgen.data.files import FileFormatError, check_writable, detect_format
from molgen.data.with_manifest import WriteError, write_with_manifest
from molgen.runs.conditions import has_conditions
from molgen.runs.row_filter import filter_rows
from molgen.runs.store import RunStore, passes_hard_filters
from molgen.scoring.alerts import explained_alert_names
from molgen.scoring.similarity import SIMILARITY_MEASURE

FORMATS = ("csv", "tsv", "sdf", "parquet")
_INTERNAL = ("id", "run_id", "meets_conditions", "failed_conditions")


class ExportError(ValueError):
    """An export that cannot be made as asked (bad filter expression, unknown format)."""


def _columns_by_any_case(expression: str, columns: list[str]) -> str:
    """``expression`` with each name that is a column in another case (``QED``, ``logP``) spelt as the column
    is, in backticks too (`` `QED` ``). Only those names change, in place: strings, numbers, operators and a
    name after a dot (``smiles.str.contains``, ``qed.rank``) are left exactly as written. An expression that
    does not tokenize is returned as given, for the query to report."""
    import io
    import tokenize

    by_lower = {c.lower(): c for c in columns}
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(expression).readline))
    except (tokenize.TokenError, SyntaxError):
        return expression
    line_starts = [0]
    for line in expression.splitlines(keepends=True):
        line_starts.append(line_starts[-1] + len(line))
    changes, previous = [], None
    for token in tokens:
        if (token.type == tokenize.NAME and token.string not in columns and token.string.lower() in by_lower
                and not (previous is not None and previous.string == ".")):
            (row, col), (end_row, end_col) = token.start, token.end
            changes.append((line_starts[row - 1] + col, line_starts[end_row - 1] + end_col, by_lower[token.string.lower()]))
        previous = token
    for begin, finish, column in reversed(changes):
        expression = expression[:begin] + column + expression[finish:]
    return expression


#: Names chemists use for molgen's columns, for the filter's suggestion.
_COLUMN_SYNONYMS = {"molwt": "mw", "mol_wt": "mw", "molecular_weight": "mw", "weight": "mw", "clogp": "logp",
                    "alogp": "logp", "slogp": "logp", "psa": "tpsa", "donors": "hbd", "acceptors": "hba",
                    "rotb": "rotatable_bonds", "rotatable": "rotatable_bonds", "sascore": "sa", "sa_score": "sa"}


def _closest_column(error: Exception, columns: list[str]) -> str:
    """'; did you mean ...?' for an unknown name in a filter, when a column is close to it or it is another
    name for one (molwt, clogP); otherwise a full stop."""
    import difflib
    import re

    unknown = re.search(r"name '([^']+)' is not defined", str(error))
    if unknown is None:
        return "."
    name = unknown.group(1).lower()
    if _COLUMN_SYNONYMS.get(name) in columns:
        return f"; did you mean {_COLUMN_SYNONYMS[name]!r}?"
    close = difflib.get_close_matches(name, columns, n=1)
    return f"; did you mean {close[0]!r}?" if close else "."


#: Comparison signs as typeset ("≤"), read as Python's.
MATH_COMPARISONS = str.maketrans({"≤": "<=", "≥": ">=", "≠": "!=", "⩽": "<=", "⩾": ">="})


def select_candidates(store: RunStore, run: str, *, top: int | None = None, diverse: float | None = None,
                      where: str | None = None, selected_only: bool = False, passing_only: bool = False,
                      include_unranked: bool = False, tagged: str | None = None) -> pd.DataFrame:
    """The ranked candidates of ``run`` after the export filters, best first.

    Args:
        where: a filter over any column, as pandas' query writes one (``"qed > 0.6 and alerts == 0"``), read and
            run by :mod:`molgen.runs.row_filter`.
        diverse: skip a molecule more similar than this (Morgan Tanimoto) to a better one kept.
        top: keep the best ``top`` after the other filters.
        selected_only: only the candidates a user selected (in the app or ``RunStore.set_selected``),
            ranked or not: a molecule picked by hand is exported even if it missed a condition (no rank: an empty cell).
        passing_only: leave out the molecules failing the profile's hard filters (score 0, ranked last), which
            ``top`` would otherwise reach once it passes the molecules that pass.
        include_unranked: the molecules that missed a condition too (no rank, after the ranked ones, each saying
            which it missed): the model's whole output, not only the ranked set.
        tagged: only the candidates carrying this tag (the whole tag), ranked or not, as ``selected_only``.
    """
    if top is not None and top < 1:
        raise ExportError(f"top (--top) must be at least 1, got {top}")   # said to the API and the command alike
    tagged = tagged.strip() if isinstance(tagged, str) else tagged
    if tagged is not None and (not tagged or "," in tagged):   # tags are stored joined by commas
        raise ExportError(f"tagged (--tagged) names one tag, not {tagged!r}: give the tag whose molecules to export")
    by_hand = selected_only or tagged is not None   # a molecule picked or tagged by hand, ranked or not
    frame = store.candidates(run, ranked_only=not (by_hand or include_unranked), tagged=tagged)
    if selected_only:
        frame = frame[frame["selected"].fillna(False).astype(bool)]
    if passing_only:
        frame = frame[passes_hard_filters(frame)]
    if "rank" in frame.columns:   # before any filter: "rank <= 5" must not keep the unranked (the store's 0)
        frame = frame.assign(rank=unranked_empty(frame["rank"]))
    frame = frame.assign(molecule_id=molecule_ids(frame))   # before the filter, which may name it
    where = where.strip() if isinstance(where, str) else where   # a filter of spaces alone is no filter
    if where:
        columns = [c for c in frame.columns if c not in ("id", "run_id")]
        # "mw ≤ 400" as a paper (or a Markdown page showing "<=") writes it
        expression = _columns_by_any_case(where.translate(MATH_COMPARISONS), columns)
        # a column this run never filled (graph diffusion gives no log-likelihood) would keep no row, in silence
        empty = [c for c in columns if len(frame) and frame[c].isna().all() and c != "failed_conditions"
                 and re.search(rf"\b{re.escape(c)}\b", expression)]
        if empty == ["rank"]:
            raise ExportError(f"cannot apply the filter {where!r}: no molecule of these is ranked (each missed a "
                              "condition), so a filter on rank keeps none")
        if empty:
            raise ExportError(f"cannot apply the filter {where!r}: {empty[0]} has no value in this run (its model gives "
                              "none), so a filter on it keeps no molecule")
        # a comparison's number written with a comma ("qed > 0,6" is qed > (0, 6)); "rank in [1,2]" is a list
        if decimal_comma := re.search(r"[<>=]\s*(-?\d+,\d+)(?![\d,])(?!\s*[,\]])", expression):
            raise ExportError(f"cannot apply the filter {where!r}: write a decimal point, not a comma "
                              f"({decimal_comma.group(1).replace(',', '.')})")
        # an empty cell reads as missing, as the file gives it (a molecule with no alert has no alert_names)
        empty_text = re.search(r"(\w+)\s*(==|!=)\s*(''|\"\")(?!['\"])", expression) or \
            re.search(r"(?<!['\"])(''|\"\")\s*(==|!=)\s*(\w+)", expression)   # either way round
        if empty_text:
            column, sign = (empty_text.group(1), empty_text.group(2)) if empty_text.group(1)[0] not in "'\"" else \
                (empty_text.group(3), empty_text.group(2))
            raise ExportError(f"cannot apply the filter {where!r}: an empty cell reads as missing, as in the file; "
                              f"write {column}.{'isna' if sign == '==' else 'notna'}()")
        if re.search(r"\brank\s*(==|<=|<)\s*0\b", expression):
            raise ExportError(f"cannot apply the filter {where!r}: a molecule that missed a condition has no rank (an "
                              "empty cell, not 0); rank.isna() selects them (with --include-unranked, or on the "
                              "Export page \"Also the molecules that missed a condition\")")
        # read as the file gives the rows: a molecule that missed no condition, failed no filter or raised no alert
        # has an empty cell, which isna() selects in the file as in pandas, Excel or KNIME (a review: text columns
        # other than failed_conditions kept "" and isna() selected none)
        readable = frame.assign(**{column: frame[column].replace("", None) for column in frame.columns
                                   if not pd.api.types.is_numeric_dtype(frame[column])})
        try:   # read and run here, never by pandas' query: the web app takes a filter from a link (row_filter)
            frame = frame.loc[filter_rows(readable, expression)]
        except Exception as error:  # noqa: BLE001 -- a column's test may raise its own (a number compared with text)
            # a FilterError says it in a chemist's words; a column's own test that failed (text compared with a
            # number) as it was raised
            # the columns the file holds: not a model's empty one, nor the condition columns of a run without any
            # (a review: log_likelihood was listed for graph diffusion)
            listed = [c for c in columns if not (len(frame) and frame[c].isna().all()) and not (
                c in ("meets_conditions", "failed_conditions") and not has_conditions(store.run(run)["conditions"]))]
            raise ExportError(f"cannot apply the filter {where!r}: {str(error).rstrip('.')}{_closest_column(error, listed)} "
                              f"Columns: {', '.join(listed)}") from None
    if diverse is not None:
        from molgen.chem.parse import to_mol
        from molgen.scoring.diversity import diverse_top
        from molgen.scoring.similarity import morgan_fingerprint

        if not 0 <= diverse <= 1:
            raise ExportError(f"diverse (--diverse) must lie in [0, 1], got {diverse}")
        fingerprints = [morgan_fingerprint(to_mol(s)) for s in frame["smiles"]]
        frame = frame.iloc[diverse_top(fingerprints, range(len(frame)), top or len(frame), diverse)]
    if top is not None:
        frame = frame.head(top)
    internal = _INTERNAL
    if has_conditions(store.run(run)["conditions"]) or ("meets_conditions" in frame.columns
                                       and not frame["meets_conditions"].fillna(False).astype(bool).all()):
        # a run with conditions writes whether each molecule met them, and which it missed, whatever the rows: its
        # exports share their columns (a script joining them), and a molecule that missed one says which
        internal = tuple(c for c in _INTERNAL if c not in ("meets_conditions", "failed_conditions"))
    # a model that gives no log-likelihood (graph diffusion) leaves the column empty: not written
    unmeasured = [c for c in ("log_likelihood",) if c in frame.columns and len(frame) and frame[c].isna().all()]
    frame = frame.drop(columns=[c for c in internal if c in frame.columns] + unmeasured).reset_index(drop=True)
    return frame[_reading_order(list(frame.columns))]


def unranked_empty(rank: pd.Series) -> pd.Series:
    """A rank column as a file gives it: the store's 0 for "not ranked" (missed a condition, or not a molecule)
    as an empty cell, so that a sheet sorted by rank puts those rows last, not above rank 1."""
    numbers = pd.to_numeric(rank, errors="coerce").astype("Int64")
    return numbers.mask(numbers == 0)


def molecule_ids(frame: pd.DataFrame) -> pd.Series:
    """Each candidate's stable identifier, for registration tools and an SDF's title line: the run's id and the
    candidate's number in the store (``20261204-171501-8049f6-000123``), the same in every export of the run
    whatever its filters, and unchanged by a resume (ranks move; this does not)."""
    if not len(frame):
        return pd.Series([], dtype=object, index=frame.index)
    return frame["run_id"].astype(str) + "-" + frame["id"].astype(int).map("{:06d}".format)


def _reading_order(columns: list[str]) -> list[str]:
    """Columns as a chemist reads a ranked set: rank, SMILES, score and the similarity to a reference; the
    properties; novelty, alerts, filters and rules; the desirabilities; then where each molecule came from
    (chunk, origin, log-likelihood, ...), the store's tags and selection last."""
    from molgen.scoring.properties import PROPERTIES

    first = [c for c in ("rank", "smiles", "score", "similarity_to_reference") if c in columns]
    first += [c for c in ("molecule_id",) if c in columns]   # after what is read first, before the properties
    properties = [c for c in PROPERTIES if c in columns and c not in first]
    judged = [c for c in ("novel", "alerts", "alert_names", "passes_filters", "failed_filters", "meets_conditions",
                          "failed_conditions") if c in columns]
    judged += [c for c in columns if c.endswith(("_pass", "_violations")) and c not in judged]
    desirabilities = [c for c in columns if c.startswith("d_")]
    placed = set(first + properties + judged + desirabilities + ["tags", "selected"])
    provenance = [c for c in columns if c not in placed]
    return first + properties + judged + desirabilities + provenance + [c for c in ("tags", "selected") if c in columns]


def failing_hard_filters(frame: pd.DataFrame) -> int:
    """How many ranked rows of an export fail the profile's hard filters (score 0, ranked last), as the run counts
    them: a molecule that missed a condition (rank 0, exported with --include-unranked) is not among them."""
    if "passes_filters" not in frame.columns:
        return 0
    failing = ~passes_hard_filters(frame)
    if "meets_conditions" in frame.columns:   # present only where some row missed a condition
        failing &= frame["meets_conditions"].fillna(False).astype(bool)
    return int(failing.sum())


def picked_by_hand(store: RunStore, run: str, selected_only: bool, tagged: str | None) -> tuple[int, str]:
    """How many of a run's molecules an export limited to those picked by hand (selected, tagged) starts from,
    before its other filters, and those words ("selected and tagged 'hinge'"), for saying why it wrote none."""
    tagged = tagged.strip() if isinstance(tagged, str) else tagged   # as select_candidates matches it
    words = " and ".join(["selected"] * selected_only + ([f"tagged {tagged!r}"] if tagged else []))
    if not words:
        return 0, ""
    return store.count(run, ranges={"selected": (1, 1)} if selected_only else None, tagged=tagged or None), words


def export_run(store: RunStore, run: str, path: str | Path, *, format: str | None = None, top: int | None = None,
               diverse: float | None = None, where: str | None = None, selected_only: bool = False,
               passing_only: bool = False, include_unranked: bool = False, tagged: str | None = None) -> Path:
    """Write the filtered ranked set to ``path`` (format from ``format`` or the suffix) and its manifest."""
    return export_with_manifest(store, run, path, format=format, top=top, diverse=diverse, where=where,
                                selected_only=selected_only, passing_only=passing_only,
                                include_unranked=include_unranked, tagged=tagged)[0]


def export_with_manifest(store: RunStore, run: str, path: str | Path, *, format: str | None = None,
                         top: int | None = None, diverse: float | None = None, where: str | None = None,
                         selected_only: bool = False, passing_only: bool = False,
                         include_unranked: bool = False, tagged: str | None = None) -> tuple[Path, dict]:
    """:func:`export_run`, returning the manifest written with the file too: read back from disk, it may be another
    export's, written under the same name since."""
    path = Path(path)
    where = (where.strip() or None) if isinstance(where, str) else where   # spaces alone are no filter
    tagged = tagged.strip() if isinstance(tagged, str) else tagged   # the manifest records the tag as matched
    if str(path) == "-" or (path.exists() and not path.is_file() and not path.is_dir()):   # /dev/stdout, a pipe
        # an export is a file and the manifest beside it: --format csv wrote /dev/stdout.csv (a review)
        raise ExportError(f"{path}: an export is written to a file, with its manifest beside it, not to "
                          f"{'standard output' if str(path) == '-' else 'a device or a pipe'}: name the file to write")
    if path.is_dir():   # "cannot tell the format" misled (a review), and --format wrote a file beside the folder
        named = path / f"candidates.{format or 'csv'}"
        raise ExportError(f"{path} is a folder: name the file to write, e.g. {named}")
    try:
        suffix_format = detect_format(path)
    except FileFormatError:
        suffix_format = None
    if format is not None:
        if format not in FORMATS:
            raise ExportError(f"unknown export format {format!r}; use {', '.join(FORMATS)}")
        if suffix_format is not None and suffix_format != format:   # out.csv written as SDF would mislead every reader
            raise ExportError(f"{path.name} is named as {suffix_format}, but the format asked for is {format}: name it "
                              f"{path.stem}.{format}, or leave the format out (it is taken from the name)")
        if suffix_format is None:   # results, results.txt: the name gets the format's ending
            path = path.with_name(path.name + f".{format}")
    elif suffix_format not in FORMATS:
        raise ExportError(f"{path}: cannot tell the format from the name; end it in .csv, .tsv, .sdf or .parquet or "
                          "give --format")
    if not path.parent.is_dir():
        raise ExportError(f"{path}: the folder {path.parent} does not exist; create it or choose another path")
    try:
        check_writable(path)   # e.g. best.sdf.gz: readable, not writable
    except FileFormatError as error:
        raise ExportError(str(error)) from None
    record = store.run(run)
    frame = select_candidates(store, record["id"], top=top, diverse=diverse, where=where, selected_only=selected_only,
                              passing_only=passing_only, include_unranked=include_unranked, tagged=tagged)

    left_out = never_exported(store, record["id"], include_unranked or selected_only or tagged is not None)

    def manifest_of(sha256: str) -> dict:
        return _manifest(frame, path.name, sha256, record, format or suffix_format, top=top, diverse=diverse,
                         where=where, selected_only=selected_only, passing_only=passing_only,
                         include_unranked=include_unranked, tagged=tagged, left_out=left_out)

    try:
        return path, write_with_manifest(frame, path, manifest_of)
    except WriteError as error:
        raise ExportError(str(error)) from None


def never_exported(store: RunStore, run_id: str, unranked_taken: bool) -> dict[str, int]:
    """What of a run no row of this export can hold, whatever its filters (a review: "wrote 35 candidates" of 36
    samples, without a word of the one that was no molecule): the samples the run did not keep as molecules (no
    molecule, or one it refuses: ``molgen runs rejects``), and, unless taken (``unranked_taken``), the molecules that
    missed a condition (no rank)."""
    out = {"samples_not_molecules": sum(store.reject_kinds(run_id).values())}   # counted in SQL: the page reruns
    if not unranked_taken:
        # counted as missed, not as unranked: a run still sampling has ranked nothing yet (a code review)
        out["missed_a_condition"] = store.count(run_id, ranges={"meets_conditions": (0, 0)})
    return out


def never_exported_said(left_out: dict[str, int], rejects_where: str, unranked_how: str) -> list[str]:
    """:func:`never_exported`'s counts in words, one phrase each that is not 0: ``rejects_where`` says where the
    samples that were no molecule are listed, ``unranked_how`` how to add the molecules that missed a condition (the
    command line's flags, the page's names for them)."""
    invalid, missed = left_out["samples_not_molecules"], left_out.get("missed_a_condition", 0)
    said = []
    if invalid:
        said.append(f"{invalid:,} sample{'s' * (invalid != 1)} the run did not keep as "
                    f"{'molecules' if invalid != 1 else 'a molecule'} ({rejects_where})")
    if missed:
        said.append(f"{missed:,} molecule{'s' * (missed != 1)} that missed a condition ({unranked_how})")
    return said


def _manifest(frame: pd.DataFrame, name: str, sha256: str, record: dict, fmt: str, **options) -> dict:
    """An export's manifest: the file (``name``, its ``sha256``), the options that chose its rows, the run whole."""
    from molgen.runs.generate import filtered_only   # generate imports this module

    return {
        # the file's checksum: a copy passed on can be checked against the manifest that describes it
        "export": {"file": name, "sha256": sha256, "format": fmt, "rows": len(frame),
                   "columns": list(frame.columns), **options,
                   "failing_hard_filters": failing_hard_filters(frame), "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                   # the similarity condition, the similarity columns and --diverse all use this fingerprint
                   "similarity": SIMILARITY_MEASURE,
                   **({"alert_names_explained": explained_alert_names(frame["alert_names"])}
                      if "alert_names" in frame else {})},
        # times as the export's own reads (ISO, local offset), not seconds since 1970; beside what the model steered
        # (native), the property conditions, scaffold and reference the filter alone met ("range qed", "scaffold"; a
        # review found only native, {}, for a scaffold the VAE cannot hold); avoided groups are always the filter's
        "run": {**record, **{key: time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(record[key]))
                             for key in ("created", "updated") if isinstance(record.get(key), (int, float))},
                "met_by_the_filter_alone": filtered_only(record)},
    }
