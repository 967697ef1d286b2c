from __future__ import annotations

import re

import pytest
from rdkit import Chem
from rdkit.Chem import Descriptors

from molgen.models.base import Conditions
from molgen.runs.conditions import (ConditionError, ConditionFilter, build_conditions, check_new_conditions,
                                    parse_condition)


def test_expressions_become_ranges_and_targets():
    c = build_conditions(["qed>=0.7", "mw<=450", "2<=logp<=4", "sa=3", "mw<500"])
    assert c.ranges == {"qed": (0.7, None), "mw": (None, 450.0), "logp": (2.0, 4.0)}
    assert c.targets == {"sa": 3.0}


def test_strict_bounds_stay_strict():
    # on a count, hbd<5 means at most 4 (Lipinski's "no more than 5" is hbd<=5)
    c = build_conditions(["hbd<5", "rings>1.5", "1<aromatic_rings<3"])
    assert c.ranges == {"hbd": (None, 4.0), "rings": (2.0, None), "aromatic_rings": (2.0, 2.0)}
    five_donors = Chem.MolFromSmiles("OCC(O)C(O)C(O)CO")
    assert ConditionFilter(c).failures(five_donors)[0] == "hbd <= 4 (hbd 5)"
    assert ConditionFilter(build_conditions(["hbd<=5"])).failures(five_donors) == []
    # on a float, the bound itself is excluded: the filter's window starts at the next float
    low, _ = build_conditions(["qed>0.7"]).ranges["qed"]
    assert 0.7 < low < 0.7 + 1e-12
    check = ConditionFilter(build_conditions(["qed>0.7", "0.5<=sa<4"]))
    assert check.describe() == ["0.7 < qed", "0.5 <= sa < 4"]


def test_describe_prints_a_targets_tolerance():
    check = ConditionFilter(build_conditions(["qed=0.8", "mw<=450", "qed<=0.82"]))
    assert check.describe() == ["mw <= 450", "qed = 0.8 +/- 0.05, so 0.75 <= qed <= 0.82"]
    # a target alone: its window is inclusive at both ends, whatever the float sum gives
    for target, window in (("qed=0.8", "0.75 <= qed <= 0.85"), ("qed=0.7", "0.65 <= qed <= 0.75"),
                           ("tpsa=70.1", "60.1 <= tpsa <= 80.1"),
                           # cut to what the property can take: QED stops at 1, SA starts at 1, TPSA at 0
                           ("qed=0.96", "0.91 <= qed <= 1"), ("sa=1.2", "1 <= sa <= 1.7"), ("tpsa=5", "0 <= tpsa <= 15")):
        assert ConditionFilter(build_conditions([target])).describe()[0].endswith(f"so {window}")
    assert ConditionFilter(build_conditions(["mw>1234.5678"])).describe() == ["1234.5678 < mw"]


def test_conditions_that_cannot_hold_or_read_are_refused():
    with pytest.raises(ConditionError, match="no molecule can meet every condition on qed"):
        build_conditions(["qed=0.8", "qed>0.9"])
    with pytest.raises(ConditionError, match="finite"):
        build_conditions(["hbd<1e400"])
    # built in Python, from a table's missing value: a NaN was dropped and every molecule said to meet it (a review)
    for built in (Conditions(targets={"qed": float("nan")}), Conditions(ranges={"qed": (float("nan"), None)}),
                  Conditions(ranges={"mw": (None, "500")}), Conditions(targets={"qed": None})):
        with pytest.raises(ConditionError, match="must be a finite number"):
            check_new_conditions(built)
    check_new_conditions(Conditions(ranges={"mw": (None, 500)}))   # an open end is None
    assert build_conditions(["fsp3>=0.3"]).ranges == {"fsp3": (0.3, None)}   # a property name with a digit
    # past what the property can take: refused before any sampling, not a spent budget
    for text, limit in (("qed>=1.2", "at most 0.9485"), ("mw<=-5", "more than 0"), ("hbd<0", "at least 0"),
                        ("qed=1.2", "at most 0.9485"), ("sa<1", "at least 1"), ("0<=mw<=0", "more than 0"),
                        # no molecule's QED passes 0.9484 (a review's QED >= 0.99 spent its budget, then was offered
                        # to continue); a target of 1 keeps 0.95 to 1, past it too
                        ("qed>=0.99", "at most 0.9485"), ("qed=1", "at most 0.9485")):
        with pytest.raises(ConditionError, match=f"no molecule can meet it; .* {limit}"):
            build_conditions([text])
    # a target no molecule has, though its tolerance reaches molecules at the floor (a review: mw=-5 ran a search);
    # refused from text, and from a Conditions built directly (the web app's sliders, Python)
    for text, said in (("mw=-5", "no molecule has mw -5; mw is more than 0"), ("mw=0", "mw is more than 0"),
                       ("tpsa=-5", "no molecule has tpsa -5; tpsa is at least 0")):
        with pytest.raises(ConditionError, match=said):
            build_conditions([text])
        name, value = text.split("=")
        with pytest.raises(ConditionError, match=said):
            check_new_conditions(Conditions(targets={name: float(value)}))
    assert build_conditions(["tpsa=0"]).targets == {"tpsa": 0.0}   # at an inclusive floor: benzene has it
    assert build_conditions(["qed=0.99"]).targets == {"qed": 0.99}   # its window, 0.94 to 1, holds molecules
    with pytest.raises(ConditionError, match="at most 0.9485"):   # the web app's sliders build ranges directly
        check_new_conditions(Conditions(ranges={"qed": (0.96, None)}))
    ConditionFilter(Conditions(ranges={"qed": (0.96, None)}))   # a run stored so is still read
    # the latent push's targets alike, from the command line and the web page (a code review: one refused qed=1,
    # the other pushed towards it, never met)
    from molgen.models.graph_vae.latent import _check_targets
    from molgen.runs.conditions import unreachable_target

    assert "at most 0.9485" in unreachable_target("qed", 1.0) and unreachable_target("qed", 0.97) is None
    with pytest.raises(ValueError, match="at most 0.9485"):
        _check_targets({"qed": 1.0})
    _check_targets({"qed": 0.9, "mw": 350.0})
    assert "no molecule has mw -5" in unreachable_target("mw", -5.0) and unreachable_target("logp", -20.0) is None
    # the bound is what RDKit's QED reaches: each of its eight terms at its best, together (counts whole)
    import math

    from rdkit.Chem import QED

    from molgen.runs.conditions import REACHED_AT_MOST

    best = {name: max(QED.ads(x, parameters) for x in (range(40) if name in ("HBA", "HBD", "ROTB", "AROM", "ALERTS")
                                                       else [i / 10 for i in range(-100, 10_000)]))
            for name, parameters in QED.adsParameters.items()}
    weights = QED.WEIGHT_MEAN._asdict()
    reached = math.exp(sum(weights[n] * math.log(best[n]) for n in best) / sum(weights.values()))
    assert reached <= REACHED_AT_MOST["qed"] < reached + 1e-3
    assert build_conditions(["0<=hbd<=0"]).ranges == {"hbd": (0, 0)}   # a count's floor is reachable: no donor
    with pytest.raises(ConditionError, match="mw is more than 0"):   # the web app's sliders build ranges directly
        ConditionFilter(Conditions(ranges={"mw": (0.0, 0.0)}))
    with pytest.raises(ConditionError, match="qed already has the target 0.8"):
        build_conditions(["qed=0.8", "qed=0.5"])
    assert build_conditions(["qed=0.8", "qed=0.8"]).targets == {"qed": 0.8}
    # one exact value of a continuous property keeps next to nothing (a slider's ends dragged together)
    with pytest.raises(ConditionError, match=r"2 <= logp <= 2 asks for one exact value .* \(logp=2 keeps "
                                             r"1.5 <= logp <= 2.5\)"):
        ConditionFilter(Conditions(ranges={"logp": (2.0, 2.0)}))
    with pytest.raises(ConditionError, match="one exact value"):
        build_conditions(["qed>=0.5", "qed<=0.5"])


@pytest.mark.parametrize("text, words", [("qde>=0.7", "did you mean 'qed'"), ("qed >= high", "cannot read"),
                                         ("qed", "cannot read")])
def test_bad_expressions_say_why(text, words):
    with pytest.raises(ConditionError, match=words):
        parse_condition(text)


def test_contradictory_range_is_refused():
    with pytest.raises(ConditionError, match="cannot be both"):
        build_conditions(["mw>=500", "mw<=300"])


def test_bad_structures_are_refused_before_sampling(capfd):
    with pytest.raises(ConditionError, match="neither valid SMARTS"):
        build_conditions(avoid=["C1CC(("])
    capfd.readouterr()
    with pytest.raises(ConditionError, match=r"similar_to \(--similar-to\): not valid SMILES syntax .*'C1CC\(\('"):
        build_conditions(similar_to="C1CC((:0.4")
    assert "SMILES Parse Error" not in capfd.readouterr().err   # the reason is in the error, not RDKit's log before it
    with pytest.raises(ConditionError, match=r"\[0, 1\]"):
        build_conditions(similar_to="CCO:1.4")


def test_filter_names_every_missed_condition():
    check = ConditionFilter(build_conditions(["mw<=100", "qed=0.9"], scaffold="c1ccccc1", avoid=["[OX2H]"],
                                             similar_to="CCCCCCCCCC:0.9"))
    phenol = Chem.MolFromSmiles("Oc1ccc(CCN)cc1")
    missed = check.failures(phenol)
    assert [m.split()[0] for m in missed] == ["mw", "0.85", "contains", "similarity"]
    assert check.failures(Chem.MolFromSmiles("c1ccccc1")) != []
    assert ConditionFilter(build_conditions(["mw<=100"], scaffold="c1ccccc1")).failures(Chem.MolFromSmiles("Cc1ccccc1")) == []


def test_describe_names_the_structural_conditions_too_and_misses_are_counted_by_condition():
    from molgen.runs.conditions import missed_most

    check = ConditionFilter(build_conditions(["qed>=0.5"], scaffold="c1ccccc1", avoid=["N=N"], similar_to="CCO:0.4"))
    assert check.describe() == ["0.5 <= qed", "contains c1ccccc1", "contains no N=N", "Tanimoto to CCO >= 0.4"]
    # an aliphatic atom avoided alone lets its aromatic form through: said, with the pattern for any (a review: S
    # avoided, 17 of 96 molecules held a thiophene or a thiazole)
    sulfur = ConditionFilter(build_conditions([], avoid=["S", "[#16]", "Cl"]))
    assert sulfur.describe() == ["contains no S (aliphatic sulfur only: an aromatic one, as in thiophene, passes; [#16] "
                                 "is any sulfur)", "contains no [#16]", "contains no Cl"]
    # a bare element only, and what its pattern finds: RDKit reads [Se] as any selenium, As as two atoms; a pattern
    # asking more means what it asks (a review of the first note: [OH], [!c], [C,N] were told of aromatic atoms)
    others = ConditionFilter(build_conditions([], avoid=["[Se]", "[N]", "As", "c", "[OH]", "[!c]", "[C,N]"])).describe()
    assert "as in pyridine" in others[1] and not any("aliphatic" in line for line in others[:1] + others[2:])
    assert sulfur.failures(Chem.MolFromSmiles("Cc1cccs1")) == ["contains avoided [#16]"]   # the thiophene: S passes it
    assert sulfur.failures(Chem.MolFromSmiles("CSC")) == ["contains avoided S", "contains avoided [#16]"]
    # a target on a count keeps one value, said as such (not "2.6 <= rings <= 3.4")
    assert ConditionFilter(build_conditions(["rings=3"])).describe() == ["rings = 3 (a count: exactly)"]
    # ... a fractional one keeps whole numbers, said as them; a window holding none is refused before sampling
    assert ConditionFilter(build_conditions(["hbd=2.5"])).describe() == ["hbd = 2.5 +/- 0.6, so 2 <= hbd <= 3"]
    assert ConditionFilter(build_conditions(["hbd=2.5"])).failures(Chem.MolFromSmiles("CCO")) == ["2 <= hbd <= 3 (hbd 1)"]
    # a name no property has is said as such, before any count is checked (a review: a bare KeyError)
    with pytest.raises(ConditionError, match="unknown property 'ringz'"):
        check_new_conditions(Conditions(targets={"ringz": 2}))
    for asked, said in ((["rings=2.5"], "2.1 <= rings <= 2.9 holds no whole number, and rings is a count: no molecule "
                                         "can meet it; give rings=2 or rings=3"),
                        (["2.1<=rings<=2.9"], "2.1 <= rings <= 2.9 holds no whole number")):
        with pytest.raises(ConditionError, match=re.escape(said)):
            ConditionFilter(build_conditions(asked))
    # ... only a new run: a run stored with one still reads (export, resume, Compare), its window as stored
    assert ConditionFilter(Conditions(targets={"rings": 2.5})).describe() == ["rings = 2.5 +/- 0.4, so 2.1 <= rings <= 2.9"]
    # the hint offers only whole numbers the range allows, and none beside a whole target
    with pytest.raises(ConditionError, match=r"no molecule can meet it; give rings=3$"):
        build_conditions(["rings=2.5", "rings>=2.6"])
    with pytest.raises(ConditionError, match=r"no molecule can meet it$"):
        build_conditions(["rings=3", "rings<=2.9"])
    with pytest.raises(ConditionError, match=re.escape("tpsa cannot be both 0 < tpsa and tpsa <= 0")):
        build_conditions(["tpsa>0", "tpsa<=0"])
    # a strict bound at 0 reads as typed (it was stored as the smallest float and shown as 4.94065645841e-324)
    assert ConditionFilter(build_conditions(["tpsa>0", "logp<0", "qed>0.5"])).describe() == ["0 < tpsa", "logp < 0",
                                                                                             "0.5 < qed"]
    # a reference without a threshold filters nothing: not said as ">= 0"
    assert ConditionFilter(build_conditions(similar_to="CCO")).describe() == \
        ["Tanimoto to CCO reported (no threshold: it keeps every molecule)"]
    failed = ["; ".join(check.failures(Chem.MolFromSmiles(s))) for s in ("CCCC", "c1ccccc1N=Nc1ccccc1", "CCO")]
    # the reference: QED 0.41, no benzene, and no analogue of itself
    assert failed[2].startswith("0.5 <= qed (qed 0.4") and failed[2].endswith("; lacks scaffold c1ccccc1; is the reference itself")
    counts = dict(missed_most(failed, top=10))
    assert counts["lacks scaffold c1ccccc1"] == 2 and counts["0.5 <= qed"] >= 2 and counts["contains avoided N=N"] == 1
    assert all("(" not in what for what in counts)   # each molecule's own value is dropped


def test_a_scaffold_held_with_a_mark_left_bare_is_said_so_not_lacking():
    from molgen.runs.conditions import missed_most

    for scaffold in ("*c1ccc2ncncc2c1", "[*:1]c1ccc2ncncc2c1", "[#6]1:[#6]:[#6](-*):[#6]:[#6]:[#6]:1", "C1=CC=C(*)C=C1"):
        check = ConditionFilter(build_conditions([], scaffold=scaffold))
        bare = "c1ccc2ncncc2c1" if "ncnc" in scaffold else "c1ccccc1"
        assert check.failures(Chem.MolFromSmiles(bare)) == [f"no group at an attachment point of scaffold {scaffold}"]
        assert check.failures(Chem.MolFromSmiles("C" + bare)) == []
        assert check.failures(Chem.MolFromSmiles("CCCC")) == [f"lacks scaffold {scaffold}"]
    # an R-group core: a group at each mark and hydrogen elsewhere, as the table reads it (a review: the filter
    # ranked 6,7-dimethylquinazoline for a 6-* core, and a second ring substituent for a para-* benzene)
    core = ConditionFilter(build_conditions([], scaffold="*c1ccc2ncncc2c1"))
    assert core.failures(Chem.MolFromSmiles("Cc1ccc2ncncc2c1")) == []
    for elsewhere in ("Cc1cc2cncnc2cc1C", "Cc1ccc2ncncc2c1Cl"):
        assert core.failures(Chem.MolFromSmiles(elsewhere)) == \
            ["a group off the attachment points of scaffold *c1ccc2ncncc2c1"], elsewhere
    fluoxetine = ConditionFilter(build_conditions([], scaffold="CNCCC(Oc1ccc(*)cc1)c1ccccc1"))
    assert fluoxetine.failures(Chem.MolFromSmiles("CNCCC(Oc1ccc(C(F)(F)F)cc1)c1ccccc1")) == []
    for elsewhere in ("CN(C)CCC(Oc1ccc(C)cc1)c1ccccc1", "CNCCC(Oc1ccc(C)cc1)c1ccc(F)cc1"):   # the NH kept, as drawn
        assert fluoxetine.failures(Chem.MolFromSmiles(elsewhere))[0].startswith("a group off"), elsewhere
    # an atom of no element ([N,O], a) keeps its neighbours as drawn too: only the written * takes a group
    for scaffold, elsewhere in (("*c1ccc([N,O])cc1", "Cc1ccc(NC)cc1"), ("*c1ccaaa1", "Cc1ccc(C)c(C)c1")):
        assert ConditionFilter(build_conditions([], scaffold=scaffold)).failures(Chem.MolFromSmiles(elsewhere))[0] \
            .startswith("a group off"), scaffold
    # but an atom whose own query speaks of its surroundings keeps it as written (a drawn degree of 1 contradicted
    # [R] or [$(C=O)], and the filter kept no molecule)
    for scaffold, fitting in (("*c1ccc(cc1)[$(C(=O)[OH])]", "Cc1ccc(cc1)C(=O)O"), ("*c1ccc(cc1)[R]", "Cc1ccc(cc1)C1CC1"),
                              ("[C;$(C=O)]c1ccc(*)cc1", "CC(=O)c1ccc(C)cc1"), ("[Br]c1ccc(*)cc1", "Brc1ccc(C)cc1")):
        assert ConditionFilter(build_conditions([], scaffold=scaffold)).failures(Chem.MolFromSmiles(fitting)) == [], scaffold
    # a mark next to a stereo element: the other configuration is said as such (it was "no group at an attachment
    # point": the core without its mark had lost the stereo's reference atom)
    for scaffold, other in (("*/C=C/C(=O)Nc1ccccc1", "C/C=C\\C(=O)Nc1ccccc1"), ("C[C@H](*)C(=O)O", "C[C@@H](N)C(=O)O")):
        assert ConditionFilter(build_conditions([], scaffold=scaffold)).failures(Chem.MolFromSmiles(other)) == \
            [f"scaffold {scaffold} in another configuration"]
    # Browse draws the copy that meets the core, not the first copy of the rings
    from molgen.runs.conditions import scaffold_query
    from molgen.scoring.similarity import substructure_atoms
    two = Chem.MolFromSmiles("Cc1cc2ncncc2cc1CCc1ccc2ncncc2c1")   # a 6,7-disubstituted copy, then a 6-substituted one
    assert min(substructure_atoms(two, scaffold_query("*c1ccc2ncncc2c1"))) >= 12
    # without a mark a scaffold is a substructure: groups anywhere
    assert ConditionFilter(build_conditions([], scaffold="c1ccc2ncncc2c1")).failures(
        Chem.MolFromSmiles("Cc1cc2cncnc2cc1C")) == []
    # two marks, one filled: still a bare mark; the count keeps the two misses apart
    check = ConditionFilter(build_conditions([], scaffold="*c1ccc(*)cc1"))
    failed = ["; ".join(check.failures(Chem.MolFromSmiles(s))) for s in ("Cc1ccccc1", "c1ccccc1", "CCC", "Cc1ccc(C)cc1")]
    assert dict(missed_most(failed)) == {"no group at an attachment point of scaffold *c1ccc(*)cc1": 2,
                                         "lacks scaffold *c1ccc(*)cc1": 1}
    # a group double-bonded at a mark (piperidin-4-one for a 4-* piperidine) is said so, not "no group" there
    marked = ConditionFilter(build_conditions([], scaffold="*C1CCNCC1"))
    for double in ("O=C1CCNCC1", "C=C1CCNCC1"):
        assert marked.failures(Chem.MolFromSmiles(double)) == \
            ["a group double- or triple-bonded at an attachment point of scaffold *C1CCNCC1 (a * is a single bond)"]
    assert marked.failures(Chem.MolFromSmiles("OC1CCNCC1")) == []
    # two groups on the marked atom are said so; a group on another atom is "off the attachment points"
    assert marked.failures(Chem.MolFromSmiles("CC1(C)CCNCC1")) == \
        ["more than one group at an attachment point of scaffold *C1CCNCC1 (a * takes one)"]
    assert marked.failures(Chem.MolFromSmiles("CC1CCN(C)CC1"))[0].startswith("a group off")
    assert marked.failures(Chem.MolFromSmiles("C1CCNCC1")) == ["no group at an attachment point of scaffold *C1CCNCC1"]
    # a deuterium written as an atom is a hydrogen to the scaffold's reading, not a group (a review)
    assert marked.failures(Chem.MolFromSmiles("[2H]C1(C)CCNCC1")) == [] == marked.failures(Chem.MolFromSmiles("CC1CCN([2H])CC1"))
    assert marked.failures(Chem.MolFromSmiles("[2H]C1([2H])CCNCC1")) == \
        ["no group at an attachment point of scaffold *C1CCNCC1"]
    for scaffold, deuterated in (("[NH2]Cc1ccccc1", "[2H]N([2H])Cc1ccccc1"), ("[NH2]Cc1ccccc1", "[2H]NCc1ccccc1"),
                                 ("O=C1CC[NH]CC1", "O=C1CCN([2H])CC1")):   # a bracketed H count read after the fold
        assert ConditionFilter(build_conditions([], scaffold=scaffold)).failures(Chem.MolFromSmiles(deuterated)) == []
    # a group on an atom written with its hydrogens is said so (N-methylindole "lacked" indole), marked or not
    for scaffold, substituted in (("c1ccc2[nH]ccc2c1", "Cn1ccc2ccccc21"), ("*c1ccc2[nH]ccc2c1", "Cc1ccc2n(C)ccc2c1"),
                                  ("[NH2]Cc1ccccc1", "CNCc1ccccc1")):
        assert ConditionFilter(build_conditions([], scaffold=scaffold)).failures(Chem.MolFromSmiles(substituted)) == \
            [f"a group on an atom scaffold {scaffold} writes with its hydrogens (a bracketed H, as in [nH] or [NH2], "
             "is held as written)"], scaffold
    assert ConditionFilter(build_conditions([], scaffold="c1ccc2[nH]ccc2c1")).failures(Chem.MolFromSmiles("c1ccccc1")) \
        == ["lacks scaffold c1ccc2[nH]ccc2c1"]
    # a tautomer or a charged form holds it by elements too, with no group: not said to have one (a code review)
    for scaffold, other in (("Cc1ccc2[nH]cnc2c1", "Cc1ccc2nc[nH]c2c1"), ("[NH2]Cc1ccccc1", "[NH3+]Cc1ccccc1"),
                            ("c1ccc2[nH]ccc2c1", "c1ccc2[n-]ccc2c1")):
        assert ConditionFilter(build_conditions([], scaffold=scaffold)).failures(Chem.MolFromSmiles(other)) == \
            [f"lacks scaffold {scaffold}"], scaffold
    # a * inside a ring is any atom, not a mark: pentane holds the ring with it taken out, and still lacks it
    assert ConditionFilter(build_conditions([], scaffold="C1CC*CC1")).failures(Chem.MolFromSmiles("CCCCC")) == \
        ["lacks scaffold C1CC*CC1"]
    # nor is a query atom with no element a mark: toluene lacks the acid or the N/O, it has a group there
    for scaffold in ("c1ccccc1[$(C(=O)O)]", "c1ccccc1[N,O]", "c1ccccc1[R]", "c1ccccc1[!C]"):
        assert ConditionFilter(build_conditions([], scaffold=scaffold)).failures(Chem.MolFromSmiles("Cc1ccccc1")) == \
            [f"lacks scaffold {scaffold}"]


def test_stereo_written_in_a_scaffold_or_an_avoided_group_is_honoured():
    # L-alanine kept: its methyl ester keeps it, the D ester does not; one with the centre unassigned may be either
    keep = ConditionFilter(build_conditions([], scaffold="C[C@H](N)C(=O)O"))
    assert keep.failures(Chem.MolFromSmiles("C[C@@H](N)C(=O)OC")) == ["scaffold C[C@H](N)C(=O)O in another configuration"]
    assert keep.failures(Chem.MolFromSmiles("C[C@H](N)C(=O)OC")) == []
    assert keep.failures(Chem.MolFromSmiles("CC(N)C(=O)OC")) == []
    assert keep.failures(Chem.MolFromSmiles("N[C@@H](C)C(=O)OC")) == []   # the same centre written another way
    assert keep.describe() == ["contains C[C@H](N)C(=O)O (with its stereo: the other configuration misses it; a centre "
                               "or double bond left unassigned passes)"]
    # an E double bond avoided: the Z isomer is kept, an unassigned one may be E and is flagged
    avoid = ConditionFilter(build_conditions([], avoid=["C/C=C/C"]))
    assert avoid.failures(Chem.MolFromSmiles("C/C=C\\CO")) == []
    assert avoid.failures(Chem.MolFromSmiles("C/C=C/CO")) == ["contains avoided C/C=C/C"]
    assert avoid.failures(Chem.MolFromSmiles("CC=CCO")) == ["contains avoided C/C=C/C"]
    # an atom or bond with no stereo to assign holds the query too: triphenylethylene holds trans-stilbene
    stilbene = ConditionFilter(build_conditions([], avoid=["c1ccccc1/C=C/c1ccccc1"]))
    assert stilbene.failures(Chem.MolFromSmiles("C(=C(c1ccccc1)c1ccccc1)c1ccccc1")) == [
        "contains avoided c1ccccc1/C=C/c1ccccc1"]
    assert ConditionFilter(build_conditions([], scaffold="N[C@@H](C)CC")).failures(Chem.MolFromSmiles("CCC(N)CC")) == []
    # keep (S), avoid (R): every molecule a model writes would miss, so it is refused before sampling
    with pytest.raises(ConditionError, match=r"differs from the substructure to keep, C\[C@H\]\(N\)C\(=O\)O, only in "
                                             r"stereo.*leave C\[C@@H\]\(N\)C\(=O\)O out"):
        ConditionFilter(build_conditions([], scaffold="C[C@H](N)C(=O)O", avoid=["C[C@@H](N)C(=O)O"]))
    with pytest.raises(ConditionError, match="keep the stereoisomer you want"):   # any alanine but the R one
        ConditionFilter(build_conditions([], scaffold="CC(N)C(=O)O", avoid=["C[C@@H](N)C(=O)O"]))
    # without stereo in the query, the molecule's stereo does not matter, as before
    plain = ConditionFilter(build_conditions([], scaffold="CC(N)C(=O)O"))
    assert plain.failures(Chem.MolFromSmiles("C[C@@H](N)C(=O)OC")) == [] and "stereo" not in plain.describe()[0]


def test_a_missed_value_is_shown_with_the_figures_that_put_it_outside_its_window():
    from molgen.runs.conditions import missed_value

    assert missed_value(350.399, None, 350.0) == "350.4"        # not "350", which would read as a pass
    assert missed_value(4.0004, None, 4.0) == "4.0004"
    assert missed_value(512.3, None, 350.0) == "512"             # far off: three figures
    low, _ = build_conditions(["qed>0.7"]).ranges["qed"]
    assert missed_value(0.7, low, None) == "0.7"                 # the strict bound itself fails and reads as it
    heavy = ConditionFilter(build_conditions(["mw<=350"]))
    mw = Descriptors.MolWt(Chem.MolFromSmiles("O=C(NCc1ccco1)c1ccnc(SC2C(=O)c3ccccc32)c1"))
    assert 350 < mw < 350.45
    assert heavy.failures(Chem.MolFromSmiles("O=C(NCc1ccco1)c1ccnc(SC2C(=O)c3ccccc32)c1")) == ["mw <= 350 (mw 350.4)"]


def test_what_the_scaffold_alone_rules_out_is_refused_before_sampling():
    """An avoided group inside the scaffold, or a window the scaffold's heavy atoms already exceed, can never be
    met: refused, naming why. A pattern on hydrogens ([CH3]) is not refused: a molecule may substitute it."""
    from molgen.models.base import Conditions
    from molgen.runs.conditions import ConditionError, ConditionFilter

    refused = [Conditions(scaffold="c1ccc2[nH]ccc2c1", avoid=["c1ccc2[nH]ccc2c1"]),
               Conditions(scaffold="O=[N+]([O-])c1ccccc1", avoid=["[N+](=O)[O-]"]),
               Conditions(scaffold="O=C(Nc1ccc2[nH]ccc2c1)c1ccc(-c2ccccc2)cc1", ranges={"mw": (250.0, 290.0)}),
               Conditions(scaffold="c1ccccc1", ranges={"heavy_atoms": (0.0, 5.0)}),
               # each attachment point asks for a group: at least a carbon more (129.1 + 12.0 for quinazoline)
               Conditions(scaffold="*c1ccc2ncncc2c1", ranges={"mw": (0.0, 140.0)}),
               # a core held as drawn keeps its hydrogens (the methylquinazoline weighs 141.2 at least)
               Conditions(scaffold="*c1ccc2ncncc2c1", ranges={"mw": (0.0, 141.0)}),
               Conditions(scaffold="*c1ccccc1*", ranges={"heavy_atoms": (0.0, 7.0)})]
    for conditions in refused:
        with pytest.raises(ConditionError, match="no molecule can meet every condition: the substructure to keep"):
            ConditionFilter(conditions)
    with pytest.raises(ConditionError, match=r"brings mw 141.2 at least to every molecule holding it \(its atoms with their hydrogens, held as drawn"):
        ConditionFilter(Conditions(scaffold="*c1ccc2ncncc2c1", ranges={"mw": (0.0, 141.0)}))
    # a scaffold that is no core may lose hydrogens to a ring of its own atoms: indoline (119.2) holds NCCc1ccccc1
    check = ConditionFilter(Conditions(scaffold="NCCc1ccccc1", ranges={"mw": (0.0, 120.5)}))
    assert check.failures(Chem.MolFromSmiles("C1Cc2ccccc2N1")) == []
    # a * in a ring or on a double bond is no attachment point: a wildcard, as SMARTS reads it (a stored run's
    # scaffold so written is still read, and the filter-alone note says what the * is)
    from molgen.runs.generate import filter_alone_note

    ring = ConditionFilter(Conditions(scaffold="C1CC*CC1"))
    assert ring.failures(Chem.MolFromSmiles("C1CCNCC1")) == [] == ring.failures(Chem.MolFromSmiles("C1CCCCC1"))
    record = {"model": "smiles-lm", "native": {}, "conditions": {"scaffold": "C1CC*CC1"}}
    assert "its * is no attachment point, which hangs off one atom by a single bond: it is read as any atom" in \
        filter_alone_note(record)
    # a * bonded to one atom is an attachment point in SMARTS too (an R-group core, said so); [!#1] is any atom (a
    # review read O=C(N*)c1ccc[c,n]c1 as SMARTS's any atom, which the help did not say otherwise)
    core = ConditionFilter(Conditions(scaffold="O=C(N*)c1ccc[c,n]c1"))
    assert core.failures(Chem.MolFromSmiles("CNC(=O)c1ccc(Cl)cc1")) == ["a group off the attachment points of scaffold "
                                                                       "O=C(N*)c1ccc[c,n]c1"]
    assert "(an R-group core: a group at each *, none elsewhere on it)" in core.describe()[0]
    anything = ConditionFilter(Conditions(scaffold="O=C(N[!#1])c1ccc[c,n]c1"))
    assert anything.failures(Chem.MolFromSmiles("CNC(=O)c1ccc(Cl)cc1")) == [] == \
        anything.failures(Chem.MolFromSmiles("CN(C)C(=O)c1ccccc1"))
    # a Kekulé * keeps the order of its bond: *=N is an imine, not an amine (an avoided group was reversed)
    imine = ConditionFilter(Conditions(avoid=["*=NC1=CC=CC=C1"]))
    assert imine.failures(Chem.MolFromSmiles("CNc1ccccc1")) == []
    assert imine.failures(Chem.MolFromSmiles("C=Nc1ccccc1")) == ["contains avoided *=NC1=CC=CC=C1"]
    # a new run refuses a pattern on hydrogens the scaffold holds as written (a review's benzimidazole [nH], avoided
    # as an [nH] imidazole, spent its budget and ranked nothing), and on an R-group core's held hydrogens; a stored
    # run so asked is still read (shown, exported)
    from molgen.runs.conditions import check_new_conditions

    for conditions in (Conditions(scaffold="c1ccc2[nH]cnc2c1", avoid=["c1ncc[nH]1"]),
                       Conditions(scaffold="c1ccc2[nH]cnc2c1", avoid=["[nH]"]),
                       Conditions(scaffold="*c1ccccc1", avoid=["[cH]"])):
        with pytest.raises(ConditionError, match="holds .* in every molecule keeping it"):
            check_new_conditions(conditions)
        assert ConditionFilter(conditions).failures(Chem.MolFromSmiles("CCCC")) == [f"lacks scaffold {conditions.scaffold}"]
    # hydrogens a molecule may give up, and degree, ring or connectivity, which a C=O or a new ring changes (a code
    # review: indane, acetic acid and acetamide meet these)
    for scaffold, avoid in (("c1ccc2[nH]ccc2c1", "[cH]"), ("C1CNCCN1", "[NH]"), ("Cc1ccccc1", "[C;!R]"),
                            ("CO", "[CX4]O"), ("CCN", "[CX4]N"), ("CCN", "[N;R0]"), ("C1CC*CC1", "[CH2]"),
                            ("CN", "[N;!H1]"), ("CC", "[C;!H2]")):   # CNC, CCC meet these (negated hydrogens)
        check_new_conditions(Conditions(scaffold=scaffold, avoid=[avoid]))
        ConditionFilter(Conditions(scaffold=scaffold, avoid=[avoid]))
    for conditions in (Conditions(scaffold="Cc1ccccc1", avoid=["[CH3]"]),   # OCc1ccccc1 keeps it, without a CH3
                       Conditions(scaffold="c1ccccc1", avoid=["[N+](=O)[O-]"], ranges={"mw": (0.0, 100.0)}),
                       Conditions(scaffold="c1ccc2ncncc2c1", ranges={"mw": (0.0, 135.0)}),   # unmarked: 124.1
                       Conditions(scaffold="[c;R]1[c;R][c;R][c;R][c;R][c;R]1", ranges={"mw": (0.0, 50.0)})):   # SMARTS
        ConditionFilter(conditions)


def test_counts_a_scaffold_already_has_rule_out_a_window_before_sampling():
    """From a generation review: indole under rings<=1, its [nH] under hbd<1 and benzene under aromatic_rings<1
    sampled to the end of the budget ("missed most often: rings <= 1"); a molecule holding a scaffold has at least
    its rings, its aromatic rings and the donors it writes with their hydrogens."""
    from rdkit.Chem import rdMolDescriptors

    from molgen.runs.conditions import _DONOR

    refused = {("c1ccc2[nH]ccc2c1", "rings<=1"): "brings rings 2 at least to every molecule holding it (its rings, which every molecule holding it has)",
               ("C1CC2CCC1C2", "rings<=1"): "brings rings 2 at least",   # a bridged ring system: two independent rings
               ("c1ccccc1", "aromatic_rings<1"): "brings aromatic_rings 1 at least to every molecule holding it (its aromatic rings, which stay aromatic)",
               ("c1ccc2[nH]ccc2c1", "hbd<1"): "brings hbd 1 at least to every molecule holding it (its NH or OH written with their hydrogens",
               ("[NH2]c1ccc([OH])cc1", "hbd<=1"): "brings hbd 2 at least"}
    for (scaffold, condition), said in refused.items():
        with pytest.raises(ConditionError, match=re.escape(said)):
            ConditionFilter(build_conditions([condition], scaffold=scaffold))
    # an atom written without its hydrogens may give one up to a group (aniline's N-methyl, Kekulé indole's
    # N-benzyl); a * adds no ring; a SMARTS query bounds nothing
    for scaffold, condition in (("Nc1ccccc1", "hbd<1"), ("C1=CC=C2C(=C1)C=CN2", "hbd<1"), ("*c1ccccc1", "rings<=1"),
                                ("[#6]1~[#6]~[#6]~[#6]~[#6]~[#6]~1", "aromatic_rings<1"), ("c1ccc2[nH]ccc2c1", "rings<=2")):
        ConditionFilter(build_conditions([condition], scaffold=scaffold))
    # the donors counted as RDKit's hbd counts them
    for smiles in ("c1ccc2[nH]ccc2c1", "NCc1ccccc1O", "C[NH3+]", "OC(=O)c1ccccc1S", "CN(C)C", "O=c1cc[nH]cc1"):
        mol = Chem.MolFromSmiles(smiles)
        assert len(mol.GetSubstructMatches(_DONOR)) == rdMolDescriptors.CalcNumHBD(mol), smiles


def test_a_scaffold_written_bare_is_kept_unranked_as_the_scaffold_itself():
    """From a generation review: diffusion's inpainting grew nothing on indole, and plain indole was ranked 49th,
    novel and counted among the molecules asked for; a chemist keeping a scaffold has it already."""
    check = ConditionFilter(build_conditions(["mw<=400"], scaffold="C[C@H](N)c1ccccc1"))
    assert check.failures(Chem.MolFromSmiles("CC(N)c1ccccc1")) == ["is the scaffold itself"]   # stereo aside
    assert check.failures(Chem.MolFromSmiles("C[C@H](N)c1ccccc1")) == ["is the scaffold itself"]
    assert check.failures(Chem.MolFromSmiles("CC(N)c1ccc(F)cc1")) == []   # a molecule built on it
    # with marks, a bare core already misses its groups; a SMARTS scaffold is no molecule to be
    assert check.failures(Chem.MolFromSmiles("CC(N)c1ccccc1")) == ["is the scaffold itself"]
    marked = ConditionFilter(build_conditions([], scaffold="*c1ccncc1"))
    assert marked.failures(Chem.MolFromSmiles("c1ccncc1")) == ["no group at an attachment point of scaffold *c1ccncc1"]
    assert ConditionFilter(build_conditions([], scaffold="[#6]1:[#6]:[#6]:[#6]:[#6]:[#6]:1")).failures(
        Chem.MolFromSmiles("c1ccccc1")) == []


def test_the_reference_itself_is_no_analogue_of_it():
    check = ConditionFilter(build_conditions([], similar_to="C[C@H](N)C(=O)Oc1ccccc1:0.3"))
    assert check.failures(Chem.MolFromSmiles("CC(N)C(=O)Oc1ccccc1")) == ["is the reference itself"]   # stereo aside
    assert check.failures(Chem.MolFromSmiles("CC(N)C(=O)Oc1ccccc1C")) == []   # an analogue


def test_a_kept_scaffolds_stereocentres_are_set_on_the_molecules_holding_it_unassigned():
    """From a lead-optimisation review: an (S)-linezolid scaffold's completions came back racemic."""
    from types import SimpleNamespace

    from molgen.runs.generate import _process_chunk
    from molgen.scoring.profiles import load_profile

    check = ConditionFilter(build_conditions(scaffold="CC(=O)NC[C@H]1CN(c2ccc(*)c(F)c2)C(=O)O1"))
    linezolid = "CC(=O)NC[C@H]1CN(c2ccc(N3CCOCC3)c(F)c2)C(=O)O1"
    flat, other = "CC(=O)NCC1CN(c2ccc(N3CCOCC3)c(F)c2)C(=O)O1", "CC(=O)NC[C@@H]1CN(c2ccc(N3CCOCC3)c(F)c2)C(=O)O1"
    assert Chem.MolToSmiles(check.with_scaffold_stereo(Chem.MolFromSmiles(flat))) == linezolid
    assert Chem.MolToSmiles(check.with_scaffold_stereo(Chem.MolFromSmiles(other))) == other   # written: kept
    samples = [SimpleNamespace(smiles=s, log_likelihood=-1.0, meta={}) for s in (flat, flat, other, "CCO")]
    table, _, n_valid, duplicates = _process_chunk(samples, set(), check, load_profile("drug-like"), None, "t", 0, 1,
                                                   carry_stereo=True)
    assert n_valid == 4 and duplicates == 1
    met = dict(zip(table["smiles"], table["meets_conditions"]))
    assert met == {linezolid: True, other: False, "CCO": False}
    # a training molecule written flat is no new molecule for the stereo the run set on it
    trained, _, _, _ = _process_chunk(samples[:1], set(), check, load_profile("drug-like"), frozenset({flat}), "t", 0,
                                      1, carry_stereo=True)
    assert trained["smiles"].tolist() == [linezolid] and trained["novel"].tolist() == [False]
    # a run stored before keeps its molecules as sampled, so its resume stores no second form of one it has
    before, _, _, _ = _process_chunk(samples[:1], set(), check, load_profile("drug-like"), None, "t", 0, 1)
    assert before["smiles"].tolist() == [flat]
    # an atom that is no stereocentre in the molecule (two equal branches) is left alone
    butylamine = ConditionFilter(build_conditions(scaffold="CC[C@H](C)N"))
    pentan_3_amine = Chem.MolFromSmiles("CCC(CC)N")
    assert Chem.MolFromSmiles("CCC(CC)N").HasSubstructMatch(butylamine._scaffold)   # it matches, and is no centre
    assert Chem.MolToSmiles(butylamine.with_scaffold_stereo(pentan_3_amine)) == "CCC(N)CC"
    # two copies: each set to the scaffold's configuration (one was set the other way while the first matched),
    # and a copy written already is kept
    from rdkit.Chem import FindMolChiralCenters

    ester = ConditionFilter(build_conditions(scaffold="C[C@H](N)C(=O)OC"))   # (S)-alanine methyl ester
    for smiles, expected in (("CC(N)C(=O)OCCOC(=O)C(C)N", ["S", "S"]), ("C[C@H](N)C(=O)OCCOC(=O)C(C)N", ["S", "S"]),
                             ("CC(N)C(=O)OCCOC(=O)[C@H](C)N", ["S", "S"]),
                             ("CC(N)C(=O)OCCOC(=O)[C@@H](C)N", ["R", "S"])):   # an R written is kept (and filtered)
        carried = ester.with_scaffold_stereo(Chem.MolFromSmiles(smiles))
        labels = sorted(label for _, label in FindMolChiralCenters(carried, includeUnassigned=True))
        assert labels == expected, (smiles, Chem.MolToSmiles(carried), labels)


def test_a_kept_scaffolds_double_bond_geometry_is_set_on_the_molecules_holding_it_unassigned():
    """Afatinib's (E)-crotonamide warhead kept as the scaffold: a completion written without geometry gets E."""
    warhead = ConditionFilter(build_conditions(scaffold="CN(C)C/C=C/C(=O)Nc1ccccc1"))
    flat = Chem.MolFromSmiles("CN(C)CC=CC(=O)Nc1ccc(F)cc1")
    assert Chem.MolToSmiles(warhead.with_scaffold_stereo(flat)) == "CN(C)C/C=C/C(=O)Nc1ccc(F)cc1"
    written_z = "CN(C)C/C=C\\C(=O)Nc1ccc(F)cc1"   # the model's own Z is kept (and fails the scaffold)
    assert Chem.MolToSmiles(warhead.with_scaffold_stereo(Chem.MolFromSmiles(written_z))) == written_z
    assert warhead.failures(Chem.MolFromSmiles(written_z)) == ["scaffold CN(C)C/C=C/C(=O)Nc1ccccc1 in another configuration"]
    # a Z scaffold sets Z; a centre and a double bond together are both set
    cis = ConditionFilter(build_conditions(scaffold="COc1ccc(/C=C\\c2ccccc2)cc1"))
    carried = cis.with_scaffold_stereo(Chem.MolFromSmiles("COc1ccc(C=Cc2ccc(O)cc2)cc1"))
    assert Chem.MolToSmiles(carried) == Chem.MolToSmiles(Chem.MolFromSmiles("COc1ccc(/C=C\\c2ccc(O)cc2)cc1"))
    both = ConditionFilter(build_conditions(scaffold="C[C@H](N)/C=C/C(=O)O"))
    carried = both.with_scaffold_stereo(Chem.MolFromSmiles("CC(N)C=CC(=O)OC"))
    assert Chem.MolToSmiles(carried) == Chem.MolToSmiles(Chem.MolFromSmiles("C[C@H](N)/C=C/C(=O)OC"))
    # a molecule written the other way round (its bond runs from the scaffold's end atom to its begin atom), and
    # two copies: each set
    reversed_order = both.with_scaffold_stereo(Chem.MolFromSmiles("CC(N)C=CC(=O)OCCOC(=O)C=CC(C)N"))
    assert Chem.MolToSmiles(reversed_order) == Chem.MolToSmiles(Chem.MolFromSmiles(
        "C[C@H](N)/C=C/C(=O)OCCOC(=O)/C=C/[C@H](C)N"))
    # a double bond that is no stereo bond in the molecule (a terminal =CH2) is left alone
    vinyl = ConditionFilter(build_conditions(scaffold="C/C=C/C"))
    assert Chem.MolToSmiles(vinyl.with_scaffold_stereo(Chem.MolFromSmiles("CC(C)=CC"))) == "CC=C(C)C"


def test_a_new_run_refuses_a_salt_reference_and_a_similarity_of_one_and_an_open_range_is_no_condition():
    """From a web review: a salt reference was compared whole (the counter-ion's bits lowering every similarity) and
    a threshold of 1 burnt the budget; a range slider left at both limits crashed a conditional model's page."""
    from molgen.runs.conditions import check_new_reference

    with pytest.raises(ConditionError, match=r"is a salt or mixture: give the one molecule to stay near, e\.g\. its "
                                             r"parent CC\(=O\)Nc1ccc\(O\)cc1"):
        check_new_reference(build_conditions([], similar_to="CC(=O)Nc1ccc(O)cc1.Cl:0.4"))
    with pytest.raises(ConditionError, match="met only by molecules with its very fingerprint"):
        check_new_reference(build_conditions([], similar_to="CC(=O)Nc1ccc(O)cc1:1"))
    check_new_reference(build_conditions([], similar_to="CC(=O)Nc1ccc(O)cc1:0.9"))
    with pytest.raises(ConditionError) as error:   # no organic parent to offer
        check_new_reference(build_conditions([], similar_to="[Na+].[Cl-]:0.4"))
    assert "e.g." not in str(error.value)
    # a run stored with one still reads
    assert ConditionFilter(build_conditions([], similar_to="CC(=O)Nc1ccc(O)cc1.Cl:1")).describe()
    open_range = Conditions(ranges={"qed": (None, None), "mw": (None, 450.0)})
    assert open_range.ranges == {"mw": (None, 450.0)}
    assert ConditionFilter(open_range).describe() == ["mw <= 450"]


def test_a_similarity_reference_may_hold_colons_of_its_own():
    """A review: an atom-mapped reference ([CH3:1]...) was refused as "write SMILES:THRESHOLD", and c1:c:c:c:c:c:1
    was cut at its last colon into an unclosed ring."""
    from molgen.runs.conditions import ConditionError, parse_similar_to

    assert parse_similar_to("[CH3:1]C(=O)Nc1ccc(O)cc1") == ("[CH3:1]C(=O)Nc1ccc(O)cc1", 0.0)
    assert parse_similar_to("c1:c:c:c:c:c:1") == ("c1:c:c:c:c:c:1", 0.0)
    assert parse_similar_to("[CH3:1]CC:0.4") == ("[CH3:1]CC", 0.4) and parse_similar_to("CCO:0.4") == ("CCO", 0.4)
    with pytest.raises(ConditionError, match="write SMILES:THRESHOLD"):
        parse_similar_to("xyz:abc")


def test_a_window_few_training_molecules_reach_is_said_as_the_chosen_model_meets_it():
    """A review: "the models trained on it will seldom reach it" was said to the conditional transformer, which
    then reached MW >= 420 with logP >= 4.5 (0% of MOSES) natively in 90 samples."""
    from molgen.runs.conditions import training_share

    windows = {"mw": (420.0, None), "logp": (4.5, None)}
    share, unsteered = training_share(windows)
    assert share < 0.01 and "a model that does not steer logp and mw will seldom reach them" in unsteered
    _, steered = training_share(windows, ["qed", "sa", "logp", "mw", "tpsa"])
    assert "this model steers mw and logp towards them, though it learned little there" in steered
    assert "seldom" not in steered
    _, partly = training_share(windows, ["mw"])   # one of the two steered: the other is left to chance
    assert "a model that does not steer logp will seldom reach them" in partly


def test_a_missed_similarity_reads_below_its_threshold():
    """From a review: 0.2963 against 0.3 read "similarity 0.30 < 0.3"."""
    mol = Chem.MolFromSmiles("CC(=O)Nc1ccc(C)cc1")   # Tanimoto 2/3 to paracetamol
    near = ConditionFilter(Conditions(similar_to="CC(=O)Nc1ccc(O)cc1", min_similarity=0.0)).similarity(mol)
    threshold = round(near, 2)   # 0.67: above it, by less than two decimals show
    assert near < threshold
    missed = ConditionFilter(Conditions(similar_to="CC(=O)Nc1ccc(O)cc1", min_similarity=threshold)).failures(mol)
    shown = re.fullmatch(r"similarity ([0-9.]+) < ([0-9.]+)", missed[0])
    assert shown and float(shown[1]) < float(shown[2]) == threshold


def test_an_avoided_group_that_reads_as_smarts_only_is_said():
    """From a review: --avoid c1cccc1 (benzene missing an atom) read as a SMARTS five-ring that no molecule holds, and
    the run avoided nothing without a word."""
    said = ConditionFilter(Conditions(avoid=["c1cccc1", "[N+](=O)[O-]", "[#6]~[#7]"])).describe()
    assert said[0].startswith("contains no c1cccc1 (read as a SMARTS pattern: it is not valid SMILES, kekulization fails")
    assert said[1:] == ["contains no [N+](=O)[O-]", "contains no [#6]~[#7]"]   # a SMILES; a SMARTS written as one
    # ordinary SMARTS with an aromatic atom in no ring (aniline's cN, an aromatic nitro): meant, not said
    chains = ["cN", "c[N+](=O)[O-]", "c-Cl", "cC(=O)O"]
    assert ConditionFilter(Conditions(avoid=chains)).describe() == [f"contains no {text}" for text in chains]
    # a nitro group written N(=O)=O: no molecule holds it so (RDKit's is charge-separated), so it avoids nothing
    nitro = ConditionFilter(Conditions(avoid=["N(=O)=O"]))
    assert "(read as a SMARTS pattern: it is not valid SMILES, " in nitro.describe()[0]
    assert nitro.failures(Chem.MolFromSmiles("O=[N+]([O-])c1ccccc1")) == []


def test_a_pattern_with_a_space_inside_is_refused_for_a_new_run_and_read_as_before_for_a_stored_one():
    """RDKit reads a pattern up to its first space: "C(=O)Cl c1ccccc1" avoided the acid chloride alone, while the web
    app showed both groups as the condition (a review). A stored run so written is still read as it was filtered."""
    for conditions in (build_conditions(avoid=["C(=O)Cl c1ccccc1"]), build_conditions(scaffold="c1ccncc1 CCO")):
        with pytest.raises(ConditionError, match=r"a pattern has no spaces inside it \(RDKit would read only"):
            check_new_conditions(conditions)
    stored = ConditionFilter(Conditions(avoid=["C(=O)Cl c1ccccc1"]))
    assert stored.failures(Chem.MolFromSmiles("CC(=O)Cl")) and not stored.failures(Chem.MolFromSmiles("c1ccccc1"))
    check_new_conditions(build_conditions(avoid=["C[C@H](N)O |&1:1|"]))   # a CXSMILES extension is read by RDKit
    with pytest.raises(ConditionError, match="a pattern has no spaces inside it"):   # two, each with its extension
        check_new_conditions(build_conditions(avoid=["C(=O)Cl |c:1| c1ccccc1 |c:2|"]))
    from molgen.scoring.similarity import refuse_spaces

    with pytest.raises(ValueError, match="a pattern has no spaces inside it; remove the space"):   # one group, cut
        refuse_spaces("[$(C(=O) O)]")
    with pytest.raises(ValueError, match=r"RDKit would read only 'C\(=O\)Cl'\); give each group as a pattern of its "
                                         r"own, or join a group a space cut"):
        refuse_spaces("C(=O)Cl c1ccccc1")


def test_a_pattern_written_as_a_salt_is_refused_with_the_molecule_alone():
    """A review: fluoxetine hydrochloride as the scaffold asked for a chlorine anywhere in each molecule (a run kept
    none of 196), and nitrobenzene.Cl as a group to avoid passed nitrobenzene itself. A stored run so written is
    still read (Compare, export and a resume build its filter)."""
    fluoxetine = "CNCCC(Oc1ccc(C(F)(F)F)cc1)c1ccccc1"
    with pytest.raises(ConditionError, match=r"scaffold: .* written as a salt, hydrate or solvate \(Cl beside the "
                                             r"molecule\).*give the molecule alone, CNCCC\(Oc1ccc\(C\(F\)"):
        check_new_conditions(build_conditions(scaffold=f"{fluoxetine}.Cl"))
    for counter_ion in ("CS(=O)(=O)O", "OC(=O)/C=C/C(=O)O", "[Na+]"):   # a mesylate, a fumarate, sodium
        with pytest.raises(ConditionError, match="beside the molecule"):
            check_new_conditions(build_conditions(avoid=[f"{fluoxetine}.{counter_ion}"]))
    # two parts that may both be compounds are a pattern's own business (both looked for); SMARTS is left as written
    check_new_conditions(build_conditions(avoid=["c1ccccc1.C1CCNCC1", "[#6]1:[#6]:[#6]:[#6]:[#6]:[#6]:1.[Cl]",
                                                 "c1ccccc1.CC(=O)O", "c1ccncc1.CCO"]))   # acetic acid beside a phenyl
    with pytest.raises(ConditionError, match=r"\[Na\] beside the molecule"):   # a metal written uncharged too
        check_new_conditions(build_conditions(avoid=["O=[N+]([O-])c1ccccc1.[Na]"]))
    # a small drug's salt is a salt whatever its size (a review: a size rule let betahistine mesilate through): an
    # acid beside a base, or a charge written
    for salt in ("CNCCc1ccccn1.CS(=O)(=O)O", "NCCS.O=C(O)C(O)C(O)C(=O)O", "*c1ccc(CCN(C)C)cc1.CS(=O)(=O)O",
                 "C[n+]1ccccc1/C=N/O.CS(=O)(=O)[O-]"):
        with pytest.raises(ConditionError, match="beside the molecule"):
            check_new_conditions(build_conditions(avoid=[salt]))
    check_new_conditions(build_conditions(avoid=["O=[N+]([O-])c1ccccc1.CC(=O)O"]))   # no base: a nitro is no salt
    # an imidazole's salt and a whole molecule's solvate are refused too (a review: the pairing rule alone let
    # zolpidem tartrate and darunavir-like ethanolates through)
    for salt in ("Cc1ccc(-c2nc3ccc(C)cn3c2CC(=O)N(C)C)cc1.O=C(O)C(O)C(O)C(=O)O", f"{fluoxetine}.CCO"):
        with pytest.raises(ConditionError, match="beside the molecule"):
            check_new_conditions(build_conditions(avoid=[salt]))
    check_new_conditions(build_conditions(avoid=["c1cncnc1.CC(=O)O", "C[N+](C)(C)Cc1ccccc1.CCO"]))
    with pytest.raises(ConditionError, match="min_similarity must be a number from 0 to 1, not '0.5'"):
        check_new_conditions(Conditions(similar_to="c1ccccc1O", min_similarity="0.5"))
    stored = ConditionFilter(Conditions(scaffold=f"{fluoxetine}.Cl", ranges={"mw": (float("nan"), 400)}))
    assert stored.describe()   # a run stored before these checks still reads
