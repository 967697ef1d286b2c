"""A scaffold as SMILES prefixes, one per position a substituent can take.

A SMILES model completes a prefix left to right, so whatever it writes next bonds to the prefix's
last atom. The scaffold's canonical SMILES alone would put every new group on one and the same
atom (all indoles substituted at one carbon). Each spelling here ends at a different atom that
carries a hydrogen, so spreading the molecules over the spellings decorates every such position
in turn; a molecule still gets its new group at one position.
"""

from __future__ import annotations

from rdkit import Chem

from molgen.chem.rdkit_log import quiet_rdkit


def decoration_prefixes(scaffold: Chem.Mol) -> list[str]:
    """SMILES of ``scaffold``, one for each atom a group written after it would bond to: the canonical
    spelling first (when it ends at such an atom), then the others; one for each set of symmetry-equivalent atoms.

    A spelling counts only if appending a carbon really bonds it to the spelling's last atom (an
    ``[nH]`` written in brackets cannot take one), checked by rebuilding the molecule."""
    ends: dict[int, str] = {}   # symmetry class of the last atom -> a spelling ending there
    canonical = Chem.MolToSmiles(scaffold)
    symmetry = list(Chem.CanonicalRankAtoms(scaffold, breakTies=False))   # equivalent atoms: one spelling
    with quiet_rdkit():
        for root in range(scaffold.GetNumAtoms()):
            for canonical_order in (True, False):
                text = Chem.MolToSmiles(scaffold, rootedAtAtom=root, canonical=canonical_order)
                last = int(scaffold.GetProp("_smilesAtomOutputOrder").strip("[]").rstrip(",").split(",")[-1])
                if symmetry[last] not in ends and _methyl_lands_on(scaffold, text, last):
                    ends[symmetry[last]] = text
    first = [key for key, text in ends.items() if text == canonical]
    return [ends[key] for key in first + sorted(set(ends) - set(first))]


def _methyl_lands_on(scaffold: Chem.Mol, text: str, atom: int) -> bool:
    """Whether ``text + "C"`` is ``scaffold`` with a methyl on ``atom``."""
    if scaffold.GetAtomWithIdx(atom).GetTotalNumHs() == 0:
        return False
    extended = Chem.MolFromSmiles(text + "C")
    if extended is None:
        return False
    expected = Chem.RWMol(scaffold)
    methyl = expected.AddAtom(Chem.Atom(6))
    expected.AddBond(atom, methyl, Chem.BondType.SINGLE)
    try:
        Chem.SanitizeMol(expected)
    except Exception:  # noqa: BLE001 -- RDKit raises several sanitization errors; any means "not this atom"
        return False
    return Chem.MolToSmiles(extended) == Chem.MolToSmiles(expected)
