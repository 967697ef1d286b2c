"""A scaffold as SMILES prefixes, one per position a substituent can take.

A SMILES model completes a prefix left to right, so whatever it writes next bonds to the prefix's
last atom. The scaffold's canonical SMILES alone would put every new group on one and the same
atom (all indoles substituted at one carbon). Each spelling here ends at a different atom that
carries a hydrogen, so spreading the molecules over the spellings decorates every such position
in turn; a molecule still gets its new group at one position. A scaffold written with an attachment point
(``*``, as in an R-group table: ``c1cc(*)ccc1S(N)(=O)=O``) is decorated there only, so a group is not put on
an N-methyl or a sulfonamide NH the chemist meant to keep.
"""

from __future__ import annotations

from rdkit import Chem

from molgen.chem.rdkit_log import quiet_rdkit


#: Random spellings tried per scaffold (a DFS can end at any atom; a few hundred reach every position of
#: a drug-sized scaffold) and their seed.
RANDOM_SPELLINGS = 400
RANDOM_SEED = 7


class AttachmentError(ValueError):
    """A scaffold's attachment points (``*``) that left-to-right completion cannot honour."""


def attachment_point(scaffold: Chem.Mol) -> tuple[Chem.Mol, int] | None:
    """A scaffold written with one attachment point ``*``: the scaffold without it and the index (in that
    molecule) of the atom the new group must bond to; None for a scaffold without ``*``.
    :class:`AttachmentError` for more than one (a molecule is completed at one position) or a ``*`` that is
    not a single-bonded end."""
    dummies = [atom for atom in scaffold.GetAtoms() if atom.GetAtomicNum() == 0]
    if not dummies:
        return None
    if len(dummies) > 1:
        raise AttachmentError(f"{len(dummies)} attachment points (*): a SMILES model adds one group per molecule")
    dummy = dummies[0]
    bonds = dummy.GetBonds()
    if len(bonds) != 1 or bonds[0].GetBondType() != Chem.BondType.SINGLE:
        raise AttachmentError("an attachment point (*) must hang off one scaffold atom by a single bond")
    anchor = bonds[0].GetOtherAtomIdx(dummy.GetIdx())
    core = Chem.RWMol(scaffold)
    core.RemoveAtom(dummy.GetIdx())
    core = core.GetMol()
    core.GetAtomWithIdx(anchor - (anchor > dummy.GetIdx())).SetNoImplicit(False)   # the * becomes a hydrogen
    try:
        with quiet_rdkit():
            Chem.SanitizeMol(core)
    except Exception as error:   # RDKit's sanitization errors share no base class worth naming
        # *n1ccnc1: the aromatic N that bore the mark reads as no hydrogen-bearing [nH], and a spelling ending in
        # [nH] takes no group; the run's filter alone enforces the scaffold then
        raise AttachmentError(f"the scaffold without its attachment point is no molecule ({error})") from None
    return core, anchor - (anchor > dummy.GetIdx())


def decoration_prefixes(scaffold: Chem.Mol, positions: set[int] | None = None) -> list[str]:
    """SMILES of ``scaffold``, one for each position a group written after it can bond to: the first of each
    position's :func:`decoration_spellings`."""
    return [spellings[0] for spellings in decoration_spellings(scaffold, positions, per_position=1)]


def decoration_spellings(scaffold: Chem.Mol, positions: set[int] | None = None, per_position: int = 1) -> list[list[str]]:
    """Up to ``per_position`` SMILES of ``scaffold`` for each position a group written after it can bond to (one
    per set of symmetry-equivalent atoms carrying a hydrogen; only those of the atoms in ``positions`` when given,
    an attachment point): the canonical spelling first (when it ends at such an atom), then seeded random
    spellings until every position has its spellings or the draws run out. A model picks among a position's
    spellings the one it reads best (``SmilesLM``): the first one found may be one it never met in training.

    A spelling counts only if appending a carbon really bonds it to the intended atom (an ``[nH]`` written
    in brackets cannot take one), checked by rebuilding the molecule."""
    ends: dict[int, list[str]] = {}   # symmetry class of the atom a group lands on -> spellings ending there
    canonical = Chem.MolToSmiles(scaffold)
    symmetry = list(Chem.CanonicalRankAtoms(scaffold, breakTies=False))   # equivalent atoms: one position
    wanted = {symmetry[a.GetIdx()] for a in scaffold.GetAtoms()
              if a.GetTotalNumHs() > 0 and (positions is None or a.GetIdx() in positions)}
    # the canonical spelling, then random ones (seeded, so a run repeats) until every class has its spellings
    candidates = [canonical] + list(Chem.MolToRandomSmilesVect(scaffold, RANDOM_SPELLINGS, randomSeed=RANDOM_SEED))
    with quiet_rdkit():
        for text in dict.fromkeys(candidates):
            atom = _landing_atom(scaffold, text)
            if atom is None or symmetry[atom] not in wanted or len(ends.get(symmetry[atom], ())) >= per_position:
                continue
            ends.setdefault(symmetry[atom], []).append(text)
            if len(ends) == len(wanted) and all(len(found) >= per_position for found in ends.values()):
                break
        # and, for each position, spellings that end in a branch closed after it (`c1(nc2ccccc2[nH]1)`, the group
        # written next bonds to c1): the only readable way to a benzimidazole's C2, whose ring-closing spellings
        # the shipped LSTM completed with `=N` (2 valid of 60). Half of a position's spellings when it has more.
        for key, branched in _branch_ended_spellings(scaffold, symmetry, wanted, per_position).items():
            found = ends.setdefault(key, [])
            keep = per_position - min(len(branched), per_position // 2)   # all of them where only one is asked
            ends[key] = (found[:keep] + [text for text in branched if text not in found])[:per_position]
    first = [key for key, found in ends.items() if found and found[0] == canonical]
    return [ends[key] for key in first + sorted(set(ends) - set(first)) if ends[key]]


def _branch_ended_spellings(scaffold: Chem.Mol, symmetry: list[int], wanted: set[int],
                            per_position: int) -> dict[int, list[str]]:
    """Up to ``per_position`` spellings of ``scaffold`` for each wanted symmetry class that end in a closing
    parenthesis, so that what is written next bonds to that class's atom: seeded random spellings of the scaffold
    with a dummy atom on it, written last, the dummy then cut off."""
    found: dict[int, list[str]] = {}
    written = Chem.MolToSmiles(scaffold)   # each spelling is of this molecule, its stereo too (a dummy on a stereo
    # centre can drop the centre's mark)
    for key in sorted(wanted):
        atom = next(a.GetIdx() for a in scaffold.GetAtoms() if symmetry[a.GetIdx()] == key)
        marked = Chem.RWMol(scaffold)
        marked.AddBond(atom, marked.AddAtom(Chem.Atom(0)), Chem.BondType.SINGLE)
        if marked.GetAtomWithIdx(atom).GetNumExplicitHs():   # a bracketed atom's own H ([C@H] with its stereo
            # taken away) gives way to the group, as an implicit one does
            marked.GetAtomWithIdx(atom).SetNumExplicitHs(marked.GetAtomWithIdx(atom).GetNumExplicitHs() - 1)
        try:
            Chem.SanitizeMol(marked)
        except Exception:  # noqa: BLE001 -- RDKit raises several sanitization errors; any means no group there
            continue
        for text in dict.fromkeys(Chem.MolToRandomSmilesVect(marked.GetMol(), RANDOM_SPELLINGS // 4,
                                                             randomSeed=RANDOM_SEED)):
            if text.endswith(")*") and _landing_atom(scaffold, text[:-1]) is not None and \
                    Chem.MolToSmiles(Chem.MolFromSmiles(text[:-1])) == written:
                found.setdefault(key, []).append(text[:-1])
                if len(found[key]) >= per_position:
                    break
    return found


def _landing_atom(scaffold: Chem.Mol, text: str) -> int | None:
    """The scaffold atom a carbon written after ``text`` bonds to, if ``text + "C"`` is the scaffold with a
    methyl on that atom and nothing else changed (an ``[nH]`` written last cannot take one); else None."""
    parsed, extended = Chem.MolFromSmiles(text), Chem.MolFromSmiles(text + "C")
    if parsed is None or extended is None or extended.GetNumAtoms() != scaffold.GetNumAtoms() + 1:
        return None
    neighbours = extended.GetAtomWithIdx(extended.GetNumAtoms() - 1).GetNeighbors()   # the methyl, parsed last
    order = scaffold.GetSubstructMatch(parsed)   # the spelling's atom order -> the scaffold's (the same molecule)
    if len(neighbours) != 1 or not order:
        return None
    atom = order[neighbours[0].GetIdx()]
    if scaffold.GetAtomWithIdx(atom).GetTotalNumHs() == 0:
        return None
    expected = Chem.RWMol(scaffold)
    expected.AddBond(atom, expected.AddAtom(Chem.Atom(6)), Chem.BondType.SINGLE)
    try:
        Chem.SanitizeMol(expected)
    except Exception:  # noqa: BLE001 -- RDKit raises several sanitization errors; any means "not this atom"
        return None
    return atom if Chem.MolToSmiles(extended) == Chem.MolToSmiles(expected) else None
