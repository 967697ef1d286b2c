"""Guards for synthetic data: no held-out molecule leaks in (in any spelling), no copies of the
seeds, no near-duplicates, optional alert and rule filters, and a record of every removal.

Molecules are compared by canonical isomeric SMILES, by the canonical SMILES without stereo
(so ``C[C@H](N)O``, ``N[C@@H](C)O`` and ``CC(N)O`` all match a held-out ``CC(N)O``), *and* by
their parent: the largest organic fragment that is no known counter-ion, uncharged, without stereo or isotope labels, hashed
by RDKit's heteroatom-protomer MolHash, which is blind to where mobile hydrogens sit. So sodium
benzoate matches benzoic acid, nicotine hydrochloride nicotine, 2-hydroxypyridine 2-pyridone,
and CD3-anisole anisole: a chemist counts each pair as one compound, and a test set that meets
its own salt or tautomer in the training data is leaked.

A tautomer that moves a hydrogen to or from a carbon (keto and enol, warfarin's three forms, a
nitroso and its oxime) escapes that hash. So a molecule that matches no key is also enumerated
(RDKit's TautomerEnumerator, on its parent) and each tautomer's parent key looked up: 1.5 ms a check
for MOSES molecules, paid by the molecule checked, never by the held-out set (keying MOSES test's
176,074 canonical tautomers would take nine minutes). Each fragment of a mixture that may be a
compound (not a counter-ion or solvent of RDKit's salt list or of ``molgen.chem.counterions``) is checked too, so a held-out molecule
cannot hide as the smaller part of one. Near-duplicates are judged by Morgan
Tanimoto similarity (radius 2, 2048 bits).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Sequence

import numpy as np
import pandas as pd
from rdkit import Chem, DataStructs
from rdkit.Chem import rdMolHash
from rdkit.Chem.MolStandardize import rdMolStandardize

from molgen.chem.parse import molecule_list, parse_smiles
from molgen.chem.rdkit_log import quiet_rdkit
from molgen.chem.standardize import SALT_METAL_TOKEN, neutral_parent, neutralize, salt_parent, tautomer_enumerator
from molgen.scoring.alerts import find_alerts
from molgen.scoring.properties import compute_properties
from molgen.scoring.rules import RULES, check_rule
from molgen.scoring.similarity import morgan_fingerprint


# What a canonical SMILES shows without a walk over the atoms (a Python loop over atoms costs
# more than the RDKit calls it would save): a bracket atom's charge, and stereo, an isotope or an
# explicit hydrogen atom.
_CHARGE = re.compile(r"[+-]\d*\]")
_LABELS = re.compile(r"[@/\\]|\[\d|\[H")
_SALT_METAL = re.compile(SALT_METAL_TOKEN)


def parent_key(mol: Chem.Mol, smiles: str | None = None) -> str:
    """The parent compound's identity: largest organic fragment, uncharged, no stereo, no isotope
    labels, then RDKit's HetAtomProtomer hash (mobile hydrogens and protonation ignored). Prefixed
    so that it never equals a SMILES key. ``smiles``: ``mol``'s canonical SMILES, if known."""
    return _hash(parent_molecule(mol, smiles))


def _hash(parent: Chem.Mol) -> str:
    return "parent:" + rdMolHash.MolHash(parent, rdMolHash.HashFunction.HetAtomProtomer)


def parent_molecule(mol: Chem.Mol, smiles: str | None = None) -> Chem.Mol:
    """The parent of ``mol`` (:func:`~molgen.chem.standardize.salt_parent`), uncharged, without stereo or isotope
    labels."""
    # each step only where the SMILES shows it can change something: most molecules are one
    # neutral fragment with no stereo, isotope or explicit H, and go straight to the hash
    parent, smiles = mol, smiles or Chem.MolToSmiles(mol)
    if "." in smiles or _SALT_METAL.search(smiles):   # a salt written with its metal bonded (O[Na]) too
        parent = salt_parent(parent)
        smiles = Chem.MolToSmiles(parent)
    if _CHARGE.search(smiles):   # a charged parent given alone (CC[NH3+]), or an inorganic salt's ion
        parent = neutralize(parent)
        smiles = Chem.MolToSmiles(parent)
    if _LABELS.search(smiles):
        parent = Chem.Mol(parent)
        Chem.RemoveStereochemistry(parent)
        for atom in parent.GetAtoms():
            atom.SetIsotope(0)
        parent = Chem.RemoveHs(parent)   # a deuterium written as an atom is a plain hydrogen now
    return parent


@lru_cache(maxsize=65_536)   # the spellings of one molecule (SMILES enumeration) are enumerated once
def tautomer_keys(smiles: str) -> frozenset[str]:
    """The parent keys of every tautomer of the parent of the molecule whose canonical SMILES is ``smiles``,
    hydrogens moved to and from carbons included (RDKit's enumerator, within :data:`molgen.chem.standardize.MAX_TAUTOMERS`)."""
    with quiet_rdkit():
        mol = Chem.MolFromSmiles(smiles)
        if mol is None:   # a canonical SMILES RDKit cannot read back: its exact keys are all there is
            return frozenset()
        parent = parent_molecule(mol, smiles)
        return frozenset(_hash(tautomer) for tautomer in tautomer_enumerator().Enumerate(parent))


def compound_keys(mol: Chem.Mol, smiles: str | None = None) -> frozenset[str]:
    """Every key one compound answers to as the guard reads it: its parent key and each of its tautomers'
    (keto and enol included). Two molecules sharing one are forms of one compound. ``smiles``: ``mol``'s
    canonical SMILES, if known."""
    smiles = smiles or Chem.MolToSmiles(mol)
    return frozenset({parent_key(mol, smiles), *tautomer_keys(smiles)})


class CompoundIndex:
    """What was first met of each compound (a row number, a seed's SMILES), a compound read as the leak guard
    reads it: its salts, charge states, stereoisomers, isotopologues and tautomers are one compound."""

    def __init__(self) -> None:
        self._first: dict[str, object] = {}

    def first(self, mol: Chem.Mol, value: object, smiles: str | None = None) -> object:
        """The value stored with the first form of ``mol``'s compound met, or ``value`` (stored now) if it is new."""
        keys = compound_keys(mol, smiles)
        earlier = next((self._first[key] for key in keys if key in self._first), value)
        for key in keys:
            self._first.setdefault(key, earlier)
        return earlier


@lru_cache(maxsize=1)
def _salt_remover() -> rdMolStandardize.FragmentRemover:
    return rdMolStandardize.FragmentRemover()


def _compound_fragments(mol: Chem.Mol) -> tuple[Chem.Mol, ...]:
    """The fragments of a mixture that may be a compound of their own: not a counter-ion or solvent RDKit's
    salt list or :mod:`molgen.chem.counterions` names (chloride, water, acetic acid, TFA, pamoate, meglumine, ...),
    and organic (:func:`~molgen.chem.counterions.is_organic`). A held-out set from a toxicity screen lists water, HCl and acetic acid as compounds;
    every hydrate, hydrochloride and acetate salt must not read as holding them."""
    from molgen.chem.counterions import may_be_compound

    kept = _salt_remover().remove(mol)
    return tuple(fragment for fragment in Chem.GetMolFrags(kept, asMols=True, sanitizeFrags=False)
                 if may_be_compound(fragment))


#: Heavy atoms a part of a held-out mixture needs to be held out as a drug of its own (paracetamol has 11; the salt
#: formers and solvents missing from the lists have fewer).
MIN_PART_ATOMS = 8


@dataclass
class ReferenceSet:
    """Molecules that synthetic rows must not copy (exactly, or above a similarity threshold)."""

    name: str
    smiles: Sequence[str]
    #: each entry's place in its file ("line 12"), and the reader's reason where it could not read the record,
    #: named beside an entry that is no molecule (:meth:`require_readable`); None: entries are counted from 1
    where: Sequence[str] | None = None
    #: each entry's name (a .smi file's second word, a typed line's), said beside its place in a leak's reason
    names: Sequence[str | None] | None = None
    keys: dict[str, str] = field(init=False, default_factory=dict)
    #: the first entry (its index among ``smiles``) of each canonical SMILES, and of each part of a held-out mixture
    #: (its mixture's), to name where a leak's molecule stands
    first_entry: dict[str, int] = field(init=False, default_factory=dict)
    fingerprints: list = field(init=False, default_factory=list)
    canonical: list[str] = field(init=False, default_factory=list)
    #: entries that are no molecule, so guard nothing: a typo in a test compound would leave that compound
    #: unguarded, so a :class:`Guard` refuses a held-out set holding any (:meth:`require_readable`)
    unreadable: list[str] = field(init=False, default_factory=list)
    #: the parts of held-out mixtures that may be compounds of their own, held out too (:meth:`_hold_mixture_parts`),
    #: apart from the entries (``canonical``), which a manifest counts and checksums
    parts: list[str] = field(init=False, default_factory=list)
    part_fingerprints: list = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        from molgen.augment import reference_cache

        molecule_list(self.smiles, f"ReferenceSet {self.name!r}")
        if not isinstance(self.smiles, Sequence):   # a generator, say: read once, kept (its length is needed)
            self.smiles = list(self.smiles)
        large = len(self.smiles) >= reference_cache.CACHE_FROM
        stored = reference_cache.load(self.smiles) if large else None   # MOSES test: 46 s to build, seconds to read
        if stored is not None:
            rows, self.fingerprints, self.unreadable = stored
            if not self.unreadable:   # the rows stand as the entries do: each one's place read back too (a code
                # review: a large file's leaks named their line on the run that keyed it, and not after)
                for index, (isomeric, _, _) in enumerate(rows):
                    self.first_entry.setdefault(isomeric, index)
        else:
            rows = []
            with quiet_rdkit():
                for index, s in enumerate(self.smiles):
                    mol = Chem.MolFromSmiles(s) if isinstance(s, str) and s else None
                    if mol is None:
                        self.unreadable.append(s if isinstance(s, str) else repr(s))
                        continue
                    isomeric = Chem.MolToSmiles(mol)
                    self.first_entry.setdefault(isomeric, index)
                    # the SMILES without stereo differs only where there is something to drop
                    flat = Chem.MolToSmiles(mol, isomericSmiles=False) if _LABELS.search(isomeric) else isomeric
                    parent = parent_molecule(mol, isomeric)   # once, for its key and its fingerprint
                    rows.append((isomeric, flat, _hash(parent)))
                    # near-duplicates measured between parents: a held-out tartrate salt read 0.81 to its homologue
                    self.fingerprints.append(morgan_fingerprint(parent))
            if large:
                reference_cache.save(self.smiles, rows, self.fingerprints, self.unreadable)
        for isomeric, flat, parent in rows:
            for key in (isomeric, flat, parent):
                self.keys.setdefault(key, isomeric)
            self.canonical.append(isomeric)
        self._hold_mixture_parts([isomeric for isomeric, _, _ in rows if "." in isomeric])

    def _hold_mixture_parts(self, mixtures: list[str]) -> None:
        """Each drug of a held-out combination (paracetamol with aspirin) is held out too, as the checked side reads
        every part of a mixture: only the largest part's parent was keyed, so the other drug leaked, and so did the
        drug of a salt whose counter-ion outweighs it (aspirin lysine: its lysine is the parent key, and stays one).
        A drug is a part of :data:`MIN_PART_ATOMS` heavy atoms or more that is no listed counter-ion or solvent, those
        that are drugs too (benzoate, lysine) included (:func:`drugs_of`): a salt's counter-ion (rizatriptan
        benzoate's benzoate, aminophylline's ethylenediamine) held out would strike out every other salt of it. Keyed
        by its own SMILES and parent, and fingerprinted for near-duplicates."""
        with quiet_rdkit():
            for mixture in mixtures:
                mol = Chem.MolFromSmiles(mixture)
                if mol is None:
                    continue
                drugs = drugs_of(mol)
                if parent_molecule(mol, mixture).GetNumHeavyAtoms() < MIN_PART_ATOMS:
                    # its parent a small part no list names (methylamine salicylate: methylamine), a salt former
                    # that is a drug too beside it is the drug held out (a review: salicylic acid let in)
                    drugs += _drug_too_parts(mol)
                whole = parent_key(mol, mixture)   # the entry's own parent: keyed already, named as the entry
                for part in drugs:
                    isomeric = Chem.MolToSmiles(part)
                    parent = parent_molecule(part, isomeric)
                    if isomeric in self.keys or _hash(parent) == whole:
                        continue
                    for key in (isomeric, Chem.MolToSmiles(part, isomericSmiles=False), _hash(parent)):
                        self.keys.setdefault(key, isomeric)
                    if mixture in self.first_entry:   # a part is found where its mixture stands
                        self.first_entry.setdefault(isomeric, self.first_entry[mixture])
                    self.parts.append(isomeric)
                    self.part_fingerprints.append(morgan_fingerprint(parent))

    def place_of(self, isomeric: str) -> str:
        """Where the entry of canonical SMILES ``isomeric`` stands ("line 4, cpd1-salt"; "entry 4" for a list; a
        part of a held-out mixture, its mixture's), or '' where that is not known (a set whose unreadable entries
        leave its cached rows out of step)."""
        index = self.first_entry.get(isomeric)
        if index is None:
            return ""
        place = self.where[index] if self.where is not None and index < len(self.where) else f"entry {index + 1}"
        name = self.names[index] if self.names is not None and index < len(self.names) else None
        return place + (f", {name}" if isinstance(name, str) and name.strip() else "")

    def require_readable(self) -> None:
        """A ``ValueError`` naming the entries that are no molecule, each with its place and why: each is a compound
        meant to be held out that no guard can recognise."""
        if not self.unreadable:
            return
        unreadable = set(self.unreadable)
        places = [i for i, s in enumerate(self.smiles) if (s if isinstance(s, str) else repr(s)) in unreadable]

        def named(i: int) -> str:
            entry = self.smiles[i]
            place = self.where[i] if self.where is not None and i < len(self.where) else f"entry {i + 1}"
            if ":" in place:   # the reader's own reason ("record starting at line 12: atom 2 ...")
                return place
            text = entry if isinstance(entry, str) else repr(entry)
            reason = parse_smiles(text).reason if text else "empty"
            return f"{place}: {reason}" if repr(text) in reason else f"{place}: {text!r}, {reason}"
        shown = "; ".join(named(i) for i in places[:5]) + ("; ..." if len(places) > 5 else "")
        total, count = len(self.smiles), len(self.unreadable)
        raise ValueError(f"held-out {self.name}: {count:,} of {total:,} entries "
                         f"{'are not valid molecules' if count > 1 else 'is not a valid molecule'}"
                         f" ({shown}), so nothing made could be checked against "
                         f"{'them' if count > 1 else 'it'}: correct or remove {'them' if count > 1 else 'it'}")

    def exact(self, mol: Chem.Mol) -> str | None:
        """The reference molecule ``mol`` is (in any spelling, with or without stereo, or as a salt,
        charge state, isotopologue or heteroatom tautomer of it), or None."""
        found = self._exact(mol, Chem.MolToSmiles(mol))
        return found[0] if found else None

    def _exact(self, mol: Chem.Mol, isomeric: str) -> tuple[str, str] | None:
        """(the reference molecule, how): ``"is"`` (the same molecule), ``"stereo"`` (with or without stereo) or
        ``"form"`` (a salt, charge state, isotopologue or heteroatom tautomer of it). ``isomeric``: ``mol``'s
        canonical SMILES."""
        # the cheap keys first: most molecules are decided by their SMILES before the parent is built
        for key_of in (lambda: isomeric, lambda: Chem.MolToSmiles(mol, isomericSmiles=False),
                       lambda: parent_key(mol, isomeric)):
            key = key_of()
            if key in self.keys:
                hit = self.keys[key]
                if hit == isomeric:
                    return hit, "is"
                flat = Chem.MolToSmiles(mol, isomericSmiles=False)   # a hit is rare: said precisely
                hit_mol = Chem.MolFromSmiles(hit)
                # isomericSmiles=False drops isotopes with the stereo: CC[18OH] is a label of CCO, not its stereo
                labelled = any(atom.GetIsotope() for m in (mol, hit_mol) for atom in m.GetAtoms())
                return hit, "stereo" if flat == Chem.MolToSmiles(hit_mol, isomericSmiles=False) and not labelled \
                    else "form"
        return None

    def find(self, mol: Chem.Mol) -> tuple[str, str] | None:
        """(the reference molecule, how ``mol`` holds it) or None. How: ``"is"``, ``"stereo"`` or ``"form"``
        (:meth:`exact`: the molecule, it stereo aside, or a salt, charge state, isotopologue or heteroatom
        tautomer of it), ``"tautomer"`` (a hydrogen moved to or from a carbon too: keto and enol) or
        ``"fragment"`` (one part of a mixture is the reference molecule, or a form of it, other than the largest
        part the parent key reads)."""
        isomeric = Chem.MolToSmiles(mol)
        found = self._exact(mol, isomeric)
        if found is not None:
            return found
        if not self.keys:
            return None
        hit = self._tautomer_hit(isomeric)
        if hit is not None:
            return hit, "tautomer"
        if "." in isomeric:
            for fragment in _compound_fragments(mol):
                hit = self.exact(fragment) or self._tautomer_hit(Chem.MolToSmiles(fragment))
                if hit is not None:
                    return hit, "fragment"
        return None

    def _tautomer_hit(self, isomeric: str) -> str | None:
        return next((self.keys[key] for key in tautomer_keys(isomeric) if key in self.keys), None)

    def nearest(self, mol: Chem.Mol) -> tuple[str | None, float]:
        """The held-out molecule (or part of a held-out mixture) most similar to ``mol``'s parent, and how similar."""
        fingerprints = self.fingerprints + self.part_fingerprints
        if not fingerprints:
            return None, 0.0
        sims = np.asarray(DataStructs.BulkTanimotoSimilarity(morgan_fingerprint(parent_molecule(mol)), fingerprints))
        best = int(sims.argmax())
        return (self.canonical + self.parts)[best], float(sims[best])


#: What an augment command screens the new molecules it makes for (analogues, balance; not an input's own spellings)
#: unless told otherwise: the shipped scoring profiles' hard filters, so a generated bicyclo[2.2.0] penam or a
#: radical or an O-F bond is not training data by default.
GENERATED_ROW_ALERTS = ("rings", "radicals", "inorganic", "halogen_donors")


@dataclass
class Guard:
    """Everything a synthetic row must pass; :meth:`check` says why one fails ('' when it passes).

    Args:
        held_out: sets that must never appear in training data (a test set), exact or near. A set with an
            entry that is no molecule is refused (``ValueError`` naming it): that compound could not be guarded.
        seeds: the molecules augmented; a generated copy of one is no new data.
        near_duplicate: Tanimoto at or above which a molecule counts as a near-duplicate of a
            held-out molecule or of a seed (``None``: exact matches only).
        seed_near: the near-copy threshold for seeds alone, where it differs (``None``: ``near_duplicate``).
        alerts: alert sets (``pains``, ``brenk``, ...) a row must not hit: the hard filters of
            :data:`GENERATED_ROW_ALERTS` on the molecule as written, the others on each compound of a salt or mixture
            (its parent; each drug of a combination), not on its counter-ions.
        rules: rule names (``lipinski``, ...) each compound of a row must pass, as ``alerts`` reads them.
    """

    held_out: list[ReferenceSet] = field(default_factory=list)
    seeds: ReferenceSet | None = None
    near_duplicate: float | None = 0.95
    alerts: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    #: Tanimoto at or above which a molecule is a near-copy of a seed, when not ``near_duplicate`` (analogues: the
    #: similarity window's upper edge, so that tightening the held-out guard does not narrow the window unsaid)
    seed_near: float | None = None

    def __post_init__(self) -> None:
        if isinstance(self.held_out, ReferenceSet):   # "'ReferenceSet' object is not iterable" (a review)
            raise TypeError(f"held_out takes a list of reference sets: give [ReferenceSet({self.held_out.name!r}, ...)]")
        if not isinstance(self.held_out, str):   # an iterator would be used up by the checks below, guarding nothing
            self.held_out = list(self.held_out)
        if isinstance(self.held_out, str) or any(not isinstance(r, ReferenceSet) for r in self.held_out):
            # a list of SMILES: 'str' object has no attribute 'require_readable' (a review)
            raise TypeError("held_out takes a list of reference sets, not SMILES: give "
                            "[ReferenceSet('held out', ['CC(=O)Nc1ccc(O)cc1', ...])]")
        # a Tanimoto above 1 would switch the check off unsaid; 0 would remove every molecule
        if self.near_duplicate is not None and not 0 < self.near_duplicate <= 1:
            raise ValueError(f"near_duplicate is a Tanimoto above 0 and up to 1 (or None: exact matches only), not "
                             f"{self.near_duplicate}")
        for reference in self.held_out:   # a held-out entry that is no molecule would leave its compound unguarded
            reference.require_readable()
        unknown = [r for r in self.rules if r not in RULES]
        if unknown:
            raise ValueError(f"unknown rules {unknown}; known: {', '.join(RULES)}")

    def leak(self, mol: Chem.Mol, *, near: bool = True) -> str:
        """Why ``mol`` is (or, with ``near``, nearly is) a held-out molecule, or '' when it is not.
        Inputs are asked with ``near=False``: a seed or an original that *is* a test molecule leaks
        it, while one merely similar to a test molecule is the chemist's own data (and a similarity
        scan of every input against a 176k test set would cost about 30 ms a molecule)."""
        for reference in self.held_out:
            found = reference.find(mol)
            # where the held-out molecule stands in its set, by its line and name (a review: a leak named only the
            # SMILES and the set, so a chemist searched the file for it)
            if found is not None:
                place = reference.place_of(found[0])
                return f"leak: {_held(found, 'held-out molecule')} ({reference.name}{', ' + place if place else ''})"
            if near and self.near_duplicate is not None:
                nearest, similarity = reference.nearest(mol)
                if similarity >= self.near_duplicate:
                    place = reference.place_of(nearest)
                    return (f"leak: near-duplicate of held-out {nearest} ({reference.name}"
                            f"{', ' + place if place else ''}, Tanimoto {similarity:.2f})")
        return ""

    def check(self, mol: Chem.Mol, *, allow_seed_copy: bool = False, near: bool = True) -> str:
        """Why ``mol`` may not be a synthetic row, or '' when it may. ``allow_seed_copy``: a copy of a seed is the
        point (a spelling of an input); ``near``: held-out near-duplicates count too (not for an input's own
        molecule, see :meth:`leak`)."""
        leak = self.leak(mol, near=near)
        if leak:
            return leak
        if self.seeds is not None and not allow_seed_copy:
            # balance's references are its inputs, no seeds (a review was told "near-copy of seed" there)
            what = "input" if self.seeds.name == "inputs" else "seed"
            found = self.seeds.find(mol)
            if found is not None:   # one reason before the colon, as the manifest counts removals by it
                return f"copy of {what}: " + {"is": found[0], "stereo": f"{found[0]}, stereo aside",
                                           "form": f"{found[0]}, as a salt, charge state, tautomer or isotope label",
                                           "tautomer": f"{found[0]}, as a tautomer",
                                           "fragment": f"{found[0]}, in a mixture"}[found[1]]
            threshold = self.seed_near if self.seed_near is not None else self.near_duplicate
            if threshold is not None:
                nearest, similarity = self.seeds.nearest(mol)
                if similarity >= threshold:
                    return f"near-copy of {what}: {nearest} (Tanimoto {similarity:.2f})"
        if not (self.alerts or self.rules):
            return ""
        # the hard filters read the molecule as written (a radical or an O-F bond in any part is no training data);
        # the other alert sets and the rules read each compound of it: a salt's parent (a maleate's double bond or
        # a pamoate's weight is no property of the drug: fumarates were removed, their bases kept), each drug of a
        # combination
        hard = [name for name in self.alerts if name in GENERATED_ROW_ALERTS]
        if hard and (hits := find_alerts(mol, hard)):
            return f"alerts: {'; '.join(hits)}"
        others = [name for name in self.alerts if name not in GENERATED_ROW_ALERTS]
        compounds = _screened_compounds(mol)
        for compound in compounds:
            of = "" if compound is mol else \
                f" (its {'parent' if len(compounds) == 1 else 'part'} {Chem.MolToSmiles(compound)})"
            if others and (hits := find_alerts(compound, others)):
                return f"alerts: {'; '.join(hits)}{of}"
            if self.rules:
                properties = compute_properties(compound)
                failed = [name for name in self.rules if not check_rule(name, properties).passed]
                if failed:
                    return f"fails rules: {', '.join(failed)}{of}"
        return ""


def drugs_of(mol: Chem.Mol) -> list[Chem.Mol]:
    """The parts of a mixture that are drugs of their own: of :data:`MIN_PART_ATOMS` heavy atoms or more and no
    listed counter-ion or solvent, those that are drugs too (benzoate, lysine) included (sanitized, as written)."""
    from molgen.chem.counterions import is_listed

    return [part for fragment in _compound_fragments(mol)
            if (part := Chem.MolFromSmiles(Chem.MolToSmiles(fragment))) is not None
            and part.GetNumHeavyAtoms() >= MIN_PART_ATOMS and not is_listed(part)]


def _drug_too_parts(mol: Chem.Mol) -> list[Chem.Mol]:
    """The parts of a mixture that are listed salt formers and drugs too (salicylate, lysine), of
    :data:`MIN_PART_ATOMS` heavy atoms or more (sanitized, as written)."""
    from molgen.chem.counterions import is_listed, may_be_compound

    return [part for fragment in _compound_fragments(mol)
            if (part := Chem.MolFromSmiles(Chem.MolToSmiles(fragment))) is not None
            and part.GetNumHeavyAtoms() >= MIN_PART_ATOMS and is_listed(part) and may_be_compound(part)]


def _screened_compounds(mol: Chem.Mol) -> list[Chem.Mol]:
    """What a guard's alert sets (the hard filters aside) and rules read of ``mol``: the molecule itself; a salt's
    drug, or each drug of a combination (:func:`drugs_of`), neutralized (its lysine, benzoate or HCl is no part of
    it); a salt with no such part (triethylamine HCl), its parent (:func:`~molgen.chem.standardize.neutral_parent`)."""
    if len(Chem.GetMolFrags(mol)) == 1:
        return [mol]
    drugs = drugs_of(mol)   # aspirin lysine's drug is aspirin, though lysine is larger counting hydrogens
    return [neutralize(drug) for drug in drugs] if drugs else [neutral_parent(mol)]


def screened(guard: Guard | None, screen: bool = True) -> Guard:
    """A copy of ``guard`` (a bare one if None) whose alerts include :data:`GENERATED_ROW_ALERTS` when ``screen``:
    what ``analogues`` and ``balance`` check their new molecules with. A copy, so that the seeds they set on it are
    not left on the caller's guard for the next call."""
    guard = guard or Guard()
    return replace(guard, alerts=list(dict.fromkeys([*guard.alerts, *(GENERATED_ROW_ALERTS if screen else ())])))


def _held(found: tuple[str, str], what: str) -> str:
    """A match of :meth:`ReferenceSet.find` in words: "is held-out molecule X", "is a tautomer of held-out ..."."""
    hit, how = found
    return {"is": f"is {what} {hit}", "stereo": f"is {what} {hit}, stereo aside",
            "form": f"is another form (salt, charge state, tautomer or isotope label) of {what} {hit}",
            "tautomer": f"is a tautomer of {what} {hit}", "fragment": f"holds {what} {hit} in a mixture"}[how]


def apply_guard(rows: pd.DataFrame, guard: Guard, *, spellings: bool | None = None, allow_seed_copy: bool = False,
                smiles_column: str = "smiles") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split synthetic ``rows`` into (kept, removed); ``removed`` has a ``removed_because`` column.

    Rows whose SMILES do not parse are removed too, with the parser's reason. Exact duplicates
    within ``rows`` (same molecule, same ``method``, seed and input row) keep their first occurrence; a repeat of a
    row the guard removed is removed with its reason. (``analogues`` keeps a molecule reached by several methods or
    seeds once, as it caps each seed.)

    ``spellings``: the rows are spellings of the inputs (:func:`~molgen.augment.enumerate.enumerate_smiles`), so
    each spelling is a row of its own, a copy of its seed is the point, and a held-out molecule is matched exactly
    (in any spelling or form), not by similarity: an input merely similar to a test molecule is the chemist's own
    data, as in ``balance`` and ``analogues``. By default (None) a row is a spelling when its ``method`` is
    ``"enumerate"``. ``allow_seed_copy`` is the older name of ``spellings=True``.
    """
    reasons = []
    seen: dict[tuple, str] = {}   # each key's first row's verdict ('' when kept)
    with quiet_rdkit():
        for record in rows.to_dict("records"):
            parsed = parse_smiles(record[smiles_column])
            if not parsed.ok:
                reasons.append(f"invalid: {parsed.failure.value}: {parsed.message}")
                continue
            # and, where rows carry it, the input row: two input rows holding one molecule (two labels of it)
            # each keep all their spellings, as enumerate promises
            spelling = allow_seed_copy or (record.get("method") == "enumerate" if spellings is None else spellings)
            key = (record[smiles_column] if spelling else Chem.MolToSmiles(parsed.mol),
                   record.get("method"), record.get("seed_smiles"), record.get("input_row"))
            if key in seen:
                # a repeat of a removed row is removed for the same reason (a leak met twice is two leaked rows)
                reasons.append(seen[key] or "duplicate within the synthetic set")
                continue
            seen[key] = guard.check(parsed.mol, allow_seed_copy=spelling, near=not spelling)
            reasons.append(seen[key])
    reasons = np.array(reasons, dtype=object)
    keep = reasons == ""
    removed = rows[~keep].copy()
    removed["removed_because"] = reasons[~keep]
    return rows[keep].reset_index(drop=True), removed.reset_index(drop=True)
