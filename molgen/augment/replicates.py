"""Replicate measurements merged: one row per compound, each label aggregated, its spread and its values kept.

A series exported from an assay database holds one row per measurement: a compound tested three times is three
rows, often with three different pIC50s, and a salt and its free base are two registrations of one compound.
Trained on as they stand, such rows weigh a compound by how often it was tested and put contradicting labels on
one molecule. Merging them first is ordinary curation; this module does it without hiding what it did: every
merged row says how many rows it came from (``n_rows``, ``input_rows``), each label's values and spread, and the
compounds whose replicates disagree by more than ``max_spread`` are marked (``<label>_disagree``), not averaged away.

A value written with a qualifier (``>10``, ``<=5``: outside the assay's range) is not a number to average: it is
listed apart (``<label>_qualified``) and counted in the note; a compound with only qualified values has none.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd
from rdkit import Chem

from molgen.chem.parse import gives_relative_configuration, parse_smiles, relative_configuration_key
from molgen.chem.standardize import neutral_parent, tautomer_key, without_stereo
from molgen.data.files import QUALIFIED_NUMBER
from molgen.data.measurements import (CHEMBL_DESCRIPTORS, CHEMBL_RELATION, CHEMBL_TYPE,  # noqa: F401 -- names
                                      CHEMBL_UNITS, CHEMBL_VALUE, column_named, is_chembl_relation,  # of this module
                                      is_concentration, is_p_value, qualified_by_relation, with_relation)  # too

#: How the values of one label are aggregated: ``geometric`` for concentrations (IC50 in nM), where the
#: arithmetic mean of 10 and 1000 is dominated by the larger; ``median`` (the default) resists one outlier.
AGGREGATES = ("median", "mean", "geometric")
#: How rows are grouped into one compound: ``parent`` merges salts and charge states (the neutral parent,
#: stereo kept: enantiomers stay apart, as their activities may differ); ``tautomer`` also merges tautomers of one
#: parent (keyed by RDKit's canonical tautomer; the row written as the form submitted most often; stereoisomers a
#: tautomer would merge, E and Z of a moving double bond, kept apart); ``molecule`` only identical molecules.
GROUPINGS = ("parent", "tautomer", "molecule")


@dataclass
class MergeResult:
    """The merged table, the rows that could not be merged (with why), and notes a chemist should read."""

    merged: pd.DataFrame
    removed: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def measured_columns(columns: pd.DataFrame) -> list[str]:
    """The columns of ``columns`` that hold measurements: mostly numbers, or numbers written with a qualifier (not an
    id, a name, the reader's file line or ChEMBL's compound descriptors such as Molecule Max Phase), a p-value such
    as pIC50 first, then ChEMBL's Standard Value."""
    found = []
    for name in columns.columns:
        # ChEMBL's compound descriptors, as its web export or its client names them (molecule_max_phase)
        if name in ("line", "name") or column_named([name], CHEMBL_RELATION) or any(
                column_named([name], descriptor) for descriptor in CHEMBL_DESCRIPTORS):
            continue
        values, qualified, _ = _label_values(columns[name])
        filled = columns[name].astype("string").str.strip().replace("", pd.NA).dropna()
        if len(filled) and values.notna().sum() + qualified.notna().sum() >= len(filled) / 2:
            found.append(name)
    return sorted(found, key=lambda n: (not is_p_value(n), column_named([n], CHEMBL_VALUE) is None))


def compound_key(smiles: str, by: str = "parent") -> str | None:
    """The canonical SMILES rows are grouped by (``by``: :data:`GROUPINGS`); None when ``smiles`` does not read."""
    parsed = parse_smiles(smiles)
    if not parsed.ok:
        return None
    mol = neutral_parent(parsed.mol) if by in ("parent", "tautomer") else parsed.mol
    key = tautomer_key(Chem.MolToSmiles(mol)) if by == "tautomer" else Chem.MolToSmiles(mol)
    # a relative configuration (rac-cis |&1:1,3|) is read with its centres unassigned: kept in the key, written as
    # canonical CXSMILES, so that rac-cis and rac-trans, two compounds, are not merged (a review); by tautomer, a
    # racemate's tautomers stay apart (its key is not tautomer-canonical)
    relative = relative_configuration_key(smiles, parent=by in ("parent", "tautomer"))
    return key if relative is None else (f"{key} {relative}" if by == "tautomer" else relative)


def _written_form(smiles: str) -> str:
    """How a row wrote its compound, canonical (a relative configuration as canonical CXSMILES)."""
    return relative_configuration_key(smiles) or Chem.MolToSmiles(parse_smiles(smiles).mol)


def _tautomer_pairs(keys: list[str]) -> list[list[str]]:
    """The compounds of ``keys`` (canonical SMILES) that are tautomers of one another, in groups of two or more."""
    from rdkit.Chem import rdMolHash

    # tautomers share their formula and their atoms' connectivity: only compounds that do are canonicalized
    # (a millisecond each), so a large export with no tautomers costs a few seconds, not minutes
    skeletons: dict[tuple[str, str], list[Chem.Mol]] = {}
    for key in keys:
        if gives_relative_configuration(key):   # a racemate's key: its tautomers are not looked for (its SMILES
            continue                            # alone would read as its enantiomer's, a tautomer of itself)
        mol = Chem.MolFromSmiles(key)
        flat = without_stereo(mol)
        skeleton = (rdMolHash.MolHash(Chem.Mol(flat), rdMolHash.HashFunction.ElementGraph),
                    rdMolHash.MolHash(Chem.Mol(flat), rdMolHash.HashFunction.MolFormula))
        skeletons.setdefault(skeleton, []).append(mol)
    groups: dict[str, list[str]] = {}
    for mols in (mols for mols in skeletons.values() if len(mols) > 1):
        for mol in mols:
            written = Chem.MolToSmiles(mol)
            groups.setdefault(tautomer_key(written), []).append(written)
    return [group for group in map(lambda group: list(dict.fromkeys(group)), groups.values()) if len(group) > 1]


def _label_values(column: pd.Series) -> tuple[pd.Series, pd.Series, list[str]]:
    """A label column as numbers, the qualified cells (their text, apart) and the cells that are neither."""
    text = column.astype("string").str.strip()
    numbers = pd.to_numeric(column, errors="coerce")
    numbers = numbers.where(np.isfinite(numbers.astype(float)))   # "inf" is no measurement
    qualified = text.where(text.fillna("").str.fullmatch(QUALIFIED_NUMBER), pd.NA)   # ">10", "<= 5", "~7"
    # a "NaN" cell is an empty one (said with the blanks), not a word
    other = text[numbers.isna() & qualified.isna() & text.notna() & ~_empty(text)]
    return numbers.astype(float), qualified, sorted(set(other.astype(str)))


def _empty(text: pd.Series) -> pd.Series:
    """Which cells hold no value: blank, or a "NaN" a table writer left (in any case)."""
    return text.fillna("").str.strip().str.lower().isin(["", "nan"])


def _contradicts(bound: str, value: float, tolerance: float, how: str) -> bool:
    """Whether a qualified value (">8", "<= 5") says the opposite of the aggregate ``value`` by more than
    ``tolerance`` (log10 units for a geometric aggregate): "<5" beside a median of 8.1."""
    found = QUALIFIED_NUMBER.fullmatch(bound.strip())
    if not found or found.group(1) == "~" or math.isnan(value):   # "about 7" bounds nothing
        return False
    limit = float(found.group(2))
    if how == "geometric":
        if limit <= 0 or value <= 0:
            return False
        limit, value = math.log10(limit), math.log10(value)
    below = found.group(1) in ("<", "<=", "≤")
    # at 12 significant digits, as the spread is: 8.3 - 7.3 is 1.0000000000000009 in binary, which no assay measured
    return _without_float_noise(value - limit if below else limit - value) > tolerance


def _aggregate(values: np.ndarray, how: str) -> float:
    if not len(values):
        return math.nan
    if how == "median":
        return float(np.median(values))
    if how == "mean":
        return float(np.mean(values))
    return float(np.exp(np.mean(np.log(values))))


def _without_float_noise(value: float) -> float:
    """``value`` at 12 significant digits (4.300000000000001 as 4.3); NaN stays NaN."""
    return float(f"{value:.12g}") if math.isfinite(value) else value


def merge_replicates(smiles: Sequence[str], columns: pd.DataFrame | None, labels: Sequence[str], *,
                     how: str = "median", by: str = "parent", max_spread: float | None = 1.0,
                     relation: str | None = None) -> MergeResult:
    """One row per compound of ``smiles`` (row for row with ``columns``, the input's other columns).

    Each of ``labels`` (columns of ``columns``) is aggregated by ``how`` over the compound's numeric values, with
    ``<label>_n`` (values used), ``<label>_spread`` (largest minus smallest; for ``geometric``, in log10 units,
    so 10 and 1000 nM read 2.0), ``<label>_values`` (each value, in input order), ``<label>_qualified`` (values
    such as ">10", left out) and ``<label>_disagree`` (the spread exceeds ``max_spread``, in the label's own
    units; None: never; also where a qualified value contradicts the aggregate: "<5" beside a median of 8.1).
    ``relation``: a column holding each value's qualifier apart (ChEMBL's "Standard Relation": '=', '>', '<'), read
    as if written before the value. Other columns keep their distinct values joined by "; " (an id column lists
    every registration merged). ``input_rows`` names the input's records merged, counted from 1 (a file's own
    line numbers, its header counted, follow as ``input_lines``). Rows whose SMILES does not read are ``removed``.
    """
    if how not in AGGREGATES:
        raise ValueError(f"unknown aggregate {how!r}; known: {', '.join(AGGREGATES)}")
    if by not in GROUPINGS:
        raise ValueError(f"unknown grouping {by!r}; known: {', '.join(GROUPINGS)}")
    if not labels:
        raise ValueError("name at least one label column to merge (the measured values, e.g. pIC50)")
    columns = pd.DataFrame(index=range(len(smiles))) if columns is None else columns.reset_index(drop=True)
    missing = [label for label in [*labels, *([relation] if relation else [])] if label not in columns.columns]
    if missing:
        own = [c for c in columns.columns if c != "line"]   # the reader's file line is not the chemist's column
        near = [c for m in missing for c in own if c.lower() == m.lower()]
        raise ValueError(f"no column {', '.join(map(repr, missing))}"
                         + (f" (did you mean {', '.join(map(repr, near))}?)" if near else "")
                         + f"; columns are {', '.join(map(repr, own)) or 'none besides the SMILES'}")
    if len(columns) != len(smiles):
        raise ValueError(f"{len(smiles)} SMILES but {len(columns)} rows of columns")

    notes: list[str] = []
    values: dict[str, pd.Series] = {}
    qualified: dict[str, pd.Series] = {}
    # ChEMBL's relation, or a chemist's column beside a concentration, qualifies the concentration and the p-values
    # made of it (read flipped beside those), not a logD beside them; a chemist's column beside no concentration
    # qualifies every label given, as written (reviews: a logD of 3.5 became >3.5; an explicit Qualifier beside
    # IC50_nM was dropped; a pIC50's own "<5" was flipped)
    chembl = bool(relation) and is_chembl_relation(relation)
    flipped = chembl or (bool(relation) and any(is_concentration(label) for label in labels))
    unqualified = [label for label in labels if flipped and not (qualified_by_relation(label) or is_concentration(label))]
    if relation and not chembl:   # the chemist's own: said how it was read
        qualified_labels = [label for label in labels if label not in unqualified]
        notes.append(f"{relation} qualifies {', '.join(qualified_labels)}"
                     + (", as a concentration's qualifier: read flipped beside a p-value"
                        if flipped and any(is_p_value(label) for label in labels) else
                        "" if flipped else ", as written (no concentration among the labels)"))
    if unqualified:
        notes.append(f"{relation} qualifies the concentration{' (Standard Value)' if chembl else ''} and its p-values: "
                     f"{', '.join(unqualified)} {'is' if len(unqualified) == 1 else 'are'} read without it")
    for label in labels:
        column = columns[label]
        if relation and label not in unqualified:   # ChEMBL: '>' apart, beside its concentration (flipped by a pIC50)
            column = with_relation(column, columns[relation], label, flip=flipped)
            said = columns[relation].astype("string").str.strip().str.strip("'\"").fillna("")
            qualified_rows = ~said.isin(["", "="])
            empty = _empty(columns[label].astype("string"))
            if is_p_value(label) and flipped and (qualified_rows & ~empty).any():
                notes.append(f"{label}: {relation}'s qualifiers are read flipped, as for a negative log (a "
                             "concentration above 10 µM is a pIC50 below 5)")
            if chembl and is_p_value(label) and (n := int((qualified_rows & empty).sum())):   # no pChEMBL for those
                notes.append(f"{label}: {n:,} row{'s' if n != 1 else ''} with a qualified {relation} ('>', '<') "
                             f"{'have' if n != 1 else 'has'} no {label} (ChEMBL writes no pChEMBL Value for them), so "
                             f"{'they are' if n != 1 else 'it is'} not merged as a bound: merge the concentration "
                             "(Standard Value, --how geometric) to keep them")
        values[label], qualified[label], other = _label_values(column)
        filled = column.astype("string").str.strip()
        filled = filled[~_empty(filled)]
        readable = int(values[label].notna().sum() + qualified[label].notna().sum())
        if len(filled) and readable < len(filled) / 2:
            raise ValueError(f"{label}: {readable:,} of its {len(filled):,} filled cells are numbers (qualified or not): "
                             "not a measured column (an id, a name?); give the column of values, e.g. pIC50")
        if how == "geometric" and is_p_value(label):
            raise ValueError(f"{label}: a p-value (pIC50, pKi) is already a logarithm: its mean is the geometric mean "
                             "of the concentrations; use median or mean (a geometric mean of logs would hide spreads)")
        if how == "geometric" and (values[label] <= 0).any():
            raise ValueError(f"{label}: a geometric mean needs positive values (a concentration, not a pIC50); "
                             f"{int((values[label] <= 0).sum())} are not: use median or mean")
        if other:
            shown = ", ".join(repr(o) for o in other[:5]) + (f" and {len(other) - 5} more" if len(other) > 5 else "")
            notes.append(f"{label}: {len(other)} distinct cell{'s are' if len(other) != 1 else ' is'} neither a number "
                         f"nor a qualified one ({shown}): left out of the aggregate")
        positive = values[label].dropna()
        if how != "geometric" and len(positive) > 1 and (positive > 0).all() and positive.max() >= 100 * positive.min():
            notes.append(f"{label}: its values span {math.log10(positive.max() / positive.min()):.1f} orders of "
                         "magnitude, as a concentration's do: --how geometric (how='geometric') averages and spreads "
                         "them in log10 units (a spread in nM is ruled by the largest values)")
        blank = _empty(columns[label].astype("string"))
        if n := int(blank.sum()):   # a row without a measurement still merges (its ids, its forms): said, not hidden
            notes.append(f"{label}: {n:,} row{'s have' if n != 1 else ' has'} no value (empty), so "
                         f"{label}_n counts fewer values than n_rows counts rows for {'their' if n != 1 else 'its'} "
                         "compound")
        if n := int(qualified[label].notna().sum()):
            notes.append(f"{label}: {n:,} value{'s' if n != 1 else ''} written with a qualifier (>, <, ~: outside the "
                         f"assay's range) left out of the aggregate and listed in {label}_qualified")

    keys = [compound_key(s, by) for s in smiles]
    removed = [{"smiles": s, "input_row": row, "removed_because": f"invalid: {parse_smiles(s).reason}"}
               for row, (s, key) in enumerate(zip(smiles, keys), start=1) if key is None]
    order: dict[str, list[int]] = {}   # compound -> its input rows (0-based), in input order
    for position, key in enumerate(keys):
        if key is not None:
            order.setdefault(key, []).append(position)

    others = [c for c in columns.columns if c not in labels]
    made = {"smiles", "n_rows", "input_rows", "forms", "input_lines",
            *(f"{label}{suffix}" for label in labels for suffix in ("", "_n", "_spread", "_values", "_qualified",
                                                                    "_disagree"))}
    # an input column named like one this table makes (n_rows, pIC50_n) keeps its values under input_<name>
    renamed = {c: f"input_{c}" if (c in made and c != "line") else c for c in others}
    out, multi_form = [], 0
    mixed = {label: Counter() for label in labels}   # compounds whose values mix units or activity types
    described_by = {name: column_named(columns.columns, name) for name in (CHEMBL_UNITS, CHEMBL_TYPE)}
    # per compound, whether its replicates disagree in value (the note below names those alone, not a unit mix)
    by_spread: dict[str, list[bool]] = {label: [] for label in labels}
    for key, positions in order.items():
        # by tautomer, the key is RDKit's canonical tautomer, which may be a form no one submitted (oxindole's is
        # 2-hydroxyindole): the row is written as its parent form submitted most often (the first, on a tie)
        row: dict[str, object] = {"smiles": key if by != "tautomer" else Counter(
            compound_key(smiles[p], "parent") for p in positions).most_common(1)[0][0]}
        for label in labels:
            numbers = values[label].iloc[positions].dropna().to_numpy()
            spread = (float(np.log10(numbers.max()) - np.log10(numbers.min())) if how == "geometric"
                      else float(numbers.max() - numbers.min())) if len(numbers) else math.nan
            # at 12 significant digits: 6.1 - 4.3 is 1.7999999999999998 in binary, which no assay measured
            spread = _without_float_noise(spread)
            row[label] = _without_float_noise(_aggregate(numbers, how))
            row[f"{label}_n"] = len(numbers)
            row[f"{label}_spread"] = spread
            row[f"{label}_values"] = "; ".join(f"{v:g}" for v in numbers)
            bounds = qualified[label].iloc[positions].dropna().astype(str).tolist()
            row[f"{label}_qualified"] = "; ".join(bounds)
            row[f"{label}_disagree"] = max_spread is not None and (
                (len(numbers) > 1 and spread > max_spread)
                or any(_contradicts(bound, row[label], max_spread, how) for bound in bounds))
            by_spread[label].append(bool(row[f"{label}_disagree"]))
            # ChEMBL's export: concentrations of other units (nM and uM) or types (IC50 and Ki) are no replicates;
            # its p-values are comparable across them by design (said, not marked); a logD is neither
            measured = [p for p in positions if pd.notna(values[label].iat[p]) or pd.notna(qualified[label].iat[p])]
            for described in (CHEMBL_UNITS, CHEMBL_TYPE) if qualified_by_relation(label) else ():
                held = described_by[described]   # "Standard Units", or the client's standard_units
                if held is not None and len({str(columns[held].iat[p]).strip() for p in measured
                                             if pd.notna(columns[held].iat[p]) and str(columns[held].iat[p]).strip()}) > 1:
                    if not is_p_value(label) or described == CHEMBL_TYPE:
                        mixed[label][described] += 1
                    if not is_p_value(label) and max_spread is not None:
                        row[f"{label}_disagree"] = True
        row["n_rows"] = len(positions)
        row["input_rows"] = "; ".join(str(p + 1) for p in positions)
        forms = list(dict.fromkeys(_written_form(smiles[p]) for p in positions))
        # the forms written, where more than one or where the one written is not the row's (a TFA salt's parent)
        row["forms"] = "; ".join(forms) if len(forms) > 1 or forms[0] != row["smiles"] else ""
        multi_form += len(forms) > 1
        for column in others:   # ids, dates, assay names (the reader's file line as input_lines): every distinct value
            kept = [str(v) for v in columns[column].iloc[positions] if pd.notna(v) and str(v).strip() != ""]
            row["input_lines" if column == "line" else renamed[column]] = "; ".join(dict.fromkeys(kept))
        out.append(row)
    merged = pd.DataFrame(out, columns=None if out else ["smiles", *labels, "n_rows", "input_rows"])
    if len(merged):
        repeated = merged[merged["n_rows"] > 1]
        readable = len(smiles) - len(removed)
        notes.insert(0, f"{readable:,} readable row{'s' * (readable != 1)} merged into {len(merged):,} "
                        f"compound{'s' * (len(merged) != 1)}; "
                        f"{len(repeated):,} measured in more than one row"
                        + (f", {multi_form:,} of them written in more than one form (a salt, a charge state"
                           f"{', a tautomer' if by == 'tautomer' else ''}: see forms)"
                           if by in ("parent", "tautomer") and multi_form else ""))
        if by != "tautomer" and (tautomers := _tautomer_pairs(list(order))):
            shown = "; ".join(" and ".join(group) for group in tautomers[:3])
            notes.append(f"{len(tautomers):,} compound{'s are' if len(tautomers) != 1 else ' is'} written here as "
                         f"two or more tautomers, kept apart ({shown}{' and more' if len(tautomers) > 3 else ''}): "
                         "--by tautomer merges them")
        for label in labels:
            for described, n in mixed[label].items():
                notes.append(f"{label}: {n:,} compound{'s merge' if n != 1 else ' merges'} values of more than one "
                             f"{described} (column {described_by[described]}): "
                             + ("comparable as ChEMBL makes its p-values, but worth a look" if is_p_value(label) else
                                ("" if max_spread is not None else "not marked (max_spread None); ")
                                + (f"marked in {label}_disagree; " if max_spread is not None else "") + "keep one "
                                f"{'unit' if described == CHEMBL_UNITS else 'activity type'} per file to merge "
                                "replicates"))
        for label in labels if max_spread is not None else ():
            if n := sum(by_spread[label]):
                # named by file line where the reader kept them (what an editor shows), else by input row
                where = "input_lines" if "input_lines" in merged.columns else "input_rows"
                word = "lines" if where == "input_lines" else "rows"
                shown = "; ".join(f"{word} {str(r).replace('; ', ', ')}"
                                  for r in merged.loc[by_spread[label], where].head(3))
                notes.append(f"{label}: {n:,} compound{'s have' if n != 1 else ' has'} replicates disagreeing by more "
                             f"than {max_spread:g}{' log10 unit' if how == 'geometric' else ''}, or a qualified value "
                             f"contradicting the rest ({shown}"
                             f"{' and more' if n > 3 else ''}): marked in {label}_disagree, worth a look before training")
    return MergeResult(merged, pd.DataFrame(removed, columns=["smiles", "input_row", "removed_because"]), notes)
