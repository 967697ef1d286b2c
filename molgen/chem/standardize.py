"""Standardizing molecules with RDKit's MolStandardize before they reach a model or a score."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from rdkit import Chem
from rdkit.Chem.MolStandardize import rdMolStandardize

from molgen.chem.parse import ParseFailure, ParseResult, parse_smiles
from molgen.chem.rdkit_log import quiet_rdkit


@dataclass(frozen=True)
class StandardizeOptions:
    """What :func:`standardize` does; the defaults suit training data for generators.

    Args:
        largest_fragment: keep only the parent (:func:`largest_fragment`: by heavy atoms, no known counter-ion or
            solvent), or a metal's compound whole (cisplatin: :func:`salt_parent`).
        neutralize: neutralize charges where a neutral form exists (zwitterions may stay).
        remove_stereo: drop tetrahedral and double-bond stereo.
        remove_isotopes: set every isotope label to natural abundance.
    """

    largest_fragment: bool = True
    neutralize: bool = True
    remove_stereo: bool = False
    remove_isotopes: bool = False


def largest_fragment(mol: Chem.Mol) -> Chem.Mol:
    """The largest organic fragment of ``mol`` that is not a known counter-ion or solvent (RDKit's chooser among
    the rest: :mod:`molgen.chem.counterions`; pamoate and meglumine outweigh many drugs they are salts of), by heavy
    atoms, as a chemist weighs a structure drawn. A listed salt former that is a drug too (lysine, salicylate:
    ``counterions.DRUGS_TOO``) is the parent only beside no compound that is no listed salt former: aspirin lysine's
    parent is aspirin, metformin salicylate's metformin, imidazole salicylate's (imidazole a listed salt former)
    salicylic acid, and choline salicylate's, both drugs too, salicylic acid, the heavier (a tie goes to the higher
    molecular weight, then to RDKit's order).
    Counting hydrogens, lysine outweighed aspirin and choline salicylic acid; counting heavy atoms alone, aspartate
    outweighed ornithine (reviews)."""
    from functools import reduce

    from molgen.chem.counterions import compound_fragments, is_listed, is_organic

    with quiet_rdkit():   # the chooser logs each fragment it weighs: noise on a terminal or in a notebook
        if len(Chem.GetMolFrags(mol)) > 1:
            # organic as molgen reads it (olamine, not carbonate's carbon), then no listed salt former if there is one
            fragments = compound_fragments(mol)   # (split once: every salt a scorer or the leak guard reads)
            candidates = [fragment for fragment in fragments if is_organic(fragment)] or fragments
            # a drug-too former gives way to any part that is no listed salt former, however small (arginine
            # butyrate is butyric acid's salt); the salt formers and solvents it is not are listed instead
            # (imidazole, ethylenediamine, propanol: a review found a size rule took butyrate for the counter-ion)
            mol = reduce(Chem.CombineMols, [fragment for fragment in candidates if not is_listed(fragment)] or candidates)
        return _HEAVIEST.choose(mol)


def _heaviest_chooser() -> rdMolStandardize.LargestFragmentChooser:
    params = rdMolStandardize.CleanupParameters()
    params.preferOrganic = True
    params.largestFragmentChooserCountHeavyAtomsOnly = True
    return rdMolStandardize.LargestFragmentChooser(params)


_HEAVIEST = _heaviest_chooser()


def without_labels(mol: Chem.Mol) -> Chem.Mol:
    """``mol`` without isotope labels (itself when it holds none): the parent a deuterated or 13C-labelled molecule
    is described as. A deuterium, then a plain hydrogen, folds into its atom, also where it alone set a double
    bond's geometry (=CHD has none once both are H)."""
    if not any(atom.GetIsotope() for atom in mol.GetAtoms()):
        return mol
    plain = Chem.Mol(mol)
    for atom in plain.GetAtoms():
        atom.SetIsotope(0)
    return Chem.RemoveHs(plain, _FOLD_EVERY_HYDROGEN)


_FOLD_EVERY_HYDROGEN = Chem.RemoveHsParameters()
_FOLD_EVERY_HYDROGEN.removeDefiningBondStereo = True


#: Metals a salt is written bonded to (a vendor's or PubChem's O[Na]), with the atoms whose bond to them is ionic:
#: the alkali metals to O, S and N (saccharin sodium's N-Na), the alkaline earths to O and S (a porphyrin's Mg-N is
#: a complex, kept). Other metals (Zn, Al, Pt, Au, Sn) stay bonded: their bonds are the compound's.
SALT_METALS = {3: {7, 8, 16}, 11: {7, 8, 16}, 19: {7, 8, 16}, 37: {7, 8, 16}, 55: {7, 8, 16},   # Li Na K Rb Cs
               12: {8, 16}, 20: {8, 16}, 38: {8, 16}, 56: {8, 16}}                              # Mg Ca Sr Ba


#: Metals whose compounds are no salts to split (the transition metals, lanthanides and actinides, and Al, Ga, In,
#: Sn, Tl, Pb, Bi): a molecule holding one is that compound (:func:`_metal_compound`). Split like a salt, cisplatin
#: (N.N.Cl[Pt]Cl) was scored as ammonia, carboplatin as its acid and a gadolinium chelate as its ligand.
COMPOUND_METALS = frozenset([*range(21, 31), *range(39, 49), *range(57, 81), *range(89, 113), 13, 31, 49, 50, 81, 82, 83])


#: A salt metal's atom as SMILES writes it (``[Na]``, ``[23Na+]``, ``[K:1]``; not ``[Kr]``): a regular expression.
SALT_METAL_TOKEN = r"\[\d*(?:%s)(?![a-z])[^\]]*\]" % "|".join(
    sorted(Chem.GetPeriodicTable().GetElementSymbol(number) for number in SALT_METALS))


def without_metal_bonds(mol: Chem.Mol) -> Chem.Mol:
    """``mol`` with each single bond of a salt metal (:data:`SALT_METALS`) to an O, S or N broken into a pair of
    ions, the metal +1 and its neighbour -1: a carboxylate or phenolate written with its sodium bonded (C(=O)O[Na])
    is then the salt it is. A metal's other bonds (a Grignard's C-Mg) and every other metal are left as written.
    Itself when there is no such bond, or when the ions would not sanitize."""
    bonds = [(bond.GetBeginAtom(), bond.GetEndAtom()) for bond in mol.GetBonds()
             if bond.GetBondType() == Chem.BondType.SINGLE and _salt_bond(bond.GetBeginAtom(), bond.GetEndAtom())]
    if not bonds:
        return mol
    ions = Chem.RWMol(mol)
    for first, second in bonds:
        metal, anion = (first, second) if first.GetAtomicNum() in SALT_METALS else (second, first)
        ions.RemoveBond(metal.GetIdx(), anion.GetIdx())
        # each keeps the hydrogens it holds ([Na]O is sodium hydroxide, [Na]NC(C)=O acetamide's salt), written out
        # so that sanitizing adds none to the bare metal and takes none from the anion
        for index, charge, hydrogens in ((metal.GetIdx(), 1, metal.GetTotalNumHs()),
                                         (anion.GetIdx(), -1, anion.GetTotalNumHs())):
            atom = ions.GetAtomWithIdx(index)
            atom.SetFormalCharge(atom.GetFormalCharge() + charge)
            atom.SetNumExplicitHs(hydrogens)
            atom.SetNoImplicit(True)
    try:
        with quiet_rdkit():
            Chem.SanitizeMol(ions)
    except Exception:  # noqa: BLE001 -- RDKit raises several types; the molecule is then kept as written
        return mol
    return ions.GetMol()


def _salt_bond(one: Chem.Atom, other: Chem.Atom) -> bool:
    """A bond written between an uncharged salt metal with no hydrogen nor carbon and an uncharged O, S or N: one
    written charged already (O[Na+], [O-][Na]), a hydride ([NaH]) or an organometallic (C[Mg]OC) is not the common
    salt form, and is left as written."""
    metal, anion = (one, other) if one.GetAtomicNum() in SALT_METALS else (other, one)
    return anion.GetAtomicNum() in SALT_METALS.get(metal.GetAtomicNum(), ()) and \
        not metal.GetFormalCharge() and not anion.GetFormalCharge() and not metal.GetTotalNumHs() and \
        not any(neighbour.GetAtomicNum() == 6 for neighbour in metal.GetNeighbors())   # C[Mg]OC: an organometallic


_UNCHARGER = rdMolStandardize.Uncharger()


_CHARGED_AROMATIC = Chem.MolFromSmarts("[a;!+0]")


def neutralize(mol: Chem.Mol) -> Chem.Mol:
    """``mol`` with its charges neutralized where a neutral form exists (RDKit's Uncharger). An aromatic ion whose
    neutral form is not aromatic (cyclopentadienide, indenide: the Uncharger adds the hydrogen and leaves the ring
    marked aromatic, a SMILES no reader takes back) is neutralized from its Kekulé form and perceived again
    (cyclopentadiene); one that still has no valid neutral form stays as it is."""
    with quiet_rdkit():   # "Running Uncharger", once a molecule
        uncharged = _UNCHARGER.uncharge(mol)
        if not mol.HasSubstructMatch(_CHARGED_AROMATIC) or not any(   # the match in C++: most molecules stop there
                atom.GetIsAromatic() and atom.GetFormalCharge() != mol.GetAtomWithIdx(atom.GetIdx()).GetFormalCharge()
                for atom in uncharged.GetAtoms()):
            return uncharged
        try:
            kekule = Chem.RWMol(mol)
            Chem.Kekulize(kekule, clearAromaticFlags=True)
            uncharged = _UNCHARGER.uncharge(kekule.GetMol())
            Chem.SanitizeMol(uncharged)
        except (ValueError, RuntimeError):   # Chem.KekulizeException, AtomValenceException
            return mol
        return uncharged


def salt_parent(mol: Chem.Mol) -> Chem.Mol:
    """The parent compound of a salt or mixture: its largest organic fragment that is no known counter-ion
    (:func:`largest_fragment`), neutralized where a neutral form exists (ibuprofen sodium -> ibuprofen, not the carboxylate). A molecule of one
    fragment is returned as it is: a zwitterion or a quaternary ammonium given alone is the compound;
    so is the largest ion of an inorganic salt (sodium chloride gives chloride, not HCl; lithium carbonate carbonate,
    not carbonic acid). A molecule holding a
    metal of :data:`COMPOUND_METALS` is that metal's compound (:func:`_metal_compound`)."""
    mol = without_metal_bonds(mol)   # sodium ibuprofen written C(=O)O[Na] is the salt [Na+].C(=O)[O-]
    if any(atom.GetAtomicNum() in COMPOUND_METALS for atom in mol.GetAtoms()):
        return _metal_compound(mol)
    if len(Chem.GetMolFrags(mol)) == 1:
        return mol
    from molgen.chem.counterions import is_organic

    parent = largest_fragment(mol)
    if not is_organic(parent):
        return parent   # no organic fragment (sodium chloride, lithium carbonate): neutralizing would make an acid
    return neutralize(parent)


def _metal_compound(mol: Chem.Mol) -> Chem.Mol:
    """The parent of a molecule holding a metal of :data:`COMPOUND_METALS`: all of it but its solvents, water and
    alkali or alkaline-earth ions (neutralized where those were its counter-ions). Its other fragments are the
    compound's ligands and ions: cisplatin written N.N.Cl[Pt]Cl is no ammonia salt, carboplatin written as ions no
    salt of its dicarboxylic acid, cisplatin beside DMSO no DMSO; sodium aurothiomalate's parent keeps its gold."""
    from functools import reduce

    from molgen.chem.counterions import is_solvent

    fragments = Chem.GetMolFrags(mol, asMols=True, sanitizeFrags=False)
    bare_salt_metal = [len(f.GetAtoms()) == 1 and f.GetAtomWithIdx(0).GetAtomicNum() in SALT_METALS for f in fragments]
    # a solvent with a nitrogen (pyridine, acetonitrile) may be the metal's ligand written apart: it stays
    kept = [fragment for fragment, bare in zip(fragments, bare_salt_metal)
            if not bare and Chem.MolToSmiles(fragment) != "O"
            and not (is_solvent(fragment) and not any(atom.GetAtomicNum() == 7 for atom in fragment.GetAtoms()))]
    if not kept or len(kept) == len(fragments):
        return mol
    compound = reduce(Chem.CombineMols, kept)
    return neutralize(compound) if any(bare_salt_metal) else compound


def neutral_parent(mol: Chem.Mol) -> Chem.Mol:
    """:func:`salt_parent`, neutralized where a neutral form exists even when given alone: the form a property of
    the compound is read from, so a protonated amine written alone gets its HCl salt's logP (the leak guard counts
    the two as one compound). A quaternary ammonium stays charged: it has no neutral form; and so does an ion with
    no organic carbon (sodium chloride's chloride, not HCl), as in :func:`salt_parent`."""
    from molgen.chem.counterions import is_organic

    parent = salt_parent(mol)
    return neutralize(parent) if is_organic(parent) else parent


#: RDKit's enumerator stops at this many tautomers and transforms (its defaults are 1,000 each). A MOSES
#: molecule has a handful, well under them; a peptide or a glycopeptide has thousands, and at the defaults
#: took 0.3 s (a decapeptide) to 1.5 s (vancomycin) a molecule. Past them the enumeration is partial: a
#: tautomer it did not reach is not matched, nor chosen as the canonical one.
MAX_TAUTOMERS = 200
MAX_TRANSFORMS = 200


@lru_cache(maxsize=2)
def tautomer_enumerator(keep_stereo: bool = False) -> rdMolStandardize.TautomerEnumerator:
    """RDKit's tautomer enumerator within :data:`MAX_TAUTOMERS` and :data:`MAX_TRANSFORMS`; ``keep_stereo``: the
    stereocentres and double-bond geometry of the atoms a tautomer moves are kept (RDKit drops them by default)."""
    enumerator = rdMolStandardize.TautomerEnumerator()
    enumerator.SetMaxTautomers(MAX_TAUTOMERS)
    enumerator.SetMaxTransforms(MAX_TRANSFORMS)
    if keep_stereo:
        enumerator.SetRemoveSp3Stereo(False)
        enumerator.SetRemoveBondStereo(False)
    return enumerator


@lru_cache(maxsize=65_536)   # the replicate rows of one compound are keyed once
def tautomer_key(smiles: str) -> str:
    """One key for every tautomer of the molecule written ``smiles`` (canonical SMILES): RDKit's canonical tautomer,
    which gives 2-hydroxypyridine and 2-pyridone one key. It is a key, not a structure to show: RDKit scores
    aromatic rings first, so oxindole's key is 2-hydroxyindole. Where the canonical tautomer would lose the
    molecule's stereo (an E or Z double bond that moves, sunitinib's; a stereocentre that becomes sp2), the key is
    the best-scored of its tautomers that keep it (ties: the first SMILES): Z-sunitinib and its Z lactim share one,
    E-sunitinib has another, since stereoisomers are not one compound. (From a form no chemist writes, an exocyclic
    methylene breaking an aromatic ring, RDKit may reach another canonical tautomer.)"""
    with quiet_rdkit():
        mol = Chem.MolFromSmiles(smiles)
        if mol is None:
            return smiles
        enumerator = tautomer_enumerator(keep_stereo=True)
        # read back from its SMILES: the enumerator leaves a lost geometry marked "any", which a count would take
        tautomer = Chem.MolFromSmiles(Chem.MolToSmiles(enumerator.Canonicalize(mol)))
        needed = _stereo_elements(mol)
        if tautomer is not None and _stereo_elements(tautomer) >= needed:
            return Chem.MolToSmiles(tautomer)
        # the tautomers keeping the stereo are the same set from any of them (within the enumerator's caps: past
        # MAX_TAUTOMERS, a peptide's forms may reach different sets, and are then not merged): their best is the key
        keeping = [back for back in (Chem.MolFromSmiles(Chem.MolToSmiles(t)) for t in enumerator.Enumerate(mol))
                   if back is not None and _stereo_elements(back) >= needed]
        if not keeping:
            return smiles
        return min((-rdMolStandardize.TautomerEnumerator.ScoreTautomer(t), Chem.MolToSmiles(t)) for t in keeping)[1]


def _stereo_elements(mol: Chem.Mol) -> int:
    """How many stereocentres and double-bond geometries ``mol`` has assigned."""
    centres = sum(atom.GetChiralTag() != Chem.ChiralType.CHI_UNSPECIFIED for atom in mol.GetAtoms())
    return centres + sum(bond.GetStereo() != Chem.BondStereo.STEREONONE for bond in mol.GetBonds())


def without_stereo(mol: Chem.Mol) -> Chem.Mol:
    """A copy of ``mol`` with its stereocentres and double-bond geometry unassigned."""
    flat = Chem.Mol(mol)
    Chem.RemoveStereochemistry(flat)
    return flat


def standardize(mol: Chem.Mol, options: StandardizeOptions = StandardizeOptions()) -> Chem.Mol:
    """Return a standardized copy of ``mol``: cleanup (normalizations), then the chosen steps.

    Raises ``ValueError`` when RDKit cannot standardize the molecule; use
    :func:`standardize_smiles` for the never-raising bulk form.
    """
    with quiet_rdkit():
        if options.largest_fragment and any(atom.GetAtomicNum() in COMPOUND_METALS for atom in mol.GetAtoms()):
            # a metal's compound (cisplatin) as salt_parent keeps it, its metal bonds whole: Cleanup's metal
            # disconnector would break them (a review: [Pt+2] with its ligands as ions, then [Pt+4])
            out = rdMolStandardize.Normalize(Chem.RemoveHs(salt_parent(mol)))
        else:
            out = rdMolStandardize.Cleanup(mol)
            if options.largest_fragment:
                out = largest_fragment(out)
        if options.neutralize:
            out = neutralize(out)
        if options.remove_stereo:
            out = without_stereo(out)
        if options.remove_isotopes:
            out = Chem.Mol(out)
            for atom in out.GetAtoms():
                atom.SetIsotope(0)
        Chem.SanitizeMol(out)
    return out


def standardize_smiles(smiles: object, options: StandardizeOptions = StandardizeOptions()) -> ParseResult:
    """Parse and standardize one SMILES: the result's ``mol`` is the standardized molecule and ``canonical`` its
    canonical SMILES (``smiles`` keeps the input as given).

    Never raises: an unparsable input keeps its parse failure, and a molecule RDKit cannot
    standardize comes back with ``failure == OTHER`` and RDKit's message.
    """
    parsed = parse_smiles(smiles)
    if not parsed.ok:
        return parsed
    try:
        mol = standardize(parsed.mol, options)
    except Exception as error:  # RDKit raises several unrelated exception types here
        return ParseResult(smiles, None, ParseFailure.OTHER, f"standardization failed: {error}")
    return ParseResult(smiles, mol)
