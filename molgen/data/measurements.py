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


#: A negative log of an activity however written (PIC50, pic50, pIC50_mean, pKi (nM)): a review saw PIC50's
#: qualifiers read unflipped beside pIC50's flipped ones.
_P_ACTIVITY = re.compile(r"p(?:ic|ec|ac|xc|gi|ed|ld|td|cc|lc|id|kd|ki|ka|kb|a)\d*(?:[\s_.\-(].*)?", re.IGNORECASE)


def is_p_value(name) -> bool:
    """Whether a column is named as a negative log of a concentration: pIC50, pKi, ChEMBL's "pChEMBL Value", in any
    case and with a suffix (PIC50, pIC50_mean)."""
    text = str(name).strip()
    return bool(re.fullmatch(r"p[A-Z][A-Za-z0-9]*", text) or _P_ACTIVITY.fullmatch(text)) or \
        text.lower().startswith("pchembl")


def qualified_by_relation(name) -> bool:
    """Whether ChEMBL's relation column qualifies the column ``name``: its Standard Value, or a p-value made of it;
    not a logD or a solubility beside them (a review's logD of 3.5 became >3.5)."""
    return str(name) == CHEMBL_VALUE or is_p_value(name)


#: A concentration's qualifier as it reads on its negative log: IC50 > 10 µM is pIC50 < 5.
FLIPPED = {">": "<", ">=": "<=", "<": ">", "<=": ">=", "≥": "≤", "≤": "≥", "~": "~"}


def with_relation(values: pd.Series, qualifiers: pd.Series, name: str = "") -> pd.Series:
    """``values`` with the qualifier of a relation column written in front (``>`` and ``10000`` -> ``>10000``);
    '=' or an empty qualifier leaves a value as it is. ChEMBL's relation qualifies the concentration, so beside a
    p-value column (``name`` pIC50, a user's -log10 of Standard Value) it reads flipped: '>' there is '<' here."""
    qualifier = qualifiers.astype("string").str.strip().str.strip("'\"").fillna("")
    if is_p_value(name):
        qualifier = qualifier.map(lambda q: FLIPPED.get(q, q), na_action="ignore")
    text = values.astype("string").str.strip()
    # a cell qualified already (">5") keeps its own: "<" in front of it made "<>5", which nothing reads
    own = text.fillna("").str.match(r"[<>~≤≥]")
    return text.where(qualifier.isin(["", "="]) | text.isna() | (text == "") | own, qualifier + text)
