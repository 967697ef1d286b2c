"""Measured columns as assay exports write them: p-values, and qualifiers kept in a column of their own.

ChEMBL's activity export writes ``>`` apart from its number (``Standard Relation`` beside ``Standard Value``);
read alone, a ``>10000`` nM would pass as 10000. Its ``pChEMBL Value`` is a negative log, where the same
qualifier would flip, and ChEMBL leaves it empty for a qualified concentration.
"""

from __future__ import annotations

import re

import pandas as pd

#: The column ChEMBL's activity export holds each value's qualifier in ('=', '>', '<', quoted).
CHEMBL_RELATION = "Standard Relation"
#: The value that qualifier qualifies (a concentration, in Standard Units).
CHEMBL_VALUE = "Standard Value"
#: Its unit (nM, uM, %) and what was measured (IC50, Ki): values of another unit or type are no replicates.
CHEMBL_UNITS = "Standard Units"
CHEMBL_TYPE = "Standard Type"
#: Numeric columns of ChEMBL's activity export that describe the compound or the record, not the measurement:
#: nothing to merge replicates of (a salt's Molecular Weight differs from its parent's by design).
CHEMBL_DESCRIPTORS = ("Molecule Max Phase", "Molecular Weight", "#RO5 Violations", "AlogP", "Potential Duplicate",
                      "Source ID", "Document Year")


#: After a lower-case p, a capital (pIC50, pKi, pActivity) or an activity in any case (pki, ped50); after a capital
#: P, an IC50-like one only (PIC50): PKA or PKD1 names a kinase.
_P_ACTIVITY = r"(?:ki|kd|kb|a2|(?:ic|ec|ac|xc|gi|ed|ld|td|cc|lc)\d+)"
_P_LOWER = re.compile(rf"p(?:[A-Z][A-Za-z0-9]*|(?i:{_P_ACTIVITY}))")
_P_CAPITAL = re.compile(r"P(?:ic|ec|ac|xc|gi)\d+", re.IGNORECASE)
#: Negative logs or points of properties, not activities: pH, pKa (pKa1), pI (an isoelectric point).
_P_PROPERTY = re.compile(r"p(?:h|ka|i)\d*", re.IGNORECASE)
#: A word naming a statistic of a p-value anywhere after its name (pIC50_sd, pIC50 hERG SEM, pIC50.n, pIC50 95% CI,
#: pIC50 CV%); a hyphenated word is the assay's own (pIC50 Cav2.2 (N-type), pEC50 (CV-1 cells)), "n=3" the value's.
_STATISTIC = re.compile(r"sd|sem|se|std|stdev|stddev|stderr|n|count|ci\d*|cv|rsd|var|error|range", re.IGNORECASE)
#: Spellings of a statistic written with stops or in words, read as one word first.
_STATISTIC_SPELLINGS = (("standard deviation", "sd"), ("standard error", "se"), ("std. dev.", "sd"),
                        ("std.dev.", "sd"), ("std.dev", "sd"), ("std dev", "sd"), ("s.e.m.", "sem"), ("s.e.m", "sem"),
                        ("s.d.", "sd"), ("s.d", "sd"), ("s.e.", "se"))


def _names_a_statistic(rest: str) -> bool:
    """Whether what follows a p-value's name makes the column a statistic of the value (any of its words)."""
    text = re.sub(r"\s*=\s*", "=", rest.lower())
    for spelled, word in _STATISTIC_SPELLINGS:
        text = text.replace(spelled, f" {word} ")
    words = [w.strip("-%") for w in re.split(r"[\s_,.()\[\]]+", text)]
    return any(_STATISTIC.fullmatch(w) for w in words if w)


def is_p_value(name) -> bool:
    """Whether a column is named as a negative log of an activity: pIC50, pKi, pki, PIC50, pIC50_mean, ChEMBL's
    "pChEMBL Value" (``pchembl_value``); not pH or pKa, a kinase (PKA, PKD1), nor a statistic of a p-value
    (pIC50_sd, pIC50_n; pIC50 (n=3) is one)."""
    text = str(name).strip()
    if (chembl := re.match(r"pchembl(?:[\s_]*value)?", text, re.IGNORECASE)) is not None:   # pChEMBL Value
        return not _names_a_statistic(text[chembl.end():])
    cut = re.search(r"[\s_.,\-(]", text)
    base, rest = (text[:cut.start()], text[cut.start():]) if cut else (text, "")
    named = (_P_LOWER if base[:1] == "p" else _P_CAPITAL).fullmatch(base) is not None
    return named and not _P_PROPERTY.fullmatch(base) and not _names_a_statistic(rest)


def column_named(columns, wanted: str) -> str | None:
    """The column of ``columns`` that is ``wanted`` however spaced, underscored or cased (ChEMBL's web export writes
    "Standard Relation", its Python client "standard_relation"), or None."""
    key = re.sub(r"[\s_]+", " ", wanted).strip().lower()
    return next((c for c in columns if re.sub(r"[\s_]+", " ", str(c)).strip().lower() == key), None)


def is_concentration(name) -> bool:
    """Whether a column is named as a concentration a relation qualifies: ChEMBL's Standard Value, or an IC50, EC50,
    Ki or Kd, or a column in nM or uM (IC50_nM, Ki (uM)); not a p-value of one."""
    if is_p_value(name):
        return False
    return column_named([name], CHEMBL_VALUE) is not None or re.search(
        r"(?<![a-z])(?:(?:ic|ec|ac|xc|gi|ed|ld)\d+|k[id]|[nuµm]m)(?![a-z])", str(name), re.IGNORECASE) is not None


def is_chembl_relation(name) -> bool:
    """Whether a relation column is ChEMBL's (Standard Relation, or the Python client's standard_relation)."""
    return column_named([name], CHEMBL_RELATION) is not None


def qualified_by_relation(name) -> bool:
    """Whether ChEMBL's relation column qualifies the column ``name``: its Standard Value (standard_value), or a
    p-value made of it; not a logD or a solubility beside them (a review's logD of 3.5 became >3.5)."""
    return column_named([name], CHEMBL_VALUE) is not None or is_p_value(name)


#: A concentration's qualifier as it reads on its negative log: IC50 > 10 µM is pIC50 < 5.
FLIPPED = {">": "<", ">=": "<=", "<": ">", "<=": ">=", "≥": "≤", "≤": "≥", "~": "~"}


def with_relation(values: pd.Series, qualifiers: pd.Series, name: str = "", flip: bool = True) -> pd.Series:
    """``values`` with the qualifier of a relation column written in front (``>`` and ``10000`` -> ``>10000``);
    '=' or an empty qualifier leaves a value as it is. ChEMBL's relation qualifies the concentration, so beside a
    p-value column (``name`` pIC50, a user's -log10 of Standard Value) it reads flipped: '>' there is '<' here.
    ``flip`` False: a qualifier written for the label itself (a chemist's own, with no concentration among the
    labels) reads as written."""
    qualifier = qualifiers.astype("string").str.strip().str.strip("'\"").fillna("")
    if flip and is_p_value(name):
        qualifier = qualifier.map(lambda q: FLIPPED.get(q, q), na_action="ignore")
    text = values.astype("string").str.strip()
    # a cell qualified already (">5") keeps its own: "<" in front of it made "<>5", which nothing reads; an empty
    # one ("", a writer's "NaN") stays empty
    own = text.fillna("").str.match(r"[<>~≤≥]")
    empty = text.fillna("").str.lower().isin(["", "nan"])
    return text.where(qualifier.isin(["", "="]) | text.isna() | empty | own, qualifier + text)
