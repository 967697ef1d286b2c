"""Filters read and run by molgen itself: the same rows as pandas' query for what a chemist writes, and nothing run
that is not a column's test."""

import re

import numpy as np
import pandas as pd
import pytest

from molgen.runs.row_filter import FilterError, filter_rows

FRAME = pd.DataFrame({"smiles": ["CCO", "c1ccccc1", "C[C@@H](O)c1ccccc1", "CCN"], "qed": [0.5, 0.7, 0.9, np.nan],
                      "rank": [1.0, 2.0, np.nan, 3.0], "alerts": [0, 1, 0, 2], "tags": ["a", "hinge", "", "hinge,b"]})


@pytest.mark.parametrize("expression", [
    "qed > 0.6 and alerts == 0", "qed > 0.6 & alerts == 0", "rank in [1, 2]", "rank not in [1, 2]", "qed > 0.6 or rank.isna()",
    "smiles.str.contains('@')", "abs(qed - 0.5) < 0.1", "~(qed > 0.5) | (alerts == 1)", "smiles.str.len() > 3",
    "qed.between(0.5, 0.8)", "tags.str.contains('hinge', regex=False)", "not alerts == 0", "qed ** 2 > 0.3",
    "0.4 < qed < 0.8", "rank >= 1", "smiles == 'C[C@@H](O)c1ccccc1'", "qed != 0.5", "alerts * 2 + 1 > 2",
    "smiles.str.startswith('C')", "qed.notna() and rank.notna()"])
def test_a_filter_keeps_the_rows_pandas_query_keeps(expression):
    ours = FRAME[filter_rows(FRAME, expression)].index.tolist()
    assert ours == FRAME.query(expression, engine="python").index.tolist()


@pytest.mark.parametrize("expression, said", [
    ("smiles.to_csv('/tmp/molgen-row-filter.csv') == 1", "may not call .to_csv"),
    ("smiles.str.__class__ == 1", "may not call .__class__"),
    ("len(smiles) > 3", "may not call len()"),
    ("(lambda: 1)() == 1", "may not call lambda"),
    ("qed > 9 ** 9 ** 9", "a power in a filter is a number up to 100"),
    ("'a'.lower() == smiles", ".lower is a column's"),
    ("@qed > 1", "not a complete expression"),
    ("qed >>> 1", "not a complete expression"),
    ("alerts = 0", "'=' assigns"),
    ("qed", "does not say which rows to keep"),
    ("`qed x` > 1", "is no column's name"),
    ("foo > 1", "name 'foo' is not defined"),
    ("smiles[0] == 'C'", "may not hold smiles[0]"),
])
def test_what_is_no_columns_test_is_refused_and_never_run(expression, said):
    with pytest.raises(FilterError, match=re.escape(said)):
        filter_rows(FRAME, expression)


def test_quotes_and_comments_read_as_python_reads_them():
    """pandas paired backticks across strings and a comment (a code review ran a shell command through it): what
    Python reads as text or a comment is evaluated as such."""
    for odd in (r"""smiles == '\\' + 'a`b' # `' + smiles.to_csv('/tmp/molgen-row-filter.csv')""",
                "smiles == '''a'b''' + 'x`y' # `' + smiles.to_csv('/tmp/molgen-row-filter.csv')"):
        with pytest.raises(FilterError, match="arithmetic in a filter is on numbers"):   # strings added, nothing run
            filter_rows(FRAME, odd)
    assert filter_rows(FRAME, "`qed` > 0.6").tolist() == [False, True, True, False]


@pytest.mark.parametrize("expression, said", [
    # a security review: one link could hold the server for hours or take gigabytes
    ("smiles.str.contains('(.|.)*!', flags=2)", "takes no flags="),
    ("smiles.str.contains('(.|.)*!')", "repeats a group"),
    (r"smiles.str.contains('(.)\\1!')", "refers back"),
    ("smiles.str.count('C' * 10**8) > 0", "takes a pattern written out"),
    ("smiles == 'C' * 10**9", "arithmetic in a filter is on numbers"),
    ("rank in [1] * 10**8", "arithmetic in a filter is on numbers"),
    ("smiles * 10**7 == smiles", "arithmetic in a filter is on numbers"),
    ("smiles == '%0999999999d' % 1", "arithmetic in a filter is on numbers"),
    ("qed > (((10**100)**100)**100)**100", "cannot be computed"),
    ("abs(qed - 10, qed) > 0", "takes 1 value"),
    ("not alerts and qed > 0", "not applies to a test"),
    ("(qed > 0\x0c\x0c\nor alerts == 0+1|rank == 1)", "one line of text"),
    ("qed" + " + qed" * 3000 + " > 0", "nested too deeply"),
])
def test_a_filter_cannot_hold_the_server(expression, said):
    with pytest.raises(FilterError, match=re.escape(said)):
        filter_rows(FRAME, expression)
