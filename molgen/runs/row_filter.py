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
#: The keywords each method takes in a filter (a column's method given ``flags=`` fell back to Python's regex
#: engine, which a pattern such as '(.|.)*!' keeps busy for hours: a code review).
KEYWORDS = {"contains": {"case", "na", "regex"}, "match": {"case", "na"}, "fullmatch": {"case", "na"},
            "startswith": {"na"}, "endswith": {"na"}, "between": {"inclusive"}, "round": {"decimals"},
            "rank": {"method", "ascending", "pct", "na_option"}}
REGEX_METHODS = frozenset({"contains", "match", "fullmatch", "count"})
#: Line breaks Python's tokenizer and str.splitlines read apart: refused, so the text shown is the text run.
_ODD_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
INCOMPLETE = ("it is not a complete expression: each comparison needs a column, an operator (<, <=, ==, !=, >=, >) "
              "and a value, joined by and / or, e.g. 'qed > 0.6 and alerts == 0'")


def _as_python(expression: str) -> str:
    """``expression`` with each `` `column` `` written bare (a column's name is a Python name); tokenized as Python
    does, so a backtick inside a string is text. A backtick pair around anything but a name is refused."""
    if any(c in expression for c in _ODD_BREAKS):
        raise FilterError("a filter is one line of text (it holds a control character or an odd line break)")
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(expression).readline))
    except (tokenize.TokenError, SyntaxError):
        raise FilterError(INCOMPLETE) from None
    line_starts = [0]
    for line in expression.split("\n"):   # as the tokenizer's readline breaks lines: at \n alone
        line_starts.append(line_starts[-1] + len(line) + 1)
    def offset(token) -> int:
        return line_starts[token.start[0] - 1] + token.start[1]

    ticks = [offset(t) for t in tokens if t.string == "`"]   # an error token up to Python 3.11, an operator after
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
    except (RecursionError, MemoryError):
        raise FilterError("the filter is nested too deeply") from None
    except SyntaxError:
        if re.search(r"(?<![<>=!])=(?!=)", text):
            raise FilterError("'=' assigns; compare with '==' (e.g. 'alerts == 0')") from None
        raise FilterError(INCOMPLETE) from None
    try:
        for node in ast.walk(tree):
            _check(node)
    except RecursionError:
        raise FilterError("the filter is nested too deeply") from None
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
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        allowed_keywords = KEYWORDS.get(node.func.attr, set())
        if extra := [k.arg for k in node.keywords if k.arg not in allowed_keywords]:
            raise FilterError(f"{node.func.attr}() in a filter takes no {', '.join(map(str, extra))}=")
        if node.func.attr in REGEX_METHODS:
            _check_pattern(node)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS:
        wanted = 2 if node.func.id == "arctan2" else 1   # numpy's next argument is out=, which writes into a column
        if len(node.args) != wanted or node.keywords:
            raise FilterError(f"{node.func.id}() takes {wanted} value{'s' * (wanted > 1)} in a filter")
    if isinstance(node, ast.Call):
        function = node.func
        named = isinstance(function, ast.Name)
        if (named and function.id not in FUNCTIONS) or not (named or isinstance(function, ast.Attribute)):
            raise FilterError(f"a filter compares columns (and, or, not; isna(), isin(), str.contains(), ...); it "
                              f"may not call {ast.unparse(function)}() (maths: abs, sqrt, log10, ...)")
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) and not (
            isinstance(node.right, ast.Constant) and isinstance(node.right.value, (int, float))
            and abs(node.right.value) <= MAX_EXPONENT):
        raise FilterError(f"a power in a filter is a number up to {MAX_EXPONENT} (e.g. logp ** 2)")
    if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float, str, bool, type(None))):
        raise FilterError(f"a filter's values are numbers and text, not {node.value!r}")


def _check_pattern(call: ast.Call) -> None:
    """A text pattern a filter matches: literal, short, and without what makes a regex engine backtrack for hours (a
    group repeated, a back-reference, a look-around)."""
    pattern = call.args[0] if call.args else None
    if not (isinstance(pattern, ast.Constant) and isinstance(pattern.value, str)):
        raise FilterError(f"{call.func.attr}() in a filter takes a pattern written out, e.g. str.contains('N')")
    text = pattern.value
    if len(text) > 200 or re.search(r"\)\s*[*+?{]|\\[1-9]|\(\?", text):
        raise FilterError(f"the pattern {text[:40]!r} is too long or repeats a group, refers back or looks around "
                          "(patterns that can take hours to match): write a simpler one, e.g. str.contains('C(=O)N', "
                          "regex=False)")


def filter_rows(frame: pd.DataFrame, expression: str) -> pd.Series:
    """The rows of ``frame`` that meet ``expression``, as a boolean Series (a missing value meets no comparison)."""
    tree = parse_filter(expression)
    try:
        kept = _evaluate(tree.body, frame.copy())   # a copy: nothing a filter does reaches the rows exported
    except RecursionError:
        raise FilterError("the filter is nested too deeply") from None
    if not isinstance(kept, pd.Series) or not (pd.api.types.is_bool_dtype(kept) or (
            kept.dtype == object and kept.dropna().map(lambda v: isinstance(v, (bool, np.bool_))).all())):
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
            if isinstance(value, pd.Series) and not pd.api.types.is_bool_dtype(value) and value.dtype != object:
                # ~2 is -3, true: "not alerts" kept the molecules with two alerts
                raise FilterError("not applies to a test (e.g. not alerts == 0), not to a column's numbers")
            return ~value if isinstance(value, pd.Series) else not value
        return -value if isinstance(node.op, ast.USub) else +value
    if isinstance(node, ast.BinOp):
        left, right = _evaluate(node.left, frame), _evaluate(node.right, frame)
        for value in (left, right):   # 'C' * 10**9, [1] * 10**8, '%0999999999d' % 1: memory, not a filter
            if isinstance(value, (str, list)) or (isinstance(value, pd.Series)
                                                   and not pd.api.types.is_numeric_dtype(value)):
                raise FilterError("arithmetic in a filter is on numbers (e.g. abs(logp - 2) < 1)")
        # as floats: a power of a power of 10**100 is inf at once, not a number of gigabytes
        left, right = (float(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in (left, right))
        try:
            return _ARITHMETIC[type(node.op)](left, right)
        except (OverflowError, ZeroDivisionError) as error:
            raise FilterError(f"a number in the filter cannot be computed ({error})") from None
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
