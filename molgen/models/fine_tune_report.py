"""What a fine-tuned model's samples show, measured once it is trained and kept in its card.

A fine-tune's validation loss says how well the model predicts its series, not what a chemist gets from it.
Past a few dozen passes a model mostly writes its series back (``benchmarks/fine_tuning.py``: 16% copies after
50 passes, 96% after 400). So the card says, from a seeded sample: validity as sampled (nothing corrected),
distinct molecules, the share of valid samples that copy a training molecule (of the series, and of the data of the
model it started from), how many held-out series members
the model found, how many new molecules it wrote, how many of those keep a series member's whole Murcko scaffold
(every ring and linker: a new substituent on a ring counts, a new ring does not) and how many hold the ring
system most of the series shares (its quinoline, whatever else the molecule carries). The same for every model family: a SMILES model sampled at temperature 1, a graph model with its
own sampling defaults (the VAE valid by construction, diffusion as sampled).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Sequence

from rdkit import Chem

from molgen.chem.parse import canonical_smiles
from molgen.chem.rdkit_log import quiet_rdkit
from molgen.data.splits import murcko_scaffold


def series_scaffolds(smiles) -> set[str]:
    """The whole Murcko scaffolds of a series' molecules (every ring and the links between them); an acyclic
    molecule has none."""
    return {murcko_scaffold(s) for s in smiles} - {"", None}


def on_scaffolds(smiles: Sequence[str], scaffolds: set[str]) -> list[bool]:
    """For each of ``smiles``, whether its whole Murcko scaffold is one of ``scaffolds``."""
    return [murcko_scaffold(s) in scaffolds for s in smiles]


def _ring_system_atoms(mol: Chem.Mol) -> list[set[int]]:
    """The atoms of each ring system of ``mol``: rings sharing an atom (fused, bridged or spiro) taken together."""
    systems: list[set[int]] = []
    for ring in map(set, mol.GetRingInfo().AtomRings()):
        for joined in [system for system in systems if system & ring]:
            systems.remove(joined)
            ring |= joined
        systems.append(ring)
    return systems


def _system_key(mol: Chem.Mol, atoms: set[int]) -> str:
    """A ring system's key: its ring atoms and ring bonds, hydrogens, charges, labels and exocyclic bonds aside, so
    indole and N-methylindole, pyridine and its N-oxide, piperidine and piperidin-2-one hold one system each."""
    bonds = [bond.GetIdx() for bond in mol.GetBonds()
             if bond.IsInRing() and bond.GetBeginAtomIdx() in atoms and bond.GetEndAtomIdx() in atoms]
    bare = Chem.RWMol(Chem.PathToSubmol(mol, bonds))
    for atom in bare.GetAtoms():
        atom.SetNoImplicit(True)
        atom.SetNumExplicitHs(0)
        atom.SetFormalCharge(0)
        atom.SetIsotope(0)
    bare.UpdatePropertyCache(strict=False)
    return Chem.MolToSmiles(bare, isomericSmiles=False)


def _system_shown(mol: Chem.Mol, atoms: set[int]) -> str | None:
    """A ring system as a molecule of its own, to show: its rings with the atoms doubly bonded to them (a C=O, S=O,
    C=N-R as C=NH) and an N-oxide's oxygen, each other substituent replaced by hydrogen, a charge it carried given
    up (4-quinolone reads O=c1cc[nH]c2ccccc12, sulfolane O=S1(=O)CCCC1, N-methylindole's system c1ccc2[nH]ccc2c1,
    N-methylpyridinium's c1ccncc1); None where that is no molecule RDKit takes."""
    keep = set(atoms)
    for index in atoms:
        for bond in mol.GetAtomWithIdx(index).GetBonds():
            other = bond.GetOtherAtom(mol.GetAtomWithIdx(index))
            if other.GetIdx() not in atoms and (bond.GetBondType() == Chem.BondType.DOUBLE or (
                    other.GetDegree() == 1 and other.GetFormalCharge() < 0)):
                keep.add(other.GetIdx())
    edited = Chem.RWMol(mol)
    for index in keep:
        atom = edited.GetAtomWithIdx(index)
        lost = [bond for bond in atom.GetBonds() if bond.GetOtherAtomIdx(index) not in keep]
        if not lost:
            continue
        # a quaternary N or an N-alkylpyridinium: the substituent made the charge, which goes with it
        given_up = min(atom.GetFormalCharge(), len(lost)) if atom.GetFormalCharge() > 0 else 0
        atom.SetFormalCharge(atom.GetFormalCharge() - given_up)
        if atom.GetIsAromatic():   # hydrogens in place of the bonds lost (an N-substituent becomes its [nH])
            atom.SetNumExplicitHs(atom.GetTotalNumHs() + max(0, sum(int(bond.GetBondTypeAsDouble()) for bond in lost)
                                                              - given_up))
            atom.SetNoImplicit(True)
        else:   # hydrogens from the bonds that remain, as RDKit counts them
            atom.SetNumExplicitHs(0)
            atom.SetNoImplicit(False)
    for index in sorted(set(range(mol.GetNumAtoms())) - keep, reverse=True):
        edited.RemoveAtom(index)
    try:
        with quiet_rdkit():
            Chem.SanitizeMol(edited)
    except (ValueError, RuntimeError):
        return None
    return Chem.MolToSmiles(edited, isomericSmiles=False)


def ring_system_keys(smiles: str) -> set[str]:
    """The keys of a molecule's ring systems (:func:`_system_key`); none for a SMILES that is no molecule."""
    mol = Chem.MolFromSmiles(smiles) if smiles else None
    return set() if mol is None else {_system_key(mol, atoms) for atoms in _ring_system_atoms(mol)}


def ring_systems(smiles: str) -> dict[str, str]:
    """A molecule's ring systems: key (:func:`_system_key`) -> the system as a molecule of its own
    (:func:`_system_shown`, else the key)."""
    mol = Chem.MolFromSmiles(smiles) if smiles else None
    if mol is None:
        return {}
    found: dict[str, str] = {}
    for atoms in _ring_system_atoms(mol):
        key = _system_key(mol, atoms)
        if key not in found:   # a key that is no molecule (an aromatic N's hydrogen left out) only as a last resort
            found[key] = _system_shown(mol, atoms) or key
    return found


@dataclass(frozen=True)
class SeriesCore:
    """The ring system most of a series' compounds hold: its key (:func:`_system_key`), as the series shows it
    most, and the share of the series' compounds holding it."""

    key: str
    smiles: str
    share: float


def _compounds(smiles: Sequence[str]) -> list[str]:
    """One entry per compound: a series' rows as the leak guard reads a compound (neutral parent, no stereo or
    isotope labels), each once, sorted (a row read as written, as its parent and stereo-free, a salt's counter-ion,
    a repeated measurement: counted once)."""
    from molgen.augment.guards import parent_molecule   # the leak guard's compound; its package is read only here

    seen: set[str] = set()
    with quiet_rdkit():
        for one in smiles:
            mol = Chem.MolFromSmiles(one) if one else None
            if mol is not None:   # tautomers apart: enumerating them would cost more than the share is worth
                seen.add(Chem.MolToSmiles(parent_molecule(mol, one)))
    return sorted(seen)


#: A ring system held by at least this share of the compounds holding the series' commonest one competes with it
#: as the series' core, the most specific winning: one reference compound among 70 quinazolines with a phenyl each
#: (a review) made benzene, 71 of 71, the core over the quinazoline, 70 of 71.
CORE_RIVAL_SHARE = 0.9


def series_core(smiles: Sequence[str]) -> SeriesCore | None:
    """The series' ring system: of those held by about as many compounds as the commonest one (at least
    :data:`CORE_RIVAL_SHARE` of its count), the most specific (the larger, then the one with more heteroatoms: a
    quinoline or aminopyrimidine series whose members all carry a phenyl too is not a phenyl series), then the most
    held; when at least half of the compounds hold it; else None. ``smiles``: the series in any spellings (salts,
    stereo forms and repeats count once, :func:`_compounds`)."""
    counts: Counter = Counter()
    shown: dict[str, Counter] = {}
    compounds = _compounds(smiles)
    with quiet_rdkit():
        for one in compounds:
            for key, written in ring_systems(one).items():
                counts[key] += 1
                shown.setdefault(key, Counter())[written] += 1
    if not counts:
        return None

    def specific(key: str) -> tuple[int, int, str]:   # atoms, then heteroatoms: a pyrimidine before a phenyl
        atoms = Chem.MolFromSmiles(key, sanitize=False).GetAtoms()
        return len(atoms), sum(atom.GetAtomicNum() != 6 for atom in atoms), key

    # held by half the compounds at least, and about as often as the commonest (a rival below half made the result
    # None where the commonest, held by more than half, was the core)
    rivals = [k for k in counts if counts[k] >= max(CORE_RIVAL_SHARE * max(counts.values()), len(compounds) / 2)]
    if not rivals:
        return None
    key = max(rivals, key=lambda k: (*specific(k)[:2], counts[k], k))
    written = min(shown[key].items(), key=lambda item: (-item[1], item[0]))[0]   # the most common; ties by name
    return SeriesCore(key, written, round(counts[key] / len(compounds), 4))


def holds_core(smiles: Sequence[str], core: SeriesCore) -> list[bool]:
    """For each of ``smiles``, whether it holds ``core`` as one of its ring systems (not fused into a larger one)."""
    with quiet_rdkit():
        return [core.key in ring_system_keys(one) for one in smiles]


def measure_fine_tune(model, training: Sequence[str], held_out: Sequence[str], n: int = 1000, seed: int = 0,
                      known: frozenset[str] | set[str] = frozenset(),
                      learned_before: frozenset[str] | set[str] | None = frozenset(),
                      sampling: dict | None = None, validity_note: str = "as sampled, no correction") -> dict:
    """``n`` samples of ``model`` (``seed``; ``sampling``: options of its ``sample``, e.g. a SMILES model's
    temperature, else its defaults) against the molecules it was fine-tuned on
    (``training``) and the series members it was validated on (``held_out``); ``known``: the rest of the series'
    file in canonical forms (rows a --where left out), not new either, and whose ring systems are the series'.
    ``learned_before``: the molecules of the model it started from (MOSES for a shipped one), not new either (a
    sample writing one back is no new idea); None when they cannot be read here, and the card says new counts
    against the series alone."""
    with quiet_rdkit():
        taught = {c for c in map(canonical_smiles, training) if c}
        kept_apart = {c for c in map(canonical_smiles, held_out) if c} - taught
        samples = [canonical_smiles(s.smiles) if s.smiles else None for s in model.sample(n, seed=seed, **(sampling or {}))]
        valid = [s for s in samples if s]
        distinct = set(valid)
        new = {s for s in distinct - taught - kept_apart - set(known) if s not in (learned_before or ())}   # no copy of MOSES
        series = taught | kept_apart | set(known)
        on_scaffold = sum(on_scaffolds(sorted(new), series_scaffolds(series)))
        core = series_core(sorted(series))
        with_core = sum(holds_core(sorted(new), core)) if core is not None else 0
    return {"samples": n, "seed": seed, **(sampling or {}),
            "valid": round(len(valid) / n, 4) if n else None,
            "distinct_valid": len(distinct),
            "training_copies": round(sum(1 for s in valid if s in taught) / len(valid), 4) if valid else None,
            # the parent's molecules written back (a review read "0% copy a training molecule" as no memorisation,
            # when 12% of the samples were MOSES training molecules); None when its data is not read here
            "parent_copies": (round(sum(1 for s in valid if s in learned_before and s not in taught) / len(valid), 4)
                              if valid and learned_before is not None else None),
            "held_out_found": len(distinct & kept_apart), "held_out": len(kept_apart),
            # named, so that a chemist can tell which members the model was kept from and which it found (a review
            # rebuilt the split from internal functions to learn them); a large series' are counted only
            **({"held_out_members": sorted(kept_apart), "held_out_members_found": sorted(distinct & kept_apart)}
               if len(kept_apart) <= HELD_OUT_NAMED else {}),
            "new_molecules": len(new),
            "new_on_series_scaffold": round(on_scaffold / len(new), 4) if new else None,
            "series_core": None if core is None else {"smiles": core.smiles, "share_of_series": core.share},
            "new_with_series_core": round(with_core / len(new), 4) if new and core is not None else None,
            "new_means": ("in neither the series nor the data of the model it started from" if learned_before is not None
                          else "not in the series (the data of the model it started from is not found here)"),
            "validity_note": validity_note}


#: A card names its held-out series members up to this many (their canonical SMILES), and counts them beyond.
HELD_OUT_NAMED = 200


#: The sampling options a report line names beside its seed.
SAMPLING_SAID = ("temperature", "steps", "decoding")


def report_line(metrics: dict) -> str:
    """The measurement in one sentence, as training prints it."""
    how = "".join(f", {key} {metrics[key]:g}" if isinstance(metrics[key], (int, float)) else f", {key} {metrics[key]}"
                  for key in SAMPLING_SAID if key in metrics)
    if metrics.get("latent_prior") is False:   # a graph VAE's fine-tune, sampled from N(0, I)
        how += ", latents from N(0, I)"
    said = (f"{metrics['samples']:,} samples (seed {metrics['seed']}{how}): {metrics['valid']:.0%} valid, "
            f"{metrics['distinct_valid']:,} distinct")
    if metrics["training_copies"] is not None:
        said += f"; {metrics['training_copies']:.0%} of the valid ones copy a training molecule of the series"
        if metrics.get("parent_copies") is not None:   # cards written before it have none
            said += f", {metrics['parent_copies']:.0%} one of the data of the model it started from"
    if metrics["held_out"]:
        said += f"; {metrics['held_out_found']} of {metrics['held_out']} held-out series members found"
    said += f"; {metrics['new_molecules']:,} new molecules"
    if metrics["new_on_series_scaffold"] is not None:
        said += f", {metrics['new_on_series_scaffold']:.0%} of them on a series member's whole Murcko scaffold"
    if metrics.get("new_with_series_core") is not None:   # cards written before it have none
        core = metrics["series_core"]
        said += (f", {metrics['new_with_series_core']:.0%} holding the series' ring system {core['smiles']} (that of "
                 f"{core['share_of_series']:.0%} of the series)")
    return said
