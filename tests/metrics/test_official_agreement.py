"""molgen's metrics against the official MOSES 0.3.1 and GuacaMol 0.5.5 code on the same input.

The expected numbers were produced by `compute_official_values.py` (its docstring says how)
on `official_input()`: the committed moses-sample train split plus invalid strings and
duplicates. Required agreement: third decimal, FCD within 0.01.
"""

import pytest

from molgen.metrics import evaluate
from tests.metrics.official_input import official_input

OFFICIAL = {
    "valid": 0.9986146843459331, "unique@1000": 1.0, "unique@10000": 0.9914783987316687,
    "FCD/Test": 0.2573571377641173, "SNN/Test": 0.643612781832651, "Frag/Test": 0.9995771845877259,
    "Scaf/Test": 0.7854903482270584, "FCD/TestSF": 0.7359736143743305, "SNN/TestSF": 0.5847685103863183,
    "Frag/TestSF": 0.9982629026413684, "Scaf/TestSF": 0.0, "IntDiv": 0.8556484999324743,
    "IntDiv2": 0.8492869885590337, "Filters": 1.0, "logP": 0.016917249921168935, "SA": 0.01284858167400954,
    "QED": 0.001960136703255671, "weight": 0.42518726302025944, "Novelty": 0.0009994003597841295,
    "KL_score": 0.997405771699254,
}


@pytest.mark.network
def test_every_metric_matches_the_official_implementation(fetched_moses):
    ours = evaluate(official_input(), "moses", n_jobs=2)
    assert ours["n"] == len(official_input()) and ours["KL_n"] == 5003
    for name, expected in OFFICIAL.items():
        tolerance = 0.01 if name.startswith("FCD") else 1e-3
        assert ours[name] == pytest.approx(expected, abs=tolerance), name
