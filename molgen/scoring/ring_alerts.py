"""Ring alerts: strained or unusual ring systems, the kind a graph generator makes and a chemist would not.

PAINS and Brenk flag reactive or assay-interfering groups; neither looks at the ring system. A
graph model that places bonds one pair of atoms at a time can close rings no medicinal chemist
would draw: an eight-membered ring in a lead-like molecule, a double bond at the bridgehead of a
small bicycle, an allene inside a ring. Each alert here is a ring-perception rule (RDKit's SSSR),
not a SMARTS, because ring size and bridging are not substructure properties.

Rates on 20,000 MOSES test molecules and 600 raw samples of each shipped generator are in
``benchmarks/RESULTS.md`` ("Ring alerts"); ``benchmarks/ring_alerts.py`` measures them.
"""

from __future__ import annotations

from rdkit import Chem

#: Bredt's rule: a bridgehead double bond is unstable in a bicycle of fewer than nine atoms
#: (bicyclo[3.3.1]non-1-ene is the smallest isolable one).
BREDT_MIN_ATOMS = 9
#: A ring of this many atoms or more is flagged (MOSES's filters reject them too) ...
LARGE_RING = 8
#: ... up to a macrocycle: from this size a ring is flexible, not strained, and in approved drugs (lorlatinib,
#: erythromycin, cyclosporin); it is reported apart (``macrocycles``), not among the strained or unusual rings.
MACROCYCLE_RING = 12
#: A bridge across an aromatic ring's non-adjacent atoms shorter than this bends the ring out of plane:
#: [6]paracyclophane and [5]metacyclophane are laboratory curiosities; a drug's macrocycle spans more.
CYCLOPHANE_MIN_BRIDGE = 8
#: A triple bond fits in a ring of nine atoms or more (cyclooctyne is the smallest isolable, and strained).
TRIPLE_BOND_MIN_RING = 9

LARGE = f"ring of {LARGE_RING} to {MACROCYCLE_RING - 1} atoms (a medium ring)"
MACROCYCLE = f"ring of {MACROCYCLE_RING} or more atoms (a macrocycle)"
CYCLOPHANE = (f"aromatic ring bridged across non-adjacent atoms by fewer than {CYCLOPHANE_MIN_BRIDGE} atoms "
              "(a strained cyclophane)")
ANTI_BREDT = f"double bond at the bridgehead of a bicycle of fewer than {BREDT_MIN_ATOMS} atoms (Bredt's rule)"
SMALL_FUSED = "two three- or four-membered rings sharing a bond (bicyclo[1.1.0]butane to bicyclo[2.2.0]hexane)"
RING_ALLENE = "cumulated double bonds (allene) in a ring"
RING_TRIPLE = f"triple bond in a ring of fewer than {TRIPLE_BOND_MIN_RING} atoms"
CYCLOPROPENE = "double bond in a three-membered ring (cyclopropene, benzocyclopropene)"
CYCLOBUTADIENE = "two double bonds in a four-membered ring (cyclobutadiene)"
#: A 2H-oxete opens to its alpha,beta-unsaturated carbonyl compound at room temperature, and an azetine (C=C or C=N in
#: a four-membered ring beside its nitrogen) to its azadiene; neither is in MOSES (none of 300,000 training
#: molecules), and a graph decoder wrote a 2H-oxete into a review's top-ranked candidate. Cyclobutenes, azetidines,
#: oxetanes and beta-lactams (their C=O outside the ring) are left alone.
HETERO_CYCLOBUTENE = "double bond in a four-membered ring holding an oxygen or nitrogen (an oxete, an azetine)"
#: A 2H-thiete polymerises and opens to its thioacrolein; a thiete dioxide is a Michael acceptor. A graph VAE analogue
#: of diazepam carried a thiete past every alert (a review); 2 of MOSES's 1,584,663 training molecules hold one (a
#: thiete fused to a pyrazole, and a thiazeto-quinolone as in prulifloxacin, which the exemption below lets pass: the
#: one training molecule it changes), none of its test sets. Thietanes (saturated) are left alone. Kept apart from the oxete's alert, whose name
#: stored runs and profiles carry; a ring holding N or O besides (a 1,3-thiazete) raises that one alone.
THIETE = "double bond in a four-membered ring holding a sulfur (a thiete)"
#: Oxaziridines (Davis's oxidants), diaziridines, thiaziridines and dioxiranes: reactive or unstable, in no approved
#: drug and not in MOSES; a graph VAE analogue of celecoxib carried a thiaziridine S-oxide past every alert (a
#: review). A three-membered ring with one heteroatom (an epoxide, an aziridine) is left alone; one with a double
#: bond (a diazirine) is the three-ring double bond's.
HETERO_PAIR_IN_THREE_RING = ("two heteroatoms in a three-membered ring (an oxaziridine, a diaziridine, a "
                             "thiaziridine, a dioxirane)")
#: 1,2-Diazetidines, 1,2-oxazetidines and 1,2-dioxetanes (chemiluminescent, they fall apart): an N-N, N-O or O-O
#: bond strained in a four-membered ring, in no approved drug and in 2 of MOSES's 1,584,663 training molecules; a
#: graph VAE analogue of celecoxib carried an aryl 1,2-diazetidine at score 0.71, flagged only as a hydrazine (a
#: review). Azetidines, oxetanes, beta-lactams and beta-sultams (N-S) are left alone.
HETERO_BOND_IN_FOUR_RING = ("two bonded nitrogen or oxygen atoms in a four-membered ring (a 1,2-diazetidine, a "
                            "1,2-oxazetidine, a 1,2-dioxetane)")
#: Neither alert is raised where the four-membered ring's only multiple bond is an aromatic ring's bond through a
#: nitrogen, fused there, with no other nitrogen or oxygen in the four-ring (prulifloxacin's thiazeto[3,2-a]quinolone, an approved antibiotic: a review found it failing
#: the shipped profiles' hard filter). The nitrogen's lone pair is the aromatic ring's, so the four-ring opens to no
#: azadiene or thioacrolein without breaking that ring; a benzoxete's or benzothiete's oxygen or sulfur lies off the
#: fused bond, and both are still flagged.
#: Every alert this module can raise, for documentation and tests.
RING_ALERTS = (LARGE, ANTI_BREDT, CYCLOPHANE, SMALL_FUSED, RING_ALLENE, RING_TRIPLE, CYCLOPROPENE, CYCLOBUTADIENE,
               HETERO_CYCLOBUTENE, THIETE, HETERO_PAIR_IN_THREE_RING, HETERO_BOND_IN_FOUR_RING)

_MULTIPLE = (Chem.BondType.DOUBLE, Chem.BondType.TRIPLE, Chem.BondType.AROMATIC)


def _fused_at_aromatic_nitrogen(mol: Chem.Mol, ring, bonds) -> bool:
    """Whether a four-membered ring's multiple bonds are one aromatic bond holding a nitrogen (its fused ring's), and
    that nitrogen is the ring's only nitrogen or oxygen."""
    multiple = [mol.GetBondWithIdx(b) for b in bonds if mol.GetBondWithIdx(b).GetBondType() in _MULTIPLE]
    hetero = [index for index in ring if mol.GetAtomWithIdx(index).GetAtomicNum() in (7, 8)]
    return (len(multiple) == 1 and multiple[0].GetBondType() == Chem.BondType.AROMATIC and len(hetero) == 1
            and hetero[0] in (multiple[0].GetBeginAtomIdx(), multiple[0].GetEndAtomIdx()))


def ring_alerts(mol: Chem.Mol) -> dict[str, list[int]]:
    """Each ring alert ``mol`` raises, with the atoms that raise it (for highlighting), in
    :data:`RING_ALERTS` order; empty for an ordinary ring system."""
    info = mol.GetRingInfo()
    if not info.NumRings():
        return {}
    rings = [frozenset(ring) for ring in info.AtomRings()]
    found: dict[str, set[int]] = {}

    def flag(name: str, atoms) -> None:
        found.setdefault(name, set()).update(atoms)

    for ring, bonds in zip(rings, info.BondRings()):
        if LARGE_RING <= len(ring) < MACROCYCLE_RING:
            flag(LARGE, ring)
        # One multiple bond is ordinary (cyclobutene, benzocyclobutene's fused bond). A ring atom with an
        # exocyclic double bond makes RDKit read the ring as aromatic without a cyclobutadiene in it: squaramides
        # (a medicinal chemistry motif) and benzocyclobutenedione are left alone.
        if len(ring) == 4 and sum(mol.GetBondWithIdx(b).GetBondType() in _MULTIPLE for b in bonds) >= 2 and not any(
                bond.GetBondType() == Chem.BondType.DOUBLE and bond.GetIdx() not in bonds
                for index in ring for bond in mol.GetAtomWithIdx(index).GetBonds()):
            flag(CYCLOBUTADIENE, ring)
        # (in a four-membered ring every atom is on the double bond or beside it; a benzoxete's is its benzene's,
        # aromatic)
        if len(ring) == 4 and any(mol.GetBondWithIdx(b).GetBondType() in (Chem.BondType.DOUBLE, Chem.BondType.AROMATIC)
                                  for b in bonds) and not _fused_at_aromatic_nitrogen(mol, ring, bonds):
            elements = {mol.GetAtomWithIdx(index).GetAtomicNum() for index in ring}
            if elements & {7, 8}:
                flag(HETERO_CYCLOBUTENE, ring)
            elif 16 in elements:
                flag(THIETE, ring)
        if len(ring) == 3 and sum(mol.GetAtomWithIdx(index).GetAtomicNum() != 6 for index in ring) >= 2 and not any(
                mol.GetBondWithIdx(b).GetBondType() in _MULTIPLE for b in bonds):
            flag(HETERO_PAIR_IN_THREE_RING, ring)
        if len(ring) == 4 and any(mol.GetBondWithIdx(b).GetBeginAtom().GetAtomicNum() in (7, 8)
                                  and mol.GetBondWithIdx(b).GetEndAtom().GetAtomicNum() in (7, 8) for b in bonds):
            flag(HETERO_BOND_IN_FOUR_RING, ring)
    # a benzene-, pyridine- or azole-sized aromatic ring: a porphyrin's 16-atom inner ring is aromatic too, and its
    # pyrroles would read as short bridges across it (temoporfin, verteporfin)
    aromatic = [ring for ring in rings if 5 <= len(ring) <= 7 and all(mol.GetAtomWithIdx(a).GetIsAromatic() for a in ring)]
    for ring in aromatic:
        for other in rings:
            # sharing three atoms or more, the other ring runs across the aromatic one (meta, para), not fused
            # to one of its bonds; its atoms outside the aromatic ring are the bridge
            if other != ring and len(other & ring) >= 3 and len(other - ring) < CYCLOPHANE_MIN_BRIDGE:
                flag(CYCLOPHANE, ring | other)
    for i, first in enumerate(rings):
        for second in rings[i + 1:]:
            shared = first & second
            # both small and fused, not bridged: a small ring fused to a larger one is in approved drugs
            # (penicillins, cephalosporins, saxagliptin, scopolamine's epoxide), as is bicyclo[1.1.1]pentane
            if len(shared) == 2 and max(len(first), len(second)) <= 4:
                flag(SMALL_FUSED, first | second)
            if len(shared) >= 3 and len(first | second) < BREDT_MIN_ATOMS:
                # a bridged bicycle; its bridgeheads are the shared atoms with three bonds inside it
                system = first | second
                for index in shared:
                    atom = mol.GetAtomWithIdx(index)
                    if sum(n.GetIdx() in system for n in atom.GetNeighbors()) >= 3 and any(
                            bond.GetBondType() in _MULTIPLE and bond.GetOtherAtomIdx(index) in system
                            for bond in atom.GetBonds()):
                        flag(ANTI_BREDT, system)
    for atom in mol.GetAtoms():
        index = atom.GetIdx()
        ring_doubles = [b for b in atom.GetBonds() if b.IsInRing() and b.GetBondType() == Chem.BondType.DOUBLE]
        # carbon only: a ring sulfone or sulfoximine also has two double bonds on one atom, and is ordinary
        if atom.GetSymbol() == "C" and len(ring_doubles) >= 2:
            flag(RING_ALLENE, [index, *(b.GetOtherAtomIdx(index) for b in ring_doubles)])
    for bond in mol.GetBonds():
        if not bond.IsInRing():
            continue
        ends = (bond.GetBeginAtomIdx(), bond.GetEndAtomIdx())
        if bond.GetBondType() == Chem.BondType.TRIPLE and info.MinBondRingSize(bond.GetIdx()) < TRIPLE_BOND_MIN_RING:
            flag(RING_TRIPLE, ends)
        # aromatic too: RDKit reads benzocyclopropene's and cyclopropenone's three-ring bonds as aromatic
        if bond.GetBondType() in (Chem.BondType.DOUBLE, Chem.BondType.AROMATIC) and info.IsBondInRingOfSize(bond.GetIdx(), 3):
            flag(CYCLOPROPENE, ends)
    return {name: sorted(found[name]) for name in RING_ALERTS if name in found}


def macrocycle_atoms(mol: Chem.Mol) -> list[int]:
    """The atoms of ``mol``'s rings of :data:`MACROCYCLE_RING` atoms or more (SSSR); empty without one."""
    return sorted({a for ring in mol.GetRingInfo().AtomRings() if len(ring) >= MACROCYCLE_RING for a in ring})
