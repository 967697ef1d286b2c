

def test_the_ceiling_nearest_a_sample_size():
    from molgen.metrics.ceiling import CEILING, nearest_ceiling

    assert nearest_ceiling(85)[0] == 100 and nearest_ceiling(500)[0] == 300 and nearest_ceiling(600)[0] == 1_000
    assert nearest_ceiling(25_000)[0] == 30_000 and nearest_ceiling(0)[0] == 100
    # the smaller the sample, the worse even the training molecules read: FCD falls and Scaf rises with n
    sizes = sorted(CEILING)
    assert all(CEILING[a]["FCD/Test"] > CEILING[b]["FCD/Test"] for a, b in zip(sizes, sizes[1:]))
    assert all(CEILING[a]["Scaf/Test"] < CEILING[b]["Scaf/Test"] for a, b in zip(sizes, sizes[1:]))
