import pytest
from rdkit import Chem

from molgen.scoring.alerts import expand_alert_sets, find_alerts, moses_filter_alerts
from molgen.scoring.rules import check_rule


def mol(smiles):
    return Chem.MolFromSmiles(smiles)


def test_azobenzene_hits_named_pains_brenk_and_nih_alerts():
    hits = find_alerts(mol("c1ccc(N=Nc2ccccc2)cc1"), ["pains", "brenk", "nih"])
    assert "pains_a:azo_A(324)" in hits
    assert "brenk:diazo_group" in hits
    assert "nih:azo_aryl" in hits


def test_clean_molecule_has_no_alerts():
    assert find_alerts(mol("CC(C)Cc1ccc(C(C)C(=O)O)cc1"), ["pains", "nih"]) == []


def test_unknown_alert_set_is_named():
    with pytest.raises(ValueError, match="unknown alert set 'painz'"):
        expand_alert_sets(["painz"])
    assert expand_alert_sets(["pains", "pains_a", "brenk"]) == ["pains_a", "pains_b", "pains_c", "brenk"]


@pytest.mark.network
def test_moses_filter_set(fetched_moses):
    assert moses_filter_alerts(mol("CC(C)Cc1ccc(C(C)C(=O)O)cc1")) == []
    assert moses_filter_alerts(mol("C1CCCCCCC1")) == ["moses:ring of 8 or more atoms"]
    assert moses_filter_alerts(mol("C[N+](C)(C)C")) == ["moses:charged atom"]
    assert moses_filter_alerts(mol("CCP(C)C")) == ["moses:element P"]
    azo = moses_filter_alerts(mol("c1ccc(N=Nc2ccccc2)cc1"))
    assert "moses:azo_A(324)" in azo and any(h.startswith("moses:MCF") for h in azo)


def test_lipinski_allows_one_violation_and_names_the_terms():
    one = {"mw": 550, "logp": 3, "hbd": 1, "hba": 5}
    two = {"mw": 550, "logp": 6, "hbd": 1, "hba": 5}
    assert check_rule("lipinski", one).passed
    result = check_rule("lipinski", two)
    assert not result.passed and result.violations == ("mw <= 500", "logp <= 5")
    assert not check_rule("lipinski", one, allowed_violations=0).passed


def test_ghose_and_lead_likeness_ranges():
    inside = {"logp": 2, "mw": 300, "molar_refractivity": 80, "atoms": 40}
    assert check_rule("ghose", inside).passed
    assert check_rule("ghose", {**inside, "mw": 150}).violations == ("160 <= mw <= 480",)
    assert check_rule("lead_likeness", {"mw": 300, "logp": 3.0, "rotatable_bonds": 5}).passed
    assert check_rule("veber", {"rotatable_bonds": 11, "tpsa": 150}).violations == ("rotatable_bonds <= 10", "tpsa <= 140")
