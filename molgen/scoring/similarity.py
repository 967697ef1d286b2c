"""Fingerprint similarity to reference molecules, and substructure queries (SMARTS or SMILES)."""

from __future__ import annotations

import re

from functools import lru_cache
from typing import Sequence

import numpy as np
from rdkit import Chem, DataStructs
from rdkit.Chem import rdFingerprintGenerator

from molgen.chem.parse import CXSMILES, has_dummy_atom, parse_smiles
from molgen.chem.rdkit_log import quiet_rdkit
from molgen.chem.standardize import without_labels

#: Morgan radius 2 (ECFP4-like), 2048 bits: the fingerprint for similarity and diversity.
MORGAN_RADIUS, MORGAN_BITS = 2, 2048
#: The same in words, for a manifest: what a similarity number was computed on, so it can be reproduced.
SIMILARITY_MEASURE = (f"Tanimoto on RDKit Morgan fingerprints, radius {MORGAN_RADIUS} (ECFP4-like), {MORGAN_BITS} bits, "
                      "no chirality or features (rdFingerprintGenerator.GetMorganGenerator)")


@lru_cache(maxsize=4)
def _generator(radius: int, bits: int):
    return rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=bits)


def morgan_fingerprint(mol: Chem.Mol, radius: int = MORGAN_RADIUS, bits: int = MORGAN_BITS):
    """Morgan bit-vector fingerprint (RDKit ``ExplicitBitVect``)."""
    return _generator(radius, bits).GetFingerprint(mol)


def reference_fingerprints(smiles: Sequence[str]) -> list:
    """Fingerprints of reference SMILES; ``ValueError`` names a reference that does not parse."""
    fps = []
    for s in smiles:
        parsed = parse_smiles(s)
        if not parsed.ok:
            raise ValueError(f"reference molecule {s!r} is not valid ({parsed.reason})")
        fps.append(morgan_fingerprint(without_labels(parsed.mol)))   # as the molecules it is compared with
    return fps


def similarity_to_references(mol: Chem.Mol, references: list) -> tuple[float, float]:
    """(max, mean) Tanimoto similarity of ``mol`` to reference fingerprints."""
    if not references:
        return float("nan"), float("nan")
    sims = np.array(DataStructs.BulkTanimotoSimilarity(morgan_fingerprint(mol), references))
    return float(sims.max()), float(sims.mean())


#: Heavy atoms from which a part of a pattern reads as a whole molecule, so that a listed counter-ion or solvent
#: beside it reads as its salt's or solvate's (refuse_a_salt).
SALT_PARENT_ATOMS = 12
#: An acid and a base as a salt pairs them (refuse_a_salt): a carboxylic, sulfonic or phosphonic acid; an amine
#: that is no amide, sulfonamide, aniline or hydrazine, an amidine or guanidine, a pyridine's or an imidazole's N (not
#: a pyrimidine's or pyrazine's, bases too weak to matter).
_ACID = Chem.MolFromSmarts("[$([CX3](=O)[OX2H1]),$([SX4](=O)(=O)[OX2H1]),$([PX4](=O)[OX2H1])]")
_BASE = Chem.MolFromSmarts("[$([NX3;+0;H2,H1,H0;!$(N-[C,S]=[O,S,N]);!$(N-S(=O)=O);!$(N-a);!$(N-[N,O]);!$(N-C#N)]),"
                           "$([NX2]=C-[NX3]),$([nX2;r6;!$(n:c:n);!$(n:c:c:n)]),$([nX2;r5;!$(n:n)]:c:[nX3;+0])]")




def refuse_a_salt(text: str) -> None:
    """``ValueError`` for a pattern written as a salt or hydrate (beside the molecule, a part without carbon, ``.Cl``,
    ``.[Na+]``, ``.O``, or a listed counter-ion or solvent, ``.CS(=O)(=O)O``): each part of a pattern must be found in
    the one molecule, so ``fluoxetine.Cl`` as a scaffold asked for a chlorine anywhere in it (a review's run kept
    none of 196 molecules), and as a group to avoid it let nitrobenzene through and struck out
    4-chloronitrobenzene. For new runs and profiles only (a stored one is read as it ran); a reference to stay
    near is refused alike (``check_new_reference``). SMARTS is left as written."""
    from molgen.chem.counterions import is_organic, may_be_compound
    from molgen.scoring.alerts import uncharged_counter_ions

    with quiet_rdkit():
        mol = Chem.MolFromSmiles(re.sub(r"\[\d+\*", "[*", text)) if text.strip() else None
    # bare atoms read as SMILES are radicals: SMARTS ([#6]1:[#6]...), but for a salt's metal written uncharged ([Na])
    stray = set(uncharged_counter_ions(mol)) if mol is not None else set()
    if mol is None or any(atom.GetNumRadicalElectrons() and atom.GetIdx() not in stray for atom in mol.GetAtoms()):
        return
    parts = Chem.GetMolFrags(mol, asMols=True, sanitizeFrags=False)
    if len(parts) < 2:
        return
    for part in parts:   # taken unsanitized: no ring information (the SMARTS' r6) until asked for
        part.UpdatePropertyCache(strict=False)
        Chem.GetSymmSSSR(part)
    acid = [part.HasSubstructMatch(_ACID) for part in parts]
    base = [part.HasSubstructMatch(_BASE) for part in parts]
    # a part without carbon beside an organic one is a counter-ion or water; a listed organic counter-ion or solvent
    # (a mesylate, a tartrate, trometamol, ethanol) where the pattern reads as its salt or solvate: written charged,
    # beside a whole molecule (a drug's dozen heavy atoms: zolpidem tartrate, darunavir ethanolate), or an acid beside
    # a base whatever their size (betahistine mesilate; a size rule alone let it through, a review). Beside a
    # phenyl, "c1ccccc1.CC(=O)O" asks for an aryl and an acetic acid part, a pattern's own business
    whole = any(part.GetNumHeavyAtoms() >= SALT_PARENT_ATOMS for part in parts if may_be_compound(part))

    def pairs(i: int) -> bool:   # a listed part an ion of a salt (or the solvent of a solvate) in this pattern
        others = [j for j in range(len(parts)) if j != i]
        return whole or bool(Chem.GetFormalCharge(parts[i])) or (acid[i] and any(base[j] for j in others)) or \
            (base[i] and any(acid[j] for j in others))

    counter_ion = [not has_dummy_atom(part) and (not is_organic(part) or (not may_be_compound(part) and pairs(i)))
                   for i, part in enumerate(parts)]
    organic = [Chem.MolToSmiles(part) for part, ion in zip(parts, counter_ion) if not ion]
    ions = [Chem.MolToSmiles(part) for part, ion in zip(parts, counter_ion) if ion]
    if organic and ions:
        raise ValueError(f"{text!r} is written as a salt, hydrate or solvate ({', '.join(ions)} beside the "
                         f"molecule): each part of a pattern is looked for in the one molecule, so it would also "
                         f"ask for {' and '.join(ions)} anywhere in it; give the molecule alone, {'.'.join(organic)}")


def refuse_spaces(text: str) -> None:
    """``ValueError`` for a new pattern with a space inside it (a CXSMILES extension aside): RDKit reads a pattern up
    to its first space and leaves the rest unread, so "C(=O)Cl c1ccccc1" avoided only the acid chloride while the
    page showed both (a review). Stored runs and profiles are still read as they were filtered."""
    if len(words := text.split()) > 1 and not CXSMILES.fullmatch(text.strip()):
        with quiet_rdkit():
            first = Chem.MolFromSmarts(words[0])
        if first is None:   # one group with a stray space ([$(C(=O) O)]): RDKit reads none of it
            raise ValueError(f"{text!r}: a pattern has no spaces inside it; remove the space")
        # "[N+](=O) [O-]" is one group cut by a space, "C(=O)Cl c1ccccc1" two groups (joined, a chlorine with two
        # bonds): only the chemist knows which
        raise ValueError(f"{text!r}: a pattern has no spaces inside it (RDKit would read only {words[0]!r}); give "
                         "each group as a pattern of its own, or join a group a space cut")


def substructure_query(text: str) -> Chem.Mol:
    """A query molecule from SMARTS, or from SMILES when it is not SMARTS; ``ValueError`` otherwise.

    An aromatic ring written in Kekulé form (``C1=CC=CC=C1``) is read as SMILES, aromatised: as SMARTS its
    ``C`` would mean an aliphatic carbon, and the query would never match the benzene a chemist drew; one whose
    SMILES reading holds radicals (``[#6]1:[#6]:[#6]:[#6]:[#6]:[#6]:1``, bare atoms) stays SMARTS. An
    attachment point numbered as R-group tables and BRICS number them (``[1*]``) is any atom, as ``*`` is: as
    SMARTS it would ask for an atom of mass 1, which no molecule holds."""
    text = re.sub(r"\[\d+\*", "[*", text)
    with quiet_rdkit():
        query = Chem.MolFromSmarts(text) if text.strip() else None
        as_smiles = Chem.MolFromSmiles(text) if text.strip() else None
    # not when the SMILES reading holds radicals: [#6]1:[#6]:[#6]:[#6]:[#6]:[#6]:1 also parses as SMILES, as a ring
    # of bare aromatic carbons that matches no benzene ([#7] in C1=CC=C[#7]=C1 is pyridine's N either way)
    if query is None or (as_smiles is not None and _aromatic(as_smiles) and not _aromatic(query)
                         and not any(atom.GetNumRadicalElectrons() for atom in as_smiles.GetAtoms())):
        query = as_smiles
        if query is not None and has_dummy_atom(query):
            # read as SMILES, an attachment point is an atom of number 0 that no molecule holds: any atom instead
            adjust = Chem.AdjustQueryParameters.NoAdjustments()
            adjust.makeDummiesQueries = True
            editable = Chem.RWMol(Chem.AdjustQueryProperties(query, adjust))
            for bond in list(editable.GetBonds()):   # its single bond single or aromatic, as SMARTS reads *c1ccccc1's
                if 0 in (bond.GetBeginAtom().GetAtomicNum(), bond.GetEndAtom().GetAtomicNum()) and \
                        bond.GetBondType() == Chem.BondType.SINGLE:   # *=N stays a double bond
                    editable.ReplaceBond(bond.GetIdx(), Chem.BondFromSmarts("-,:"), preserveProps=True)
            query = editable.GetMol()
    if query is None:
        raise ValueError(f"{text!r} is neither valid SMARTS nor valid SMILES")
    return query


def written_as_smarts(text: str) -> bool:
    """Whether ``text`` uses syntax only SMARTS has (a logical operator or bond query, or an atom primitive such as
    ``[#6]``, ``[R2]``, ``[D3]``, ``[X3]``): meant as a pattern. A text without it that is no valid SMILES is more
    likely a slip in a SMILES (``c1ccc2ncnc2c1``; ``[nH]`` and ``[C@@H]`` are SMILES too) that reads as SMARTS."""
    # a logical operator or bond query; an atom primitive with its number ([#6], [R2], [D3]) or alone between
    # delimiters ([R], [a], [c;R]: not the r of [Br]); a ring bond (C@C) outside brackets, where @ is chirality.
    # Not [*] or [*:1]: an attachment point is SMILES too
    if re.search(r"[~!,;&$]|\[[^\]]*(#\d|[DXRrvxh]\d)|(?<=[\[;&,!])[RrDXaA](?=[\];&,!])", text):
        return True
    return re.search(r"[A-Za-z\])\d]@[A-Za-z\[(]", re.sub(r"\[[^\]]*\]", "[]", text)) is not None


def _aromatic(mol: Chem.Mol) -> bool:
    """Whether any atom is aromatic (in a SMARTS query: written as an aromatic atom, ``c`` or ``[n]``)."""
    return any(atom.GetIsAromatic() for atom in mol.GetAtoms())


def has_substructure(mol: Chem.Mol, query: Chem.Mol) -> bool:
    """Whether ``mol`` holds ``query``, honouring the query's stereo where it has any (``C[C@H](N)C(=O)O``,
    ``C/C=C/C``): a molecule with another configuration there does not hold it; one that leaves a centre or a
    double bond unassigned, or whose atom there is no stereocentre at all, holds it (it may be that stereoisomer:
    a keep condition passes it, an avoid condition flags it). The models write no stereo (MOSES has none), so a
    kept stereo scaffold rules out only the molecules written with the other configuration."""
    if not query_has_stereo(query):
        return mol.HasSubstructMatch(query)
    return mol.HasSubstructMatch(query, _STEREO_MATCH)


def substructure_atoms(mol: Chem.Mol, query: Chem.Mol) -> tuple[int, ...]:
    """The atoms of ``mol`` matched by the first hit of ``query`` (as :func:`has_substructure` matches it, stereo
    honoured); empty when ``mol`` does not hold it. For drawing a kept scaffold where it lies in a molecule."""
    if not query_has_stereo(query):
        return mol.GetSubstructMatch(query)
    return mol.GetSubstructMatch(query, _STEREO_MATCH)


def query_has_stereo(query: Chem.Mol) -> bool:
    """Whether a query (SMILES or SMARTS) specifies a tetrahedral centre or a double bond's geometry (read from
    its chiral tags and bond stereo: a SMARTS query has no perceived stereocentres, unlike
    :func:`molgen.chem.graph.has_stereo`, which asks it of a molecule)."""
    return (any(atom.GetChiralTag() != Chem.ChiralType.CHI_UNSPECIFIED for atom in query.GetAtoms())
            or any(bond.GetStereo() != Chem.BondStereo.STEREONONE for bond in query.GetBonds()))


_STEREO_MATCH = Chem.SubstructMatchParameters()
_STEREO_MATCH.useChirality = True
# a query's stereo is met by an atom or bond whose stereo is unassigned or not stereogenic (triphenylethylene
# holds trans-stilbene), and missed only by the other configuration
_STEREO_MATCH.specifiedStereoQueryMatchesUnspecified = True


def nearest_neighbours(mol: Chem.Mol, references: list, reference_smiles: Sequence[str], k: int = 5) -> list[tuple[str, float]]:
    """The ``k`` reference molecules most similar to ``mol`` (Morgan Tanimoto), most similar first."""
    if not references:
        return []
    sims = np.asarray(DataStructs.BulkTanimotoSimilarity(morgan_fingerprint(mol), references))
    best = np.argsort(-sims, kind="stable")[:k]
    return [(reference_smiles[i], float(sims[i])) for i in best]
