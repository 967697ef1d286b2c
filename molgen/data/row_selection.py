"""Rows of a chemist's table chosen by a measured column: ``pIC50>=7``, ``IC50_nM<100``.

Fine-tuning on a series learns every row as much as every other; a chemist who wants the model to learn the
potent compounds says so with a condition on the activity column. A cell is read as a chemist reads it: a
number, or a number with a qualifier (``>10000`` is some value above 10000). A qualified value meets the
condition when every value it stands for does (``>8`` meets ``>=7``), fails when none does (``<5``), and is
left out as undecided otherwise (``>5`` for ``>=7``), with the reason. An empty or unreadable cell is not
measured, and left out. ChEMBL's Standard Relation column qualifies the values beside it (flipped for a
p-value: a concentration above 10 µM is a pIC50 below 5).
"""

from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass, replace

import pandas as pd

from molgen.data.files import DECIMAL_NUMBER, QUALIFIED_NUMBER
from molgen.data.measurements import CHEMBL_RELATION, qualified_by_relation, with_relation
from molgen.data.measurements import column_named as chembl_column

_CONDITION = re.compile(rf"^\s*([^<>=≥≤]+?)\s*(>=|<=|>|<|≥|≤)\s*({DECIMAL_NUMBER})\s*$")   # no comparison in a name
#: Cells that say no value was measured, as assay exports write them.
_NOT_MEASURED = {"", "na", "n/a", "nd", "n.d.", "-", "none", "null", "nan", "not determined", "not tested"}
_SAME = {"≥": ">=", "≤": "<="}
_COMPARE = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}


class RowConditionError(ValueError):
    """A condition that cannot be read, or names a column the table does not have."""


@dataclass(frozen=True)
class RowCondition:
    """``column op value``: the rows whose ``column`` holds a value ``op value``."""

    column: str
    op: str
    value: float

    @classmethod
    def parse(cls, text: str) -> "RowCondition":
        match = _CONDITION.match(text)
        if not match or not math.isfinite(float(match[3])):
            raise RowConditionError(f"cannot read {text!r}: write a column, a comparison and a number, e.g. 'pIC50>=7' "
                                    "or 'IC50_nM<100'; one condition each (repeat --where: all must hold)")
        return cls(match[1].strip().strip("'\""), _SAME.get(match[2], match[2]), float(match[3]))

    def __str__(self) -> str:
        return f"{self.column}{self.op}{_number(self.value)}"

    def verdict(self, cell: object) -> tuple[bool | None, str]:
        """(True: meets it; False: does not; None: not measured, or a qualified value that may or may not) and,
        unless True, why, in words."""
        (low, low_open), (high, high_open), written = _interval(cell)
        if written is None:
            if isinstance(cell, str) and "," in cell:
                return None, (f"{self.column} {cell.strip()!r} has a comma: a thousands separator or a decimal one? "
                              "(not read; write the number plainly)")
            if isinstance(cell, str) and cell.strip().lower() not in _NOT_MEASURED:   # an id column (L0), a typo
                return None, f"{self.column} {cell.strip()!r} is not a number (not read)"
            return None, f"{self.column} not measured"
        t = self.value
        if self.op == ">=":
            every, none = low >= t, high < t or (high == t and high_open)
        elif self.op == ">":
            every, none = low > t or (low == t and low_open), high <= t
        elif self.op == "<=":
            every, none = high <= t, low > t or (low == t and low_open)
        else:
            every, none = high < t or (high == t and high_open), low >= t
        if every:
            return True, ""
        if none:
            return False, f"{self.column} {written} is not {self.op} {_number(t)}"
        return None, f"{self.column} {written} may or may not be {self.op} {_number(t)}"


def _number(value: float) -> str:
    """A threshold written back as typed (1234567, not 1.23457e+06: a card's --where is read again on resume)."""
    return f"{value:.15g}"


def _interval(cell: object) -> tuple[tuple[float, bool], tuple[float, bool], str | None]:
    """The values a cell stands for as (low end, open?), (high end, open?), and the cell as written (None: no
    measurement)."""
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return (0.0, False), (0.0, False), None
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        value = float(cell)
        return (value, False), (value, False), (f"{value:g}" if math.isfinite(value) else None)
    text = str(cell).strip()
    if "," in text:   # 1,000 nM or 7,5: the reader turns a column of decimal commas into numbers; one left as text is
        return (0.0, False), (0.0, False), None   # ambiguous, so not read as a measurement (said as such)
    try:
        value = float(text)
        if math.isfinite(value):
            return (value, False), (value, False), str(cell).strip()
    except ValueError:
        pass
    match = QUALIFIED_NUMBER.fullmatch(text)
    if not match or match[1] == "~":   # ~7 is a value read roughly: taken as 7
        if match:
            value = float(match[2])
            return (value, False), (value, False), str(cell).strip()
        return (0.0, False), (0.0, False), None
    qualifier, value = _SAME.get(match[1], match[1]), float(match[2])
    if qualifier.startswith(">"):
        return (value, qualifier == ">"), (math.inf, True), f"{qualifier}{value:g}"
    return (-math.inf, True), (value, qualifier == "<"), f"{qualifier}{value:g}"


def column_named(frame: pd.DataFrame, name: str) -> str:
    """The frame's column ``name`` means: exactly, else the one spelled so apart from case and spaces."""
    if name in frame.columns:
        return name
    squeeze = lambda text: re.sub(r"[\s_]+", "", str(text)).lower()   # noqa: E731
    close = [c for c in frame.columns if squeeze(c) == squeeze(name)]
    if len(close) == 1:
        return close[0]
    shown = ", ".join(repr(str(c)) for c in frame.columns if c not in ("line", "smiles", "input_smiles", "read_error"))
    raise RowConditionError(f"no column {name!r} in the file to select rows by; its columns: {shown or 'none'}")


def select_rows(frame: pd.DataFrame, conditions: list[RowCondition]) -> tuple[list[bool], list[str]]:
    """Which rows meet every condition, and for each row that does not, why (the first condition it misses).
    ChEMBL's Standard Relation, where the frame has it, qualifies a concentration column's values."""
    cells, named = [], []
    relation = chembl_column(frame.columns, CHEMBL_RELATION)   # "Standard Relation", or the client's standard_relation
    for condition in conditions:
        column = column_named(frame, condition.column)
        named.append(replace(condition, column=str(column)))   # reasons name the column as the file does
        values = frame[column]
        # ChEMBL's relation qualifies its Standard Value (and, flipped, a p-value of it), not Molecular Weight or AlogP
        if relation is not None and qualified_by_relation(column):
            values = with_relation(values, frame[relation], column).astype(object).where(values.notna(), None)
        cells.append(list(values))
    keep, why = [], []
    for position in range(len(frame)):
        reason = ""
        for condition, column in zip(named, cells):
            met, said = condition.verdict(column[position])
            if met is not True:
                reason = said
                break
        keep.append(not reason)
        why.append(reason)
    return keep, why
