"""Counter-ions and solvents of pharmaceutical salts and solvates, recognised as such in a mixture.

The parent of a salt is its largest organic fragment (RDKit's chooser), unless that fragment is the counter-ion:
pamoic acid (29 heavy atoms) outweighs olanzapine (22), hydroxyzine (25) and pyrantel (14); meglumine outweighs
many acids it is paired with, docusate most bases. RDKit's own salt and fragment lists stop at inorganic ions
and a few small acids. This list holds the common salt formers of marketed drugs (after the FDA-approved salt
forms reviewed by Paulekuhn, Dressman and Saal, J. Med. Chem. 2007, 50, 6665) and crystallisation solvents, each
as its neutral form: a fragment is one when it is, once neutralized, without stereo or isotope labels. Those that
are drugs too (salicylate, lysine, choline, ...) are listed, and set aside only beside a compound that is no listed
salt former: in metformin salicylate metformin is the drug, in morpholine salicylate the salicylate.
"""

from __future__ import annotations

from functools import lru_cache

from rdkit import Chem

#: name -> the neutral form's SMILES (stereo left out: D- and L-tartrate, maleate and fumarate are each one entry).
COUNTERIONS = {
    # sulfonates
    "mesylate": "CS(=O)(=O)O", "esylate": "CCS(=O)(=O)O", "edisylate": "O=S(=O)(O)CCS(=O)(=O)O",
    "isethionate": "O=S(=O)(O)CCO", "besylate": "O=S(=O)(O)c1ccccc1", "tosylate": "Cc1ccc(S(=O)(=O)O)cc1",
    "closylate": "O=S(=O)(O)c1ccc(Cl)cc1", "napsylate": "O=S(=O)(O)c1ccc2ccccc2c1",
    "napadisylate": "O=S(=O)(O)c1cccc2c(S(=O)(=O)O)cccc12", "camsylate": "CC1(C)C2CCC1(CS(=O)(=O)O)C(=O)C2",
    "cyclamate": "O=S(=O)(O)NC1CCCCC1", "lauryl sulfate (estolate)": "CCCCCCCCCCCCOS(=O)(=O)O",
    "docusate": "CCCCC(CC)COC(=O)CC(C(=O)OCC(CC)CCCC)S(=O)(=O)O",
    # carboxylates
    "formate": "O=CO", "acetate": "CC(=O)O", "trifluoroacetate": "O=C(O)C(F)(F)F", "propionate": "CCC(=O)O",
    "oxalate": "O=C(O)C(=O)O", "malonate": "O=C(O)CC(=O)O", "succinate": "O=C(O)CCC(=O)O",
    "glutarate": "O=C(O)CCCC(=O)O", "adipate": "O=C(O)CCCCC(=O)O", "maleate/fumarate": "O=C(O)C=CC(=O)O",
    "malate": "O=C(O)CC(O)C(=O)O", "tartrate": "O=C(O)C(O)C(O)C(=O)O", "citrate": "O=C(O)CC(O)(CC(=O)O)C(=O)O",
    "lactate": "CC(O)C(=O)O", "glycolate": "O=C(O)CO", "gluconate": "O=C(O)C(O)C(O)C(O)C(O)CO",
    "glucuronate": "O=C(O)C1OC(O)C(O)C(O)C1O", "lactobionate": "O=C(O)C(O)C(O)C(OC1OC(CO)C(O)C(O)C1O)C(O)CO",
    "benzoate": "O=C(O)c1ccccc1", "salicylate": "O=C(O)c1ccccc1O", "mandelate": "O=C(O)C(O)c1ccccc1",
    "hippurate": "O=C(O)CNC(=O)c1ccccc1", "gentisate": "O=C(O)c1cc(O)ccc1O",
    "xinafoate": "O=C(O)c1ccc2ccccc2c1O", "pamoate (embonate)": "O=C(O)c1cc2ccccc2c(Cc2c(O)c(C(=O)O)cc3ccccc23)c1O",
    "orotate": "O=C(O)c1cc(=O)[nH]c(=O)[nH]1", "nicotinate": "O=C(O)c1cccnc1", "aspartate": "NC(CC(=O)O)C(=O)O",
    "glutamate": "NC(CCC(=O)O)C(=O)O", "laurate": "CCCCCCCCCCCC(=O)O", "palmitate": "CCCCCCCCCCCCCCCC(=O)O",
    "stearate": "CCCCCCCCCCCCCCCCCC(=O)O", "oleate": "CCCCCCCCC=CCCCCCCCC(=O)O",
    # other acids
    "saccharinate": "O=C1NS(=O)(=O)c2ccccc21", "teoclate": "Cn1c(=O)c2[nH]c(Cl)nc2n(C)c1=O",
    "pidolate": "O=C(O)C1CCC(=O)N1", "triflate": "O=S(=O)(O)C(F)(F)F", "trichloroacetate": "O=C(O)C(Cl)(Cl)Cl",
    "methyl sulfate (metilsulfate)": "COS(=O)(=O)O",
    "dibenzoyltartrate": "O=C(O)C(OC(=O)c1ccccc1)C(OC(=O)c1ccccc1)C(=O)O",
    "ditoluoyltartrate": "Cc1ccc(C(=O)OC(C(=O)O)C(OC(=O)c2ccc(C)cc2)C(=O)O)cc1",
    "picrate": "O=[N+]([O-])c1cc([N+](=O)[O-])c(O)c([N+](=O)[O-])c1",
    # bases and cations
    "meglumine": "CNCC(O)C(O)C(O)C(O)CO", "tromethamine": "NC(CO)(CO)CO", "benzathine": "c1ccc(CNCCNCc2ccccc2)cc1",
    "olamine": "NCCO", "diolamine": "OCCNCCO", "trolamine": "OCCN(CCO)CCO", "deanol": "CN(C)CCO",
    "epolamine": "OCCN1CCCC1", "choline": "C[N+](C)(C)CCO", "diethylamine": "CCNCC",
    "erbumine (tert-butylamine)": "CC(C)(C)N", "dicyclohexylamine": "C1CCC(NC2CCCCC2)CC1", "piperazine": "C1CNCCN1",
    "lysine": "NCCCCC(N)C(=O)O", "arginine": "N=C(N)NCCCC(N)C(=O)O", "triethylamine": "CCN(CC)CC",
    "morpholine": "C1COCCN1", "imidazole": "c1c[nH]cn1", "ethylenediamine": "NCCN",
}


#: Solvents of solvates: name -> SMILES. Counted among :data:`COUNTERIONS`; set aside beside a metal's compound too.
SOLVENTS = {
    "methanol": "CO", "ethanol": "CCO", "isopropanol": "CC(C)O", "acetone": "CC(C)=O", "acetonitrile": "CC#N",
    "dimethyl sulfoxide": "CS(C)=O", "dimethylformamide": "CN(C)C=O", "diethyl ether": "CCOCC",
    "ethyl acetate": "CCOC(C)=O", "dichloromethane": "ClCCl", "chloroform": "ClC(Cl)Cl", "tetrahydrofuran": "C1CCOC1",
    "dioxane": "C1COCCO1", "toluene": "Cc1ccccc1", "heptane": "CCCCCCC", "tert-butyl methyl ether": "COC(C)(C)C",
    "1-propanol": "CCCO", "1-butanol": "CCCCO", "2-butanol": "CCC(C)O", "ethylene glycol": "OCCO",
    "methyl ethyl ketone": "CCC(C)=O", "hexane": "CCCCCC", "pyridine": "c1ccncc1", "N-methylpyrrolidone": "CN1CCCC1=O",
    "dimethylacetamide": "CC(=O)N(C)C", "2-methyltetrahydrofuran": "CC1CCCO1",
}
COUNTERIONS.update(SOLVENTS)

#: Carbon compounds chemists count as inorganic, each as its neutral form: a fragment that is one of them (lithium
#: carbonate's carbonate, potassium cyanide's cyanide) is no organic compound, as chloride is none. A list, not a
#: rule: the salts' anions of pharmacy and the small gases; cyanamide, carbides and fulminates are not on it (calcium
#: carbide's parent reads as acetylene). The scoring alert ``inorganic`` is of molecules with no carbon atom at
#: all: a molecule of this list (HCN) passes it.
INORGANIC_CARBON = {
    "carbonic acid": "O=C(O)O", "carbon dioxide": "O=C=O", "carbon monoxide": "[C-]#[O+]",
    "hydrogen cyanide": "C#N", "cyanic acid": "N#CO", "isocyanic acid": "N=C=O", "thiocyanic acid": "N#CS",
    "isothiocyanic acid": "N=C=S", "carbon disulfide": "S=C=S", "carbonyl sulfide": "O=C=S",
}


#: Listed salt formers that are drugs of their own (morpholine salicylate is a salicylate, arginine pidolate an
#: arginine): they are not set aside, but beside a compound that is no listed salt former they are its counter-ion
#: (aspirin lysine is aspirin's salt, metformin salicylate metformin's); two of them, the heavier is the parent.
DRUGS_TOO = frozenset({"salicylate", "nicotinate", "benzoate", "mandelate", "gentisate", "orotate", "aspartate",
                       "glutamate", "lysine", "arginine", "choline", "piperazine", "teoclate"})
# (tromethamine is not among them: a salt former above all, and as large as fosfomycin in fosfomycin trometamol)


def _key(mol: Chem.Mol) -> str:
    """A fragment as the list is matched: neutralized, without stereo or isotope labels, canonical."""
    from molgen.chem.standardize import neutralize

    plain = Chem.Mol(neutralize(mol))
    for atom in plain.GetAtoms():
        atom.SetIsotope(0)
    return Chem.MolToSmiles(plain, isomericSmiles=False)


@lru_cache(maxsize=1)
def _keys() -> frozenset[str]:
    return frozenset(_key(Chem.MolFromSmiles(smiles)) for name, smiles in COUNTERIONS.items() if name not in DRUGS_TOO)


@lru_cache(maxsize=1)
def _inorganic_carbon_keys() -> frozenset[str]:
    return frozenset(_key(Chem.MolFromSmiles(smiles)) for smiles in INORGANIC_CARBON.values())


def is_organic(fragment: Chem.Mol) -> bool:
    """Whether ``fragment`` holds a carbon and is not one of :data:`INORGANIC_CARBON`, in any charge state."""
    return (any(atom.GetAtomicNum() == 6 for atom in fragment.GetAtoms())
            and _key(fragment) not in _inorganic_carbon_keys())


def may_be_compound(fragment: Chem.Mol) -> bool:
    """Whether ``fragment`` (one fragment of a mixture) is organic (:func:`is_organic`) and no listed counter-ion or
    solvent in any charge state (one that is a drug too, :data:`DRUGS_TOO`, may be the compound). Both tests read
    one key: neutralizing a fragment is most of their cost, in every salt a scorer or the leak guard reads."""
    if not any(atom.GetAtomicNum() == 6 for atom in fragment.GetAtoms()):
        return False
    key = _key(fragment)
    return key not in _inorganic_carbon_keys() and key not in _keys()


@lru_cache(maxsize=1)
def _solvent_keys() -> frozenset[str]:
    return frozenset(_key(Chem.MolFromSmiles(smiles)) for smiles in SOLVENTS.values())


def is_solvent(fragment: Chem.Mol) -> bool:
    """Whether ``fragment`` is a listed solvent of solvates (:data:`SOLVENTS`)."""
    return _key(fragment) in _solvent_keys()


@lru_cache(maxsize=1)
def _listed_keys() -> frozenset[str]:
    return frozenset(_key(Chem.MolFromSmiles(smiles)) for smiles in (*COUNTERIONS.values(), *SOLVENTS.values()))


def is_listed(fragment: Chem.Mol) -> bool:
    """Whether ``fragment`` is a listed counter-ion or solvent in any charge state, those that are drugs too
    (:data:`DRUGS_TOO`: benzoate, lysine) included: a part of a held-out mixture that is one may be a salt former
    shared by other salts, never held out on its own."""
    return _key(fragment) in _listed_keys()


def compound_fragments(mol: Chem.Mol) -> list[Chem.Mol]:
    """The fragments of ``mol`` that may be the compound: the organic ones (:func:`is_organic`) that are not a
    listed counter-ion or solvent, or all of them when there are none (sodium benzoate is benzoate; a salt of two listed ions, meglumine
    tartrate, is itself the compound)."""
    fragments = list(Chem.GetMolFrags(mol, asMols=True, sanitizeFrags=False))
    kept = [fragment for fragment in fragments if may_be_compound(fragment)]
    return kept or fragments
