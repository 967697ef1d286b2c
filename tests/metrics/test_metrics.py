from collections import Counter

import numpy as np
import pytest
import torch
from rdkit import DataStructs
from rdkit.Chem import rdFingerprintGenerator

from molgen.chem import to_mol
from molgen.metrics import fingerprints
from molgen.metrics.describe import brics_fragments, scaffold
from molgen.metrics.evaluate import cosine_similarity, evaluate, fraction_unique, novelty
from molgen.metrics.fingerprints import max_tanimoto, mean_tanimoto_powers, moses_fingerprint
from molgen.metrics.guacamol import fcd_score, kl_divergence_score, random_subset
from molgen.metrics.reference import compute_reference


def test_unique_at_k_counts_only_the_first_k():
    assert fraction_unique(["A", "A", "B", "C"], 2) == 0.5
    assert fraction_unique(["A", "B", "C", "A"], 3) == 1.0
    assert fraction_unique(["A", "A"], 10) == 0.5  # fewer than k: computed on what there is
    assert fraction_unique([], 10) is None


def test_novelty_is_over_distinct_molecules():
    assert novelty(["CCO", "CCO", "CCN", "CCC"], {"CCO"}) == pytest.approx(2 / 3)
    assert novelty([], {"CCO"}) is None


def test_cosine_of_counts_over_the_union_of_keys():
    assert cosine_similarity(Counter(a=1, b=1), Counter(a=1, b=1)) == pytest.approx(1.0)
    assert cosine_similarity(Counter(a=1), Counter(b=1)) == pytest.approx(0.0)
    assert cosine_similarity(Counter(a=3, b=4), Counter(a=4, b=3)) == pytest.approx(24 / 25)
    assert cosine_similarity(Counter(), Counter(a=1)) is None


def test_fragments_and_scaffolds():
    frags = brics_fragments(to_mol("CCOc1ccccc1"))
    assert sorted(frags) == ["[16*]c1ccccc1", "[3*]O[3*]", "[4*]CC"]  # BRICS cuts both C-O bonds of the ether
    assert scaffold(to_mol("Cc1ccccc1")) is None  # one ring: MOSES keeps scaffolds with two or more
    assert scaffold(to_mol("Cc1ccc(Cc2ccncc2)cc1")) == "c1ccc(Cc2ccncc2)cc1"
    assert scaffold(to_mol("CCCC")) is None


def _random_fps(n, density, seed):
    rng = np.random.default_rng(seed)
    return (rng.random((n, 1024)) < density).astype(np.uint8)


def _bitvect(row):
    fp = DataStructs.ExplicitBitVect(1024)
    fp.SetBitsFromList([int(i) for i in np.flatnonzero(row)])
    return fp


@pytest.mark.parametrize("dtype", [torch.int8, torch.float32, None])
def test_max_tanimoto_equals_rdkit_bulk_similarity(dtype):
    """Many equal-count runs across blocks, an exact match, and empty fingerprints (0/0 -> 1);
    in each dtype, and in the one picked as fastest here (None)."""
    if dtype == torch.int8 and not fingerprints._int8_matmul_works():
        pytest.skip("no int8 matrix product in this PyTorch")
    gen, ref = _random_fps(40, 0.04, 1), _random_fps(300, 0.04, 2)
    ref[5] = gen[3]  # an exact match
    gen[7] = 0
    ref[11] = 0
    expected = [max(1.0 if not g.any() and not r.any() else DataStructs.TanimotoSimilarity(_bitvect(g), _bitvect(r))
                    for r in ref) for g in gen]
    got = max_tanimoto(gen, ref, block=128, dtype=dtype)
    assert got == pytest.approx(expected, abs=1e-6)
    assert got[3] == 1.0 and got[7] == 1.0


def test_mean_tanimoto_powers_match_brute_force_and_empty_fps_are_identical():
    fps = _random_fps(30, 0.05, 3)
    fps[0] = 0
    fps[1] = 0
    vects = [_bitvect(r) for r in fps]
    sims = np.array([[1.0 if not fps[i].any() and not fps[j].any() else DataStructs.TanimotoSimilarity(vects[i], vects[j])
                      for j in range(30)] for i in range(30)])
    powers = mean_tanimoto_powers(fps, (1, 2), block=7)
    assert powers[1] == pytest.approx(sims.mean(axis=1), abs=1e-6)
    assert powers[2] == pytest.approx((sims ** 2).mean(axis=1), abs=1e-6)


def test_moses_fingerprint_is_morgan_2_1024():
    mol = to_mol("CC(=O)Oc1ccccc1C(=O)O")
    fp = moses_fingerprint(mol)
    legacy = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=1024).GetFingerprint(mol)
    assert fp.shape == (1024,) and set(np.flatnonzero(fp)) == set(legacy.GetOnBits())


@pytest.fixture(scope="module")
def small_reference(sample_smiles, fetched_moses):  # the Filters metric reads MOSES's SMARTS
    return compute_reference(sample_smiles[5000:5400], name="sample-test", cache=False)


def test_evaluate_against_a_custom_reference(sample_smiles, small_reference):
    generated = sample_smiles[:300] + ["", "C1CC", sample_smiles[0]]
    metrics = evaluate(generated, small_reference, train=sample_smiles[:100], n_jobs=1,
                       kl_reference=sample_smiles[5000:5400])
    assert metrics["n"] == 303 and metrics["n_valid"] == 301
    assert metrics["valid"] == pytest.approx(301 / 303)
    assert metrics["unique@1000"] == pytest.approx(300 / 301)
    assert metrics["Novelty"] == pytest.approx(200 / 300)
    assert 0 < metrics["FCD/Test"] < 10 and 0.3 < metrics["SNN/Test"] < 1
    assert 0.5 < metrics["IntDiv"] < 1 and metrics["IntDiv2"] <= metrics["IntDiv"]
    assert 0 <= metrics["Filters"] <= 1 and 0 < metrics["KL_score"] <= 1
    assert metrics["FCD_score"] == pytest.approx(np.exp(-0.2 * metrics["FCD/Test"]))
    assert "FCD/TestSF" not in metrics
    # which samples were not molecules, and why; what each metric is computed over (a review found neither said)
    assert [(e["position"], e["smiles"]) for e in metrics["invalid_samples"]] == [(300, ""), (301, "C1CC")]
    assert "unclosed ring" in metrics["invalid_samples"][1]["reason"]
    assert ("computed on: valid over the 303 samples, unique@k over the first k valid; FCD, SNN, Frag, Scaf, IntDiv, "
            "Filters and the property distances over the 301 valid molecules (the 2 invalid left out, nothing "
            "corrected); Novelty over the 300 distinct valid ones") in metrics["notes"]


def test_novelty_canonicalizes_a_given_train_set_and_none_is_an_invalid_sample(sample_smiles, small_reference):
    from rdkit import Chem

    generated = sample_smiles[:20] + [None, float("nan")]
    respelled = [Chem.MolToSmiles(Chem.MolFromSmiles(s), canonical=False, doRandom=True) for s in sample_smiles[:10]]
    assert not set(respelled) & set(sample_smiles[:10])
    metrics = evaluate(generated, small_reference, train=respelled, n_jobs=1, kl_reference=sample_smiles[5000:5400])
    assert metrics["n"] == 22 and metrics["n_valid"] == 20
    assert metrics["Novelty"] == pytest.approx(10 / 20)   # the ten written another way are not novel
    from molgen.metrics.evaluate import training_set

    resolved = training_set(respelled, n_jobs=1)     # canonicalized once, then used as it is
    assert resolved == {Chem.MolToSmiles(Chem.MolFromSmiles(s)) for s in sample_smiles[:10]}
    again = evaluate(generated, small_reference, train=resolved, n_jobs=1, kl_reference=sample_smiles[5000:5400])
    assert again["Novelty"] == metrics["Novelty"]


def test_the_reference_against_itself_is_close(sample_smiles, small_reference):
    metrics = evaluate(sample_smiles[5000:5400], small_reference, train=None, n_jobs=1,
                       kl_reference=sample_smiles[5000:5400])
    assert metrics["FCD/Test"] == pytest.approx(0.0, abs=1e-3)
    assert metrics["SNN/Test"] == pytest.approx(1.0)
    assert metrics["Frag/Test"] == pytest.approx(1.0) and metrics["Scaf/Test"] == pytest.approx(1.0)
    assert metrics["logP"] == pytest.approx(0.0) and metrics["Novelty"] is None
    assert metrics["KL_score"] == pytest.approx(1.0)
    # said, since SNN 1 and FCD 0 would otherwise read as a perfect model
    assert metrics["in_reference"] == 400
    assert any(n.startswith("400 of the 400 distinct valid molecules are molecules of the reference set itself")
               for n in metrics["notes"])
    # a part of the reference measured (a file's first rows) is said, with how to draw rows at random
    assert any(n.startswith("most are the reference's own molecules") for n in metrics["notes"])
    from rdkit import Chem   # a reference written another way is the same molecules

    respelled = [Chem.MolToSmiles(Chem.MolFromSmiles(s), canonical=False, doRandom=True) for s in sample_smiles[5000:5400]]
    assert evaluate(sample_smiles[5000:5100], small_reference, train=None, n_jobs=1, kl_reference=respelled)["in_reference"] == 100
    elsewhere = evaluate(sample_smiles[:50], small_reference, train=None, n_jobs=1, kl_reference=sample_smiles[5000:5400])
    assert elsewhere["in_reference"] == 0 and not any("reference set itself" in n for n in elsewhere["notes"])
    assert not any(n.startswith("most are the reference's own") for n in elsewhere["notes"])


def test_a_reference_smaller_than_the_samples_leaves_only_the_kl_score_undefined_and_a_series_reads_as_a_list(
        sample_smiles, fetched_moses):
    """From an evaluation review: a chemist's own reference smaller than the generated set (200 actives, 500
    samples) crashed the whole evaluation in the KL score's subset; its SMILES that are not molecules were skipped
    without a word; a pandas Series or a NumPy array as the reference was "truth value ... ambiguous"."""
    import pandas as pd

    generated, reference = sample_smiles[:60], sample_smiles[5000:5040] + ["xyz", "C1CC"]
    metrics = evaluate(generated, reference, train=None, n_jobs=1)
    assert metrics["KL_score"] is None and metrics["FCD/Test"] > 0 and 0 < metrics["SNN/Test"] < 1
    assert any(note.startswith("KL_score not defined: the KL score's reference holds 40 SMILES, fewer than the 60 ")
               for note in metrics["notes"]), metrics["notes"]
    assert metrics["reference_n"] == {"Test": 40}
    assert "2 of the reference's 42 SMILES are not molecules: the Test statistics are of its 40 valid ones" in metrics["notes"]
    for given in (pd.Series(reference), np.array(reference), tuple(reference)):
        again = evaluate(pd.Series(generated), given, train=None, n_jobs=1)
        assert again["FCD/Test"] == pytest.approx(metrics["FCD/Test"]) and again["SNN/Test"] == metrics["SNN/Test"]
    # a column read from a CSV with a blank cell (NaN) is a reference SMILES that is no molecule, not a TypeError
    holed = evaluate(generated, pd.Series(reference[:40] + [float("nan"), None]), train=None, n_jobs=1)
    assert holed["reference_n"] == {"Test": 40} and "2 of the reference's 42 SMILES are not molecules: the Test " \
        "statistics are of its 40 valid ones" in holed["notes"]
    with_kl = evaluate(generated, reference, train=None, n_jobs=1, kl_reference=pd.Series(sample_smiles[5000:5400]))
    assert 0 < with_kl["KL_score"] <= 1 and not any(note.startswith("KL_score") for note in with_kl["notes"])


def test_two_molecules_have_no_kl_score_and_no_numpy_warning(small_reference):
    import warnings

    from molgen.data.registry import load_smiles

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)   # an empty histogram bin divided 0 by 0 on the terminal
        metrics = evaluate(["CCO", "c1ccccc1"], small_reference, train=None, n_jobs=1,
                           kl_reference=load_smiles("moses-sample", "test")[:400])
        # one molecule sampled 40 times: FCD's covariance is singular (SciPy warned of it on the terminal)
        repeated = evaluate(["CC(=O)Nc1ccc(O)cc1"] * 40, small_reference, train=None, n_jobs=1,
                            kl_reference=load_smiles("moses-sample", "test")[:400])
    assert metrics["KL_score"] is None and repeated["KL_score"] is None
    # an n/d is said, as every other one is (a review found this one silent)
    kl_note = next(note for note in metrics["notes"] if note.startswith("KL_score not defined: the KL divergence of "))
    assert "is not defined between the 2 distinct molecules and as many of the reference's" in kl_note, kl_note
    assert "NumHAcceptors" in kl_note and "a descriptor" not in kl_note   # named, each that failed
    assert "KL_score not defined: it needs two distinct valid molecules or more (here 1)" in repeated["notes"]


def test_all_invalid_input_is_valid_zero_and_not_defined(small_reference):
    metrics = evaluate(["", "C1CC", "c1cccc1", "xyz"], small_reference, train=["CCO"], n_jobs=1, kl_reference=["CCO", "CCN"])
    assert metrics["valid"] == 0.0 and metrics["n_valid"] == 0
    for name in ("unique@1000", "FCD/Test", "SNN/Test", "Frag/Test", "Scaf/Test", "IntDiv", "IntDiv2", "Filters",
                 "Novelty", "logP", "SA", "QED", "weight", "KL_score", "FCD_score"):
        assert metrics[name] is None, name
    assert any("no valid molecule" in note for note in metrics["notes"])
    assert not any(note.startswith("most are the reference's own") for note in metrics["notes"])   # none is


def test_one_valid_molecule_has_no_fcd(small_reference):
    metrics = evaluate(["CCO", ""], small_reference, train=None, n_jobs=1, kl_reference=["CCO", "CCN"])
    assert metrics["valid"] == 0.5 and metrics["FCD/Test"] is None and metrics["SNN/Test"] is not None


def test_guacamol_subset_and_fcd_score():
    items = [f"C{'C' * i}O" for i in range(50)]
    np.random.seed(42)
    expected = list(np.random.choice(items, 10, replace=False))
    assert random_subset(items, 10) == expected
    with pytest.raises(ValueError, match="fewer than"):
        random_subset(items, 60)
    assert fcd_score(0.0) == 1.0 and fcd_score(None) is None
    assert kl_divergence_score(["CCO"], items) == (None, {}, 1)


def test_properties_reused_from_qed_equal_the_separate_rdkit_calls(sample_smiles):
    from rdkit.Chem import QED, Crippen, Descriptors

    from molgen.metrics.describe import _properties
    from molgen.scoring.properties import sa_score

    for smiles in sample_smiles[:1500] + ["[2H]C([2H])C", "[H]C([H])O", "C[13CH3]", "O"]:
        mol = to_mol(smiles)
        assert _properties(mol) == (Crippen.MolLogP(mol), sa_score(mol), QED.qed(mol), Descriptors.MolWt(mol)), smiles


@pytest.mark.network
def test_one_job_starts_no_process_pool(fetched_moses, monkeypatch):
    """evaluate(n_jobs=1) computes every stage in this process, however many molecules."""
    import importlib

    from molgen import parallel

    def refuse(*args, **kwargs):
        raise AssertionError("a process pool was started with n_jobs=1")

    monkeypatch.setattr(parallel, "get_context", refuse)
    # Chunks of 3 molecules: every stage has many chunks (what would go to a pool), with 55 molecules
    # instead of thousands above the real chunk sizes.
    chunks = []

    def small_chunks(function, items, *, chunk=2000, **kwargs):
        chunks.append(-(-len(items) // 3))
        return parallel.map_chunks(function, items, chunk=3, **kwargs)

    for name in ("describe", "evaluate", "fcd", "guacamol"):  # each imported map_chunks by name
        monkeypatch.setattr(importlib.import_module(f"molgen.metrics.{name}"), "map_chunks", small_chunks)
    smiles = ["CCO", "c1ccccc1", "CC(=O)Nc1ccc(O)cc1", "CCN(CC)CC", "OC(=O)c1ccccc1O"] * 11
    metrics = evaluate(smiles, smiles[:20], train=None, n_jobs=1, kl_reference=smiles[:20])
    assert metrics["n"] == 55 and metrics["valid"] == 1.0
    assert len(chunks) >= 4 and max(chunks) >= 19  # the stages really were split


def test_a_small_set_is_evaluated_with_a_note_that_its_fcd_is_not_comparable(small_reference):
    metrics = evaluate(["CCO", "CCN", "c1ccccc1O"], small_reference, train=None, n_jobs=1, kl_reference=["CCO", "CCN", "CCC"])
    assert metrics["FCD/Test"] is not None
    assert any("only 3 valid molecules: FCD is biased upward" in note for note in metrics["notes"])
