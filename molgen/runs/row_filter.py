"""A filter over a table's rows (``qed > 0.6 and alerts == 0``), read and evaluated here, not by pandas.

The web app's Export page takes its filter from the page's address, so a filter is text from a link. pandas'
``DataFrame.query`` would evaluate ``@variables`` and any method of a column, and its own reading of backticks and
quotes differs from Python's: a code review ran a shell command through it from a link, past a check of the text.
Here the text Python parses is the text evaluated: each node of its syntax tree is one of a few kinds (columns,
numbers, strings, lists, comparisons, and, or, not, arithmetic, a column's tests such as ``isna()`` or
``str.contains('N')``, and maths such as ``abs``), and nothing else is ever run.
"""

from __future__ import annotations

import ast
import io
import operator
import re
import tokenize

import numpy as np
import pandas as pd


class FilterError(ValueError):
    """A filter that cannot be read or may not run, in a chemist's words."""


#: What a filter may call on a column (``rank.isna()``, ``smiles.str.contains('N')``): tests and string matches.
METHODS = frozenset({"isna", "notna", "isnull", "notnull", "isin", "between", "abs", "round", "contains",
                     "startswith", "endswith", "match", "fullmatch", "len", "lower", "upper", "strip", "count", "rank"})
#: Maths a filter may call by name (``abs(logp - 2) < 1``), as pandas' own filters read them.
FUNCTIONS = {"abs": np.abs, "sqrt": np.sqrt, "exp": np.exp, "expm1": np.expm1, "log": np.log, "log10": np.log10,
             "log1p": np.log1p, "sin": np.sin, "cos": np.cos, "tan": np.tan, "arcsin": np.arcsin,
             "arccos": np.arccos, "arctan": np.arctan, "arctan2": np.arctan2, "sinh": np.sinh, "cosh": np.cosh,
             "tanh": np.tanh, "arcsinh": np.arcsinh, "arccosh": np.arccosh, "arctanh": np.arctanh,
             "floor": np.floor, "ceil": np.ceil}
_COMPARE = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
            ast.Gt: operator.gt, ast.GtE: operator.ge}
_ARITHMETIC = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
               ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow}
#: The largest power a filter may raise to: 9**9**9 would compute for ever (a code review).
MAX_EXPONENT = 100
INCOMPLETE = ("it is not a complete expression: each comparison needs a column, an operator (<, <=, ==, !=, >=, >) "
              "and a value, joined by and / or, e.g. 'qed > 0.6 and alerts == 0'")


def _as_python(expression: str) -> str:
    """``expression`` with each `` `column` `` written bare (a column's name is a Python name); tokenized as Python
    does, so a backtick inside a string is text. A backtick pair around anything but a name is refused."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(expression).readline))
    except (tokenize.TokenError, SyntaxError):
        raise FilterError(INCOMPLETE) from None
    line_starts = [0]
    for line in expression.splitlines(keepends=True):
        line_starts.append(line_starts[-1] + len(line))
    def offset(token) -> int:
        return line_starts[token.start[0] - 1] + token.start[1]

    ticks = [offset(t) for t in tokens if t.type == tokenize.ERRORTOKEN and t.string == "`"]
    if len(ticks) % 2:
        raise FilterError("a backtick is not closed: `column` names a column")
    changes = [(offset(t), offset(t) + 1, " and " if t.string == "&" else " or ")   # as pandas reads & and |
               for t in tokens if t.type == tokenize.OP and t.string in ("&", "|")]
    for begin, finish in zip(ticks[::2], ticks[1::2]):
        name = expression[begin + 1:finish]
        if not name.isidentifier():
            raise FilterError(f"`{name}` is no column's name (a backtick pair holds one)")
        changes.append((begin, finish + 1, name))
    for begin, finish, text in sorted(changes, reverse=True):
        expression = expression[:begin] + text + expression[finish:]
    return expression


def parse_filter(expression: str) -> ast.Expression:
    """The syntax tree of a filter, every node checked (:class:`FilterError` names the first that may not run)."""
    text = _as_python(expression).strip()
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        if re.search(r"(?<![<>=!])=(?!=)", text):
            raise FilterError("'=' assigns; compare with '==' (e.g. 'alerts == 0')") from None
        raise FilterError(INCOMPLETE) from None
    for node in ast.walk(tree):
        _check(node)
    return tree


def _check(node: ast.AST) -> None:
    allowed = (ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.Invert, ast.USub, ast.UAdd,
               ast.Compare, ast.In, ast.NotIn, ast.BinOp, ast.Name, ast.Load, ast.Constant, ast.List, ast.Tuple,
               ast.Call, ast.Attribute, ast.keyword, *_COMPARE, *_ARITHMETIC)
    if not isinstance(node, allowed):
        raise FilterError(INCOMPLETE if isinstance(node, (ast.operator, ast.cmpop)) else
                          f"a filter compares columns (and, or, not; isna(), isin(), str.contains(), ...); it may not "
                          f"hold {ast.unparse(node) if isinstance(node, ast.expr) else type(node).__name__}")
    if isinstance(node, ast.Attribute) and node.attr not in METHODS | {"str"}:
        raise FilterError(f"a filter compares columns (and, or, not; isna(), isin(), str.contains(), ...); it may "
                          f"not call .{node.attr}")
    if isinstance(node, ast.Call):
        function = node.func
        if isinstance(function, ast.Name) and function.id not in FUNCTIONS or not isinstance(function, (ast.Name, ast.Attribute)):
            raise FilterError(f"a filter compares columns (and, or, not; isna(), isin(), str.contains(), ...); it "
                              f"may not call {ast.unparse(function)}() (maths: abs, sqrt, log10, ...)")
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) and not (
            isinstance(node.right, ast.Constant) and isinstance(node.right.value, (int, float))
            and abs(node.right.value) <= MAX_EXPONENT):
        raise FilterError(f"a power in a filter is a number up to {MAX_EXPONENT} (e.g. logp ** 2)")
    if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float, str, bool, type(None))):
        raise FilterError(f"a filter's values are numbers and text, not {node.value!r}")


def filter_rows(frame: pd.DataFrame, expression: str) -> pd.Series:
    """The rows of ``frame`` that meet ``expression``, as a boolean Series (a missing value meets no comparison)."""
    tree = parse_filter(expression)
    kept = _evaluate(tree.body, frame)
    if not isinstance(kept, pd.Series) or not (pd.api.types.is_bool_dtype(kept) or kept.dtype == object):
        raise FilterError("it does not say which rows to keep: compare a column with a value (e.g. 'qed > 0.6')")
    return kept.fillna(False).astype(bool)


def _evaluate(node: ast.AST, frame: pd.DataFrame):
    if isinstance(node, ast.Name):
        if node.id in frame.columns:
            return frame[node.id]
        if node.id in ("True", "False", "None"):
            return {"True": True, "False": False, "None": None}[node.id]
        raise FilterError(f"name '{node.id}' is not defined")
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_evaluate(item, frame) for item in node.elts]
    if isinstance(node, ast.BoolOp):
        values = [_evaluate(value, frame) for value in node.values]
        combine = operator.and_ if isinstance(node.op, ast.And) else operator.or_
        result = values[0]
        for value in values[1:]:
            result = combine(result, value)
        return result
    if isinstance(node, ast.UnaryOp):
        value = _evaluate(node.operand, frame)
        if isinstance(node.op, (ast.Not, ast.Invert)):
            return ~value if isinstance(value, pd.Series) else not value
        return -value if isinstance(node.op, ast.USub) else +value
    if isinstance(node, ast.BinOp):
        return _ARITHMETIC[type(node.op)](_evaluate(node.left, frame), _evaluate(node.right, frame))
    if isinstance(node, ast.Compare):
        left, result = _evaluate(node.left, frame), None
        for op, right_node in zip(node.ops, node.comparators):
            right = _evaluate(right_node, frame)
            if isinstance(op, (ast.In, ast.NotIn)):
                if not isinstance(left, pd.Series):
                    raise FilterError("'in' asks whether a column's value is among a list: e.g. 'rank in [1, 2]'")
                held = left.isin(right if isinstance(right, list) else [right])
                step = ~held if isinstance(op, ast.NotIn) else held
            else:
                step = _COMPARE[type(op)](left, right)
            result = step if result is None else result & step
            left = right
        return result
    if isinstance(node, ast.Attribute):   # .str, or a method named to be called
        owner = _evaluate(node.value, frame)
        if not isinstance(owner, (pd.Series, type(pd.Series([""]).str))):
            raise FilterError(f".{node.attr} is a column's: e.g. smiles.str.contains('N')")
        return getattr(owner, node.attr)
    if isinstance(node, ast.Call):
        arguments = [_evaluate(argument, frame) for argument in node.args]
        keywords = {k.arg: _evaluate(k.value, frame) for k in node.keywords if k.arg is not None}
        if isinstance(node.func, ast.Name):
            return FUNCTIONS[node.func.id](*arguments, **keywords)
        return _evaluate(node.func, frame)(*arguments, **keywords)
    raise FilterError(INCOMPLETE)
