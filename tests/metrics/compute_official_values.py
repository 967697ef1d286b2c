"""Compute the official MOSES and GuacaMol numbers for `official_input()`.

Not part of the test suite: it needs the official packages, which no longer install with
their dependencies on a current Python. The expected values in `test_official_agreement.py`
were produced with it like this (Python 3.11, same RDKit as molgen):

    python -m venv /tmp/mosesref
    /tmp/mosesref/bin/pip install torch==2.13.0 "numpy<2" "pandas<2" scipy matplotlib tqdm rdkit fcd_torch==1.0.7 joblib
    pip download --no-deps molsets==0.3.1 guacamol==0.5.5 -d /tmp/wheels
    /tmp/mosesref/bin/pip install --no-deps /tmp/wheels/*.whl
    /tmp/mosesref/bin/python tests/metrics/compute_official_values.py

`pandas<2` because MOSES calls DataFrame.append. Two names the old code imports are gone
from current libraries and are put back before the imports, each as what it always was:
`scipy.histogram` (numpy.histogram) for GuacaMol and `rdkit.six.iteritems` (dict items) for
MOSES's copy of the SA scorer.
"""

import json
import sys
from pathlib import Path

import types

import numpy as np
import scipy

sys.path.insert(0, str(Path(__file__).resolve().parent))
from official_input import official_input  # noqa: E402

scipy.histogram = np.histogram  # the alias GuacaMol 0.5.5 imports
six = types.ModuleType("rdkit.six")
six.iteritems = lambda d: iter(d.items())
sys.modules["rdkit.six"] = six  # the Python 2 helper MOSES's sascorer imports

import moses  # noqa: E402
from guacamol.distribution_learning_benchmark import KLDivBenchmark  # noqa: E402
from guacamol.distribution_matching_generator import DistributionMatchingGenerator  # noqa: E402
from guacamol.utils.chemistry import canonicalize_list, is_valid  # noqa: E402


class FixedList(DistributionMatchingGenerator):
    def __init__(self, smiles):
        self.smiles = smiles

    def generate(self, number_samples):
        return self.smiles[:number_samples]


def main():
    gen = official_input()
    metrics = moses.get_all_metrics(gen, n_jobs=2, k=[1000, 10000])
    # What GuacaMol's sampler keeps: valid, non-empty, distinct (it asks the model for exactly this many).
    unique = [s for s in canonicalize_list(gen, include_stereocenters=False) if is_valid(s)]
    test = list(moses.get_dataset("test"))
    result = KLDivBenchmark(number_samples=len(unique), training_set=test).assess_model(FixedList(unique))
    metrics["KL_score"] = result.score
    metrics["KL_n"] = len(unique)
    print(json.dumps({k: float(v) for k, v in metrics.items()}, indent=1))


if __name__ == "__main__":
    main()
