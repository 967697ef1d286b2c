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


#: A negative log of an activity as assay files write it: pIC50, pKi, pEC50, pA2 (a lower-case p, then a capital), or
#: an IC50-like one in any case (PIC50, pic50: a review saw PIC50's qualifiers read unflipped beside pIC50's
#: flipped), each with a suffix allowed (pIC50_mean, pIC50 (M)); not a kinase named in capitals (PKA, PKB_IC50,
#: PLD2), nor pH or pKa (properties, no activities), nor a statistic of one (pIC50_sd, pIC50_n).
_P_BASE = re.compile(r"p[A-Z][A-Za-z0-9]*")
_P_IC50_LIKE = re.compile(r"p(?:ic|ec|ac|xc|gi)\d+", re.IGNORECASE)
_P_PROPERTIES = ("ph", "pka", "pkb")
_STATISTIC = re.compile(r"[\s_.\-(]*(?:sd|sem|se|std|stdev|stderr|n|count|ci|var|err|error)\b", re.IGNORECASE)


def is_p_value(name) -> bool:
    """Whether a column is named as a negative log of an activity: pIC50, pKi, PIC50, pIC50_mean, ChEMBL's "pChEMBL
    Value" (``pchembl_value``); not pH, pKa, a kinase (PKA), or a statistic of a p-value (pIC50_sd)."""
    text = str(name).strip()
    if text.lower().startswith("pchembl"):
        return True
    cut = re.search(r"[\s_.\-(]", text)
    base, rest = (text[:cut.start()], text[cut.start():]) if cut else (text, "")
    return bool(_P_BASE.fullmatch(base) or _P_IC50_LIKE.fullmatch(base)) and base.lower() not in _P_PROPERTIES \
        and not _STATISTIC.match(rest)


def is_chembl_relation(name) -> bool:
    """Whether a relation column is ChEMBL's (Standard Relation, or the Python client's standard_relation)."""
    return re.sub(r"[\s_]+", " ", str(name)).strip().lower() == CHEMBL_RELATION.lower()


def qualified_by_relation(name) -> bool:
    """Whether ChEMBL's relation column qualifies the column ``name``: its Standard Value (standard_value), or a
    p-value made of it; not a logD or a solubility beside them (a review's logD of 3.5 became >3.5)."""
    return re.sub(r"[\s_]+", " ", str(name)).strip().lower() == CHEMBL_VALUE.lower() or is_p_value(name)


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
    # a cell qualified already (">5") keeps its own: "<" in front of it made "<>5", which nothing reads; an empty
    # one ("", a writer's "NaN") stays empty
    own = text.fillna("").str.match(r"[<>~≤≥]")
    empty = text.fillna("").str.lower().isin(["", "nan"])
    return text.where(qualifier.isin(["", "="]) | text.isna() | empty | own, qualifier + text)
