import pytest


def test_the_ceiling_at_a_sample_size():
    from molgen.metrics.ceiling import CEILING, ceiling_at, ceiling_rows

    # outside the sizes measured, the nearest one as measured, with its own n
    assert ceiling_at(85)[0] == ceiling_at(0)[0] == 100 and ceiling_at(40_000)[:2] == (30_000, CEILING[30_000])
    assert ceiling_at(3_000) == (3_000, CEILING[3_000], "measured")
    # between them, linear in 1/n: a sample of 2,000 training molecules measured FCD/Test 0.622 (a review), which
    # the nearest row said as 1.262 or 0.416
    n, at_2000, how = ceiling_at(2_000)
    assert n == 2_000 and how == "interpolated between n = 1,000 and 3,000"
    assert at_2000["FCD/Test"] == pytest.approx(0.25 * 1.262 + 0.75 * 0.416) and abs(at_2000["FCD/Test"] - 0.622) < 0.02
    assert CEILING[3_000]["Scaf/Test"] > ceiling_at(2_500)[1]["Scaf/Test"] > ceiling_at(1_500)[1]["Scaf/Test"]
    # 1,000 samples at half validity are read at their 500 valid molecules
    assert list(ceiling_rows({"run": {"n": 1_000, "n_valid": 500}})) == [
        "MOSES train itself, n = 500 (the ceiling, interpolated between n = 300 and 1,000)"]
    # the smaller the sample, the worse even the training molecules read: FCD falls and Scaf rises with n
    sizes = sorted(CEILING)
    assert all(CEILING[a]["FCD/Test"] > CEILING[b]["FCD/Test"] for a, b in zip(sizes, sizes[1:]))
    assert all(CEILING[a]["Scaf/Test"] < CEILING[b]["Scaf/Test"] for a, b in zip(sizes, sizes[1:]))
