"""Scoring a chemist's file: the table `molgen score` writes and the workbench's Score page shows.

:func:`score_read_molecules` scores what :func:`molgen.data.files.read_molecules` read, every row kept (a record the
reader could not read keeps its reason), in the order a chemist reads a sheet; :func:`with_picks` adds the diverse
best; :func:`scoring_manifest` is what the table's manifest holds. The notes are plain sentences, the caller's hint
(a flag, a toggle) passed in, so the command line and the page say the same thing in their own words.
"""

from __future__ import annotations

import time

import pandas as pd

from molgen.scoring.profiles import ScoringProfile

#: The verdict columns, after the molecule and the file's own columns.
VERDICT = ["rank", "score", "passes_filters", "failed_filters", "duplicate", "duplicate_of_line", "fragments"]


def score_read_molecules(frame: pd.DataFrame, profile: ScoringProfile, *, largest_fragment: bool = False,
                         n_jobs: int | None = None) -> pd.DataFrame:
    """``frame`` (read by ``read_molecules``: smiles, line, read_error and the file's own columns) scored with
    ``profile``: the input, valid, reason and smiles, the file's own columns (its line, ids, labels), the verdict
    (:data:`VERDICT`), then every property. A repeated molecule names the file line that first held it
    (``duplicate_of_line``), which a chemist can look up; a record the reader could not read keeps its reason."""
    from molgen.data.files import input_name
    from molgen.scoring.pipeline import mixtures_said_elsewhere, score, windows_out_of_reach, windows_said_elsewhere

    with mixtures_said_elsewhere(), windows_said_elsewhere():
        # the caller says the salts, with its own way to score their parents, and a window out of reach (its notes)
        scored = score(frame.drop(columns=["read_error"]).assign(smiles=frame["smiles"].fillna("")), profile,
                       n_jobs=n_jobs, smiles_column="smiles", largest_fragment=largest_fragment)
    window_notes = windows_out_of_reach(scored, profile)
    unread = frame["read_error"].notna().to_numpy()
    scored.loc[unread, "reason"] = frame.loc[unread, "read_error"].to_numpy()
    first = scored["duplicate_of"]
    if "duplicate_of_line" in scored.columns:   # a scored file scored again: its own column, kept as the input's
        scored = scored.rename(columns={"duplicate_of_line": input_name(set(scored.columns), "duplicate_of_line")})
    scored.insert(list(scored.columns).index("duplicate_of"), "duplicate_of_line",
                  pd.array([frame["line"].iat[int(i)] if pd.notna(i) else None for i in first], dtype="Int64"))
    scored = scored.drop(columns="duplicate_of")
    given = [c for c in frame.columns if c not in ("smiles", "read_error")]   # the reader's line and the file's own
    # by position: a file may repeat a column's name (two "id" columns), which selecting by name would double
    columns = list(scored.columns)
    own = list(range(len(columns) - len(given), len(columns)))                 # score() puts them last, in order
    head = [columns.index(c) for c in ("input", "valid", "reason", "smiles")] + own + \
           [columns.index(c) for c in VERDICT]
    scored = scored.iloc[:, head + [i for i in range(len(columns)) if i not in head]]
    # the file's own columns as named in the table (one clashing with a score's, "score", reads input_score)
    scored.attrs["own_columns"] = [str(columns[i]) for i in own if columns[i] != "line"]
    scored.attrs["window_notes"] = window_notes
    return scored


def with_picks(scored: pd.DataFrame, top: int | None, diverse: float | None, passing_only: bool,
               leave_out: str = "--passing-only leaves them out") -> tuple[pd.DataFrame, str, bool]:
    """``scored`` with a ``pick`` column beside ``rank``: the diverse best
    (:func:`~molgen.scoring.select.select_diverse_top`) numbered 1..N in rank order, empty for every other row, so the
    table keeps every row and its order; with a sentence saying how many were picked, and whether that fell short
    of ``top`` (and why)."""
    from molgen.data.files import input_name
    from molgen.scoring import select_diverse_top

    wanted = top if top is not None else len(scored)
    picked = select_diverse_top(scored, wanted, 1.0 if diverse is None else diverse, passing_only=passing_only) \
        if len(scored) else scored.iloc[:0]
    pick = pd.Series(pd.NA, index=scored.index, dtype="Int64")
    pick.loc[picked.index] = range(1, len(picked) + 1)
    kept_as = input_name(set(scored.columns), "pick")
    scored = scored.rename(columns={"pick": kept_as})   # a file picked before: its own pick column kept apart
    if "own_columns" in scored.attrs:
        scored.attrs["own_columns"] = [kept_as if c == "pick" else c for c in scored.attrs["own_columns"]]
    scored.insert(list(scored.columns).index("rank") + 1, "pick", pick)
    failed = 0 if passing_only else int((~picked["passes_filters"].fillna(True).astype(bool)).sum())
    # a review: --top 50 picked two molecules that fail the hard filters, unsaid
    failing = (f"; {failed:,} of them {'fail' if failed != 1 else 'fails'} the profile's hard filters (score 0): "
               f"{leave_out}") if failed else ""
    if top is not None and len(picked) < top:
        passing = " passing the hard filters" if passing_only else ""
        apart = f" and no more similar than {diverse:g} to a better one picked" if diverse is not None else ""
        return scored, (f"picked {len(picked):,} of the {top:,} asked for: no other distinct valid molecule"
                        f"{passing}{apart}{failing}"), True
    return scored, f"picked {len(picked):,} (column pick){failing}", False


def scoring_manifest(scored: pd.DataFrame, *, input_file: str, input_sha256: str, output_name: str, sha256: str,
                     profile: ScoringProfile, settings: dict, blank_lines=(), command: str = "molgen score") -> dict:
    """What a scored table's manifest holds: what scored it (the input's checksum, the profile whole, the settings,
    the versions) and what came of it (the table's checksum and counts); ``molgen score --profile`` reads the
    profile back from it."""
    from molgen.runs.generate import package_versions
    from molgen.scoring.alerts import explained_alert_names

    invalid = scored.loc[~scored["valid"], "reason"].fillna("").str.split(":").str[0]
    return {
        "score": {"command": command, "settings": settings, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")},
        "input": {"file": input_file, "sha256": input_sha256, "blank_lines_skipped": list(blank_lines)},
        "profile": profile.to_dict(),
        "alert_names_explained": explained_alert_names(scored.loc[scored["valid"], "alert_names"]),
        "output": {"file": output_name, "sha256": sha256, "rows": len(scored), "valid": int(scored["valid"].sum()),
                   "invalid_by_reason": {k: int(v) for k, v in invalid.value_counts().items()},
                   "duplicates": int(scored["duplicate"].sum()),
                   "passing_hard_filters": int((scored["valid"] & scored["passes_filters"].fillna(False)).sum()),
                   **({"picked": int(scored["pick"].notna().sum())} if "pick" in scored.columns else {})},
        "versions": package_versions(),
    }


def summary(scored: pd.DataFrame) -> str:
    """"52 rows (49 valid, 3 invalid, 2 duplicates)"."""
    valid = int(scored["valid"].sum())
    duplicates = int(scored["duplicate"].sum())
    return (f"{len(scored):,} row{'s' * (len(scored) != 1)} ({valid:,} valid, {len(scored) - valid:,} invalid, "
            f"{duplicates:,} duplicate{'s' * (duplicates != 1)})")


def hard_filter_note(scored: pd.DataFrame) -> str | None:
    """How many valid molecules fail the profile's hard filters (they score 0 and rank last), or None."""
    failing = int((scored["valid"] & ~scored["passes_filters"].fillna(True).astype(bool)).sum())
    if not failing:
        return None
    return (f"{failing:,} {'fails' if failing == 1 else 'fail'} the profile's hard filters (score 0, ranked after "
            "every molecule that passes; column failed_filters says which)")


def mixture_note(scored: pd.DataFrame, largest_fragment: bool, how_to_score_parents: str) -> str | None:
    """What became of the salts and mixtures (rows of more than one fragment): scored by their parent, or whole,
    with ``how_to_score_parents`` (``--largest-fragment scores the parent molecule``) said."""
    mixtures = int((scored["fragments"] > 1).sum())
    if not mixtures:
        return None
    if largest_fragment:   # what each became: a parent, an ion alone (no organic part: NaCl), or left whole
        return parents_note(scored[(scored["fragments"] > 1).fillna(False)])
    return (f"{mixtures:,} {'rows are salts or mixtures' if mixtures != 1 else 'row is a salt or mixture'} (column "
            f"fragments > 1): each is scored whole, counter-ions included; {how_to_score_parents}")


def parents_note(mixtures: pd.DataFrame) -> str:
    """What ``--largest-fragment`` made of ``mixtures`` (scored rows of more than one fragment), counted as it
    happened: a review was told all 6 were scored by a neutral organic parent, and iron(II) acetate stayed whole
    while NaCl became [Cl-]."""
    from molgen.chem.counterions import is_organic
    from molgen.chem.parse import to_mol

    smiles = mixtures["smiles"].fillna("")
    whole = smiles.str.contains(".", regex=False)
    ionic = [not w and bool(s) and ((mol := to_mol(s)) is None or not is_organic(mol)) for s, w in zip(smiles, whole)]
    places = mixtures["line"] if "line" in mixtures else mixtures.index + 1

    def where(mask) -> str:
        lines = [str(p) for p, m in zip(places, mask) if m]
        return f"line {', '.join(lines[:5])}{' ...' if len(lines) > 5 else ''}"
    parents = len(mixtures) - int(whole.sum()) - sum(ionic)
    said = [f"{parents:,} salt{'s' * (parents != 1)} or mixture{'s' * (parents != 1)} (column fragments > 1) "
            f"{'were' if parents != 1 else 'was'} scored by the parent (the largest organic fragment by heavy atoms "
            "that is no known counter-ion, neutralized)"] if parents else []
    if any(ionic):
        said.append(f"{sum(ionic):,} {'hold' if sum(ionic) != 1 else 'holds'} no organic fragment and "
                    f"{'were' if sum(ionic) != 1 else 'was'} scored as the largest inorganic one ({where(ionic)})")
    if whole.any():
        said.append(f"{int(whole.sum()):,} {'were' if whole.sum() != 1 else 'was'} scored whole, no fragment being a "
                    f"parent apart from known counter-ions ({where(whole)})")
    return "; ".join(said)


def uncharged_counter_ions_note(mixtures: pd.DataFrame, how_to_score_parents: str) -> str | None:
    """Of ``mixtures`` (scored rows of more than one fragment), those that write a salt's metal without its charge
    (``[Na]``, :func:`~molgen.scoring.alerts.uncharged_counter_ions`), a radical to RDKit: which lines, what came of
    them (a radical alert, a failed hard filter) and how to score them (a review: a sodium salt so written ranked
    beside cisplatin, unexplained). None when no row does."""
    from molgen.chem.parse import to_mol
    from molgen.scoring.alerts import uncharged_counter_ions

    rows = mixtures[[(mol := to_mol(smiles)) is not None and bool(uncharged_counter_ions(mol))
                     for smiles in mixtures["smiles"]]]
    if rows.empty:
        return None
    where = rows["line"] if "line" in rows else rows.index + 1   # a file's line; a list's position
    lines = [str(line) for line in where]
    flagged = rows["alert_names"].fillna("").str.contains("radicals:", regex=False) if "alert_names" in rows else None
    failing = ~rows["passes_filters"].fillna(True).astype(bool) if "passes_filters" in rows else None
    came = ("the radicals alert is on " + ("it" if len(rows) == 1 else f"{int(flagged.sum()):,} of them")
            if flagged is not None and flagged.any() else "")
    if failing is not None and failing.any():
        failed = int(failing.sum())
        came += (", and " if came else "") + ("it fails" if len(rows) == 1 else f"{failed:,} fail{'s' * (failed == 1)}") \
            + " the profile's hard filters (score 0)"
    return (f"{len(rows):,} {'rows write' if len(rows) != 1 else 'row writes'} a salt's metal without its charge "
            f"([Na] for [Na+]; line {', '.join(lines[:10])}{' ...' if len(lines) > 10 else ''}): RDKit reads the lone "
            "metal as a radical" + (f" ({came})" if came else "") + f"; write the ion pair ([O-] ... [Na+]), or "
            f"{how_to_score_parents}")
