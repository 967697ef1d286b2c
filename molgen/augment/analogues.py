"""Generative analogues: new molecules near each seed, inside a similarity window.

"Near" is Morgan Tanimoto to the seed (radius 2, 2048 bits) within ``[min_similarity,
max_similarity]``: below the window a molecule is a stranger, above it (or equal to the seed in
any spelling) a copy. Methods, each drawing on a generator family:

- ``prefix``: the SMILES model completes the first 30-70% of each seed's SMILES, so every
  sample starts from the seed's own atoms (left-to-right completion is the natural
  scaffold-constrained mode of a SMILES model).
- ``fine-tune``: the SMILES model is fine-tuned on the seed set for a few hundred steps (the
  usual way chemists focus a prior on a series), then sampled freely; each sample is assigned to
  its most similar seed.
- ``latent``: the graph VAE decodes points at a chosen radius around each seed's latent point.
- ``inpaint``: graph diffusion holds each seed's Bemis-Murcko scaffold fixed and denoises the
  rest, in graphs of up to 3 nodes more or fewer than the seed has atoms; a sample that lost the
  scaffold is removed with that reason.

``latent`` and ``inpaint`` use the shipped checkpoint of their family or one given by path;
asking for a family molgen does not ship, without a path, is an error that says so.
"""

from __future__ import annotations

import math

import tempfile
import warnings
from collections import Counter
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
from rdkit import Chem, DataStructs
from rdkit.Chem.Scaffolds import MurckoScaffold

from molgen.augment.guards import Guard, ReferenceSet, apply_guard, screened
from molgen.augment.provenance import params_text
from molgen.chem.graph import has_stereo
from molgen.chem.parse import molecule_list, parse_smiles
from molgen.chem.rdkit_log import quiet_rdkit
from molgen.chem.standardize import neutral_parent
from molgen.data.tokenizer import tokenize
from molgen.models.base import Conditions, shipped_checkpoint, whole_number
from molgen.progress import progress_bar
from molgen.scoring.similarity import morgan_fingerprint

METHODS = ("prefix", "fine-tune", "latent", "inpaint")
_NEEDS = {"latent": "graph-vae", "inpaint": "graph-diffusion"}
PREFIX_FRACTIONS = (0.3, 0.5, 0.7)


def _canonical_seeds(seeds: Sequence[str], guard: Guard) -> tuple[dict[str, int], pd.DataFrame]:
    """The distinct valid seeds, canonical, each with its input row (1-based); the others with why:
    invalid, a repeat of an earlier seed in another spelling or another form (a salt, charge state, tautomer,
    stereoisomer or isotopologue of one parent compound: the analogues of the two would be one set), or a
    held-out molecule (its analogues would be built on a test molecule)."""
    from molgen.augment.guards import CompoundIndex

    kept: dict[str, int] = {}
    compounds = CompoundIndex()   # each compound's first seed
    removed = []
    with quiet_rdkit():
        for row, text in enumerate(seeds, start=1):
            parsed = parse_smiles(text)
            if not parsed.ok:
                removed.append({"smiles": text, "input_row": row,
                                "removed_because": f"invalid seed: {parsed.failure.value}: {parsed.message}"})
                continue
            canonical = Chem.MolToSmiles(parsed.mol)
            leak = guard.leak(parsed.mol, near=False)
            if leak:
                removed.append({"smiles": text, "input_row": row, "removed_because": "held-out seed: " + leak.removeprefix("leak: ")})
            elif canonical in kept:
                removed.append({"smiles": text, "input_row": row, "removed_because": f"repeated seed: {canonical}"})
            elif (first := compounds.first(parsed.mol, canonical, canonical)) != canonical:
                removed.append({"smiles": text, "input_row": row, "removed_because":
                                f"repeated seed: another form of the compound of seed {first} (row "
                                f"{kept[first]}): a salt, charge state, tautomer, stereoisomer or isotopologue"})
            else:
                kept[canonical] = row
    return kept, pd.DataFrame(removed, columns=["smiles", "input_row", "removed_because"])


def _model_spelling(model, smiles: str) -> str | None:
    """``smiles`` as the SMILES model can read it: as written, else without stereo (a MOSES model
    has no stereo tokens); None when a token is still unknown (a charge or element it never saw)."""
    for text in (smiles, Chem.MolToSmiles(Chem.MolFromSmiles(smiles), isomericSmiles=False)):
        try:
            model.vocabulary.encode(text, add_bos_eos=False)
            return text
        except ValueError:
            continue
    return None


def _unknown_tokens(model, smiles: str) -> str:
    """The tokens of ``smiles`` (without stereo) the SMILES model never saw, in words: "the token [N+]"."""
    flat = Chem.MolToSmiles(Chem.MolFromSmiles(smiles), isomericSmiles=False)
    unknown = []
    for token in dict.fromkeys(tokenize(flat)):
        try:
            model.vocabulary.encode(token, add_bos_eos=False)
        except ValueError:
            unknown.append(token)
    return ("the token " if len(unknown) == 1 else "the tokens ") + ", ".join(unknown)


def _prefix_samples(model, seed_smiles: str, n: int, rng_seed: int, temperature: float) -> list[tuple[str, float]]:
    tokens = tokenize(seed_smiles)
    out = []
    for j, fraction in enumerate(PREFIX_FRACTIONS):   # the budget shared out whole (200: 67, 67, 66)
        per_prefix = n // len(PREFIX_FRACTIONS) + (j < n % len(PREFIX_FRACTIONS))
        if per_prefix < 1:
            continue
        prefix = "".join(tokens[:max(1, int(len(tokens) * fraction))])
        for sample in model.sample(per_prefix, conditions=Conditions(prefix=prefix), seed=rng_seed + j, temperature=temperature):
            out.append((sample.smiles, fraction))
    return out


def _fine_tuned(model, seeds: list[str], steps: int, seed: int):
    from molgen.models.smiles_lm.config import TrainConfig
    from molgen.models.smiles_lm.model import SmilesLM
    from molgen.models.smiles_lm.train import train

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "prior.pt"
        model.save(path)
        tuned = SmilesLM.load(path)
        tuned.network.train()
        # randomized spellings: tuned on canonical SMILES, 200 steps on a few seeds make the model write them back
        # (1,797 of 2,000 samples seed copies on a 20-molecule series, against 212; 98 analogues kept, against 261)
        config = TrainConfig(batch_size=min(32, len(seeds)), lr=3e-4, min_lr=1e-4, max_steps=steps, eval_every=steps,
                             warmup_steps=max(1, steps // 10), seed=seed, randomize_smiles=True)
        train(tuned, seeds, seeds, config, Path(folder) / "tuned.pt", data_name="seed set", progress=False)
        return SmilesLM.load(Path(folder) / "tuned.pt")


def _graph_model(checkpoint: str | None, family: str):
    """A graph model from ``checkpoint`` (default: the shipped one) and its provenance text."""
    from molgen.models.base import family_class
    from molgen.runs.generate import file_sha256

    path = Path(checkpoint) if checkpoint else shipped_checkpoint(family)
    model = family_class(family).load(path)  # a checkpoint of another family is a CheckpointError (a ValueError)
    return model, f"{path.name} sha256:{file_sha256(path)[:16]}"


def _inpainted(model, seed_smiles: str, n: int, steps: int, rng_seed: int) -> list[tuple[str, str | None, dict]]:
    """Diffusion samples that keep the seed's Bemis-Murcko scaffold: (smiles, why unusable or None, params)."""
    mol = Chem.MolFromSmiles(seed_smiles)
    core = MurckoScaffold.MurckoScaffoldSmiles(mol=mol)
    if not core:
        return [(seed_smiles, "seed has no ring scaffold to keep", {})]
    core_mol = Chem.MolFromSmiles(core)
    atoms, core_atoms = mol.GetNumAtoms(), core_mol.GetNumAtoms()
    high = min(atoms + 3, model.config.max_atoms)
    # at least one atom beyond the scaffold where room allows: a graph that is all scaffold is the scaffold
    low = min(max(core_atoms + 1, atoms - 3), high)
    try:
        # the core writes a de-substituted aromatic N as [nH]: open, so the seed's N-substituent can come back
        samples = model.sample(n, conditions=Conditions(scaffold=core), steps=steps, seed=rng_seed, num_atoms=(low, high),
                               keep_scaffold_hydrogens=False)
    except ValueError as error:  # an atom type the model never saw, or a seed larger than it can build
        return [(seed_smiles, f"seed not usable by the diffusion model: {error}", {})]
    params = {"scaffold": core, "diffusion_steps": steps, "graph_nodes": [low, high]}
    out = []
    for sample in samples:
        if not sample.smiles:
            out.append((sample.smiles, f"invalid: {sample.meta.get('error', 'graph does not sanitize')}", params))
        elif not Chem.MolFromSmiles(sample.smiles).HasSubstructMatch(core_mol):
            # the scaffold's fragment is kept, but a held atom may have changed (the Murcko core's [nH] opened)
            out.append((sample.smiles, f"scaffold lost: the molecule does not contain {core}", params))
        else:
            out.append((sample.smiles, None, params))
    return out


def analogues(seeds: Sequence[str], *, per_seed: int = 20, min_similarity: float = 0.4, max_similarity: float = 0.95,
              methods: Sequence[str] = ("prefix",), model: str = "smiles-lm", fine_tune_steps: int = 200,
              samples_per_seed: int = 300, temperature: float = 1.0, seed: int = 0, guard: Guard | None = None,
              screen: bool = True, profile=None, latent_radius: float = 2.0, diffusion_steps: int = 100,
              vae_checkpoint: str | None = None, diffusion_checkpoint: str | None = None,
              progress: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Up to ``per_seed`` analogues of each seed; returns (rows with provenance, removed rows with why). Each row
    names its seed (``seed_smiles``, canonical) and the seed's place among ``seeds`` (``seed_row``, 1-based); the
    rows follow the seeds' order, each seed's most similar first.

    Args:
        seeds: the series (SMILES); invalid ones are reported, not used.
        min_similarity / max_similarity: the window (inclusive) around each seed.
        methods: any of ``prefix``, ``fine-tune``, ``latent`` (the graph VAE's neighbourhood, at
            ``latent_radius``) and ``inpaint`` (graph diffusion keeping each seed's Bemis-Murcko
            scaffold and denoising the rest, ``diffusion_steps`` steps, graphs within 3 nodes of the seed's size).
        model: a SMILES model: family name (shipped checkpoint) or checkpoint path.
        samples_per_seed: sampling budget per seed and method.
        guard: leak, copy, alert and rule checks; by default the seeds are the copy set.
        screen: new molecules are also screened for :data:`~molgen.augment.guards.GENERATED_ROW_ALERTS` (strained
            rings, radicals, no carbon, halogens on N, O or S (not sulfonyl halides)), with or without a guard, as on the command line.
        profile: a scoring profile whose ``score`` is added to every row (hard filters remove rows).
        vae_checkpoint / diffusion_checkpoint: checkpoints for ``latent`` / ``inpaint`` (default: the shipped ones).
        progress: a bar per seed and method on stderr (fine-tune moves it once, after its training).
    """
    if not 0 <= min_similarity <= max_similarity <= 1:
        raise ValueError(f"need 0 <= min_similarity <= max_similarity <= 1, got {min_similarity}, {max_similarity}")
    if per_seed < 1 or samples_per_seed < 1:
        raise ValueError(f"need per_seed and samples_per_seed of 1 or more, got {per_seed} and {samples_per_seed}")
    # refused here, not per seed: a negative radius removed every seed as "not encodable" (a review)
    if not latent_radius >= 0:
        raise ValueError(f"latent_radius must be 0 or more, not {latent_radius}")
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, not {temperature}")
    whole_number("diffusion_steps", diffusion_steps, least=1)
    whole_number("fine_tune_steps", fine_tune_steps, least=1)
    if isinstance(methods, str):   # "latent" was read letter by letter: "unknown analogue method 'l'"
        raise TypeError(f"methods takes a list: give [{methods!r}]")
    methods = list(dict.fromkeys(methods))   # a method named twice runs once
    for method in methods:
        if method not in METHODS:
            raise ValueError(f"unknown analogue method {method!r}; use {', '.join(METHODS)}")
        chosen = {"latent": vae_checkpoint, "inpaint": diffusion_checkpoint}.get(method)
        if method in _NEEDS and chosen is None and shipped_checkpoint(_NEEDS[method]) is None:
            raise ValueError(f"method {method!r} needs the {_NEEDS[method]} family, which molgen does not ship yet; "
                             f"use prefix or fine-tune")
    from molgen.models.base import load
    from molgen.runs.generate import file_sha256, resolve_checkpoint

    # new molecules screened as on the command line, whatever guard is given; a copy, so the seeds set below
    # stay this call's
    if not len(molecule_list(seeds, "analogues")):   # (a KeyError from pandas before)
        raise ValueError("give at least one seed molecule to make analogues of")
    guard = screened(guard, screen)
    seed_rows, removed_seeds = _canonical_seeds(seeds, guard)
    canonical = list(seed_rows)
    if not canonical:
        # every seed counted by why it was left out, the first of each kind shown: one reason named for three
        # held-out seeds read as if the other two were invalid
        said = []
        for kind, group in removed_seeds.groupby(removed_seeds["removed_because"].str.partition(":")[0], sort=False):
            first = group.iloc[0]
            said.append(f"{len(group):,} {kind}{'s' * (len(group) != 1)} (row {first['input_row']}: "
                        f"{first['removed_because'].partition(': ')[2]})")
        raise ValueError("no seed molecule left to make analogues of" + (f": {'; '.join(said)}" if said else ""))
    family, checkpoint = resolve_checkpoint(model)
    prior = load(model)
    checkpoint_text = f"{checkpoint.name} sha256:{file_sha256(checkpoint)[:16]}"
    # A salt seed (celecoxib HCl) is its parent compound to every generator and to the similarity window: the
    # counter-ion is no part of an analogue, and a SMILES model has no token for it. So is a charge state written
    # alone (a protonated amine, refused for its [NH+] before), as the balance bins it; a nitro group stays as it is.
    compound = {s: seed_compound(s) for s in canonical}
    parent_note = {s: {"seed_parent": compound[s]} if compound[s] != s else {} for s in canonical}
    seed_fps = [morgan_fingerprint(Chem.MolFromSmiles(compound[s])) for s in canonical]
    # the SMILES methods read each seed in the model's tokens: without stereo if need be, or not at all
    spelled = ({s: _model_spelling(prior, compound[s]) for s in canonical} if {"prefix", "fine-tune"} & set(methods)
               else {})
    unreadable = [{"smiles": s, "method": "analogue:prefix/fine-tune", "seed_smiles": s, "input_row": seed_rows[s],
                   "removed_because": f"seed not readable by the SMILES model {checkpoint.name}: "
                                      f"{_unknown_tokens(prior, compound[s])} outside its vocabulary"}
                  for s, text in spelled.items() if text is None]
    guard.seeds = guard.seeds or ReferenceSet("seeds", canonical)
    if guard.seed_near is None:   # a near-copy of any seed is one above the window (--near-duplicate guards held-out):
        guard.seed_near = math.nextafter(max_similarity, math.inf)   # above it, as the window keeps its edge
    window = {"min_similarity": min_similarity, "max_similarity": max_similarity}
    rows, outside = [], []

    def place(text: str, method: str, seed_index: int | None, params: dict, checkpoint: str = checkpoint_text) -> None:
        parsed = parse_smiles(text)
        if not parsed.ok:
            outside.append({"smiles": text, "method": f"analogue:{method}", "removed_because": f"invalid: {parsed.failure.value}",
                            "seed_smiles": canonical[seed_index] if seed_index is not None else None})
            return
        sims = np.asarray(DataStructs.BulkTanimotoSimilarity(morgan_fingerprint(parsed.mol), seed_fps))
        index = int(sims.argmax()) if seed_index is None else seed_index
        similarity = float(sims[index])
        if not min_similarity <= similarity <= max_similarity:
            kind = "too far from its seed" if similarity < min_similarity else "too close to its seed"
            # three decimals: 0.397 printed as 0.40 read as inside [0.4, 0.95]
            outside.append({"smiles": text, "method": f"analogue:{method}", "seed_smiles": canonical[index],
                            "similarity": similarity,
                            "removed_because": f"{kind}: Tanimoto {similarity:.3f}, outside "
                                               f"[{min_similarity:g}, {max_similarity:g}]"})
            return
        rows.append({"smiles": Chem.MolToSmiles(parsed.mol), "method": f"analogue:{method}", "seed_smiles": canonical[index],
                     "params": params_text({**params, **window}), "checkpoint": checkpoint, "similarity": similarity})

    # a bar per seed and method: a run takes minutes (a seed's 300 samples, a fine-tune), and was silent
    bar = progress_bar(total=len(methods) * len(canonical), desc="analogues", unit="seed", disable=not progress)
    with quiet_rdkit(), bar:
        for method in methods:
            bar.set_description(f"analogues ({method})")
            if method == "prefix":
                for i, s in enumerate(canonical):
                    if spelled[s] is None:
                        bar.update(1)
                        continue
                    stereo = {"stereo_dropped_in_prefix": True} if spelled[s] != compound[s] else {}
                    for text, fraction in _prefix_samples(prior, spelled[s], samples_per_seed, seed + 1000 * i, temperature):
                        place(text, "prefix", i, {"prefix_fraction": fraction, "temperature": temperature, "seed": seed,
                                                  **stereo, **parent_note[s]})
                    bar.update(1)
            elif method == "latent":
                from molgen.models.graph_vae import latent

                vae, vae_text = _graph_model(vae_checkpoint, "graph-vae")
                for i, s in enumerate(canonical):
                    # a salt seed is explored around its parent, as the Latent page does: the model encodes one
                    # molecule, and the counter-ion is not the compound
                    parent = latent.parent_of(Chem.MolFromSmiles(s))
                    try:
                        # every decoding, repeats too: they are listed as removed, as the other methods' are; a seed
                        # the model does not hold is not warned of per seed: the window to the seed judges each
                        with warnings.catch_warnings():
                            warnings.filterwarnings("ignore", message="the model does not hold")
                            found = latent.analogues(vae, parent or s, samples_per_seed, latent_radius,
                                                     seed=seed + i, include_seed=True, keep_repeats=True)
                    except ValueError as error:  # an atom type the VAE never saw
                        outside.append({"smiles": s, "method": "analogue:latent", "seed_smiles": s,
                                        "removed_because": f"seed not encodable: {error}"})
                        bar.update(1)
                        continue
                    # the graphs hold no stereo: a seed's stereocentres are not in its analogues, said on each row
                    stereo = {"seed_stereo_not_encoded": True} if has_stereo(Chem.MolFromSmiles(s)) else {}
                    for text, _ in found:
                        place(text, "latent", i, {"latent_radius": latent_radius, "refine_steps": latent.REFINE_STEPS,
                                                  "seed": seed, **({"encoded_parent": parent} if parent else {}),
                                                  **stereo}, vae_text)
                    bar.update(1)
            elif method == "inpaint":
                diffusion, diffusion_text = _graph_model(diffusion_checkpoint, "graph-diffusion")
                diffusion.resolved_steps(diffusion_steps)   # a bad step count is the user's error, not every seed's
                for i, s in enumerate(canonical):
                    for text, reason, params in _inpainted(diffusion, compound[s], samples_per_seed, diffusion_steps,
                                                           seed + i):
                        if reason:
                            outside.append({"smiles": text, "method": "analogue:inpaint", "seed_smiles": s,
                                            "removed_because": reason})
                        else:
                            place(text, "inpaint", i, {**params, "seed": seed, **parent_note[s]}, diffusion_text)
                    bar.update(1)
            elif method == "fine-tune":
                readable = [text for text in spelled.values() if text is not None]
                if not readable:
                    bar.update(len(canonical))
                    continue
                tuned = _fine_tuned(prior, readable, fine_tune_steps, seed)
                stereo = sum(spelled[s] not in (None, compound[s]) for s in canonical)
                for sample in tuned.sample(samples_per_seed * len(readable), seed=seed, temperature=temperature):
                    place(sample.smiles, "fine-tune", None, {"fine_tune_steps": fine_tune_steps, "temperature": temperature,
                                                             "seed": seed, **({"seeds_without_stereo": stereo} if stereo else {})})
                bar.update(len(canonical))
    columns = ["smiles", "method", "seed_smiles", "params", "checkpoint", "similarity"]
    frame = pd.DataFrame(rows, columns=columns)
    kept, guarded = apply_guard(frame, guard)
    removed = guarded
    if profile is not None and len(kept):
        kept, removed = _apply_profile(kept, removed, profile)
    kept, beyond = _once_within_the_cap(kept, per_seed)
    # what became of a repeat's first copy, once the profile and the cap have had their say
    later = pd.concat([removed.iloc[len(guarded):], beyond], ignore_index=True)
    removed = _fates_of_repeats(removed, kept, later)
    kept.insert(list(kept.columns).index("similarity") + 1, "keeps_seed_scaffold",
                keeps_seed_scaffold(kept["smiles"], kept["seed_smiles"].map(compound)))   # a salt's ring-bearing ion is no core
    removed = pd.concat([removed, pd.DataFrame(outside), pd.DataFrame(unreadable), removed_seeds, beyond],
                        ignore_index=True)
    # each row names its seed's input row too, so the seed's id can follow it (provenance.with_seed_columns)
    for frame in (kept, removed):
        if "seed_smiles" in frame:
            at = list(frame.columns).index("seed_smiles") + 1
            frame.insert(at, "seed_row", frame["seed_smiles"].map(seed_rows).astype("Int64"))
    # the seeds' order, not their SMILES' alphabetical one (a review saw a series' second seed's analogues first)
    if "seed_row" in kept:
        kept = kept.sort_values(["seed_row", "similarity"], ascending=[True, False], kind="stable",
                                na_position="last").reset_index(drop=True)
    return kept, removed


def seed_compound(smiles: str) -> str:
    """The compound a seed stands for (canonical SMILES): a salt's parent, a charge state written alone neutralized."""
    return Chem.MolToSmiles(neutral_parent(Chem.MolFromSmiles(smiles)))


def keeps_seed_scaffold(smiles: Sequence[str], seeds: Sequence[str]) -> pd.Series:
    """For each analogue, whether it holds its seed's ring system (Bemis-Murcko scaffold) whole: similarity alone
    passed linezolid's analogues whose oxazolidinone had become an oxazinane (the prefix method rewrites the end of
    the seed's SMILES). None for a seed without rings."""
    from molgen.data.splits import murcko_scaffold

    cores: dict[str, Chem.Mol | None] = {}
    out = []
    with quiet_rdkit():
        for text, seed in zip(smiles, seeds):
            if seed not in cores:
                core = murcko_scaffold(seed)
                cores[seed] = Chem.MolFromSmiles(core) if core else None
            mol = Chem.MolFromSmiles(text)
            out.append(None if cores[seed] is None or mol is None else mol.HasSubstructMatch(cores[seed]))
    return pd.Series(out, dtype="boolean")


def scaffold_note(kept: pd.DataFrame) -> str:
    """How many kept analogues of each method hold their seed's ring system, when some do not; else ''."""
    if "keeps_seed_scaffold" not in kept or not len(kept):
        return ""
    parts, methods = [], []
    for method, rows in kept.groupby("method", sort=False):
        known = rows["keeps_seed_scaffold"].dropna()
        if len(known) and not known.all():
            methods.append(method.removeprefix("analogue:"))
            parts.append(f"{methods[-1]}: {int(known.sum()):,} of {len(known):,}")
    # why, for the methods listed (a review: a latent-only result was told of prefix completion and inpainting)
    why = {"prefix": "a prefix completion rewrites the end of the seed's SMILES",
           "fine-tune": "a model fine-tuned on the seeds samples near them, not from them",
           "latent": "a latent point near the seed's decodes to any nearby graph"}
    reasons = [why[m] for m in methods if m in why] + ["inpaint holds the scaffold"] * ("inpaint" in {
        m.removeprefix("analogue:") for m in kept["method"].dropna().unique()})
    return ("analogues holding their seed's ring system (Murcko scaffold) whole, by method: " + ", ".join(parts)
            + f" (column keeps_seed_scaffold{'; ' + '; '.join(reasons) if reasons else ''})") if parts else ""


def stereo_note(kept: pd.DataFrame) -> str:
    """How many kept analogues of seeds with stereocentres or E/Z double bonds carry no stereo at all, when some do
    not; else '': the models write none, so a chiral seed's analogues come back unassigned, and a chemist reading
    them as the seed's enantiomer series would be wrong."""
    if not len(kept) or "seed_smiles" not in kept:
        return ""

    def has_stereo(smiles: str) -> bool:   # canonical SMILES write stereo as @, / or \\ only
        return any(mark in smiles for mark in "@/\\")

    # a salt's stereo may be its counter-ion's (pyrantel's E double bond beside pamoate): the compound's is read
    chiral = {seed for seed in kept["seed_smiles"].dropna().unique() if has_stereo(seed_compound(seed))}
    rows = kept[kept["seed_smiles"].isin(chiral)]
    flat = [not has_stereo(text) for text in rows["smiles"]]
    if not any(flat):
        return ""
    return (f"{sum(flat):,} of the {len(rows):,} analogues of {len(chiral):,} seed{'s' * (len(chiral) != 1)} with "
            "stereocentres or E/Z double bonds carry no stereo: the models write none, so each stands for its "
            "stereoisomers together (assign it before comparing with the seed)")


def _once_within_the_cap(kept: pd.DataFrame, per_seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """At most ``per_seed`` analogues a seed, the most similar first, and each molecule once in the whole set, however
    many methods or seeds reached it (twice, it would weigh double, and a split could put it on both sides): the
    rows are taken most similar first, a molecule by the first seed with room for it, so a seed at its cap leaves
    a shared molecule to the next. Then a seed left with none takes back its most similar molecule from a seed that
    keeps one after giving it up (another it holds, or the next it had no room for): one analogue for every seed
    matters more than a seed's best. A seed keeps none only when each of its molecules is another seed's only one;
    its rows say where each went. Returns (kept, removed with why)."""
    if not len(kept):
        return kept.reset_index(drop=True), kept.assign(removed_because=pd.Series(dtype=object))
    keys = [Chem.MolToSmiles(Chem.MolFromSmiles(smiles)) for smiles in kept["smiles"]]
    ordered = kept.assign(_key=keys).sort_values("similarity", ascending=False, kind="stable")
    rows = list(zip(ordered["_key"], ordered["seed_smiles"]))
    of_seed: dict[str, list[int]] = {}   # seed -> its rows' positions, most similar first
    for at, (_, seed) in enumerate(rows):
        of_seed.setdefault(seed, []).append(at)
    taken: dict[str, int] = {}   # molecule -> the position of the row that keeps it
    filled: Counter = Counter()

    def take(at: int) -> None:
        taken[rows[at][0]] = at
        filled[rows[at][1]] += 1

    def next_free(seed: str, besides: str = "") -> int | None:   # the seed's most similar row no seed holds
        return next((at for at in of_seed[seed] if rows[at][0] not in taken and rows[at][0] != besides), None)

    for at, (key, seed) in enumerate(rows):
        if key not in taken and filled[seed] < per_seed:
            take(at)
    for seed, positions in of_seed.items():   # seeds left empty take a molecule from a seed that can spare one
        if filled[seed]:
            continue
        for at in positions:
            holder = rows[taken[rows[at][0]]][1]
            refill = next_free(holder, besides=rows[at][0])
            if filled[holder] >= 2 or refill is not None:
                filled[holder] -= 1
                take(at)
                if refill is not None:
                    take(refill)
                break
    reasons = []
    for at, (key, seed) in enumerate(rows):
        if taken.get(key) == at:
            reasons.append("")
        elif key in taken:
            method, holder = ordered["method"].iat[taken[key]], rows[taken[key]][1]
            reasons.append(f"duplicate within the synthetic set: kept from method {method}, seed_smiles {holder}")
        else:
            reasons.append(f"beyond the {per_seed:,} analogues kept per seed (the most similar)")
    ordered = ordered.assign(removed_because=reasons).drop(columns="_key")
    out = ordered[ordered["removed_because"] == ""].drop(columns="removed_because")
    out = out.sort_values(["seed_smiles", "similarity"], ascending=[True, False], kind="stable")
    return out.reset_index(drop=True), ordered[ordered["removed_because"] != ""]


def _fates_of_repeats(removed: pd.DataFrame, kept: pd.DataFrame, later: pd.DataFrame) -> pd.DataFrame:
    """``removed`` with each exact repeat the guard set aside ("duplicate within the synthetic set", its first copy
    then passed on) given what became of that first copy: kept (from which method and seed), or removed later, by
    the profile's hard filters or the per-seed cap, for that reason (a repeat of a molecule kept nowhere is no
    duplicate of a kept one)."""
    bare = removed["removed_because"].eq("duplicate within the synthetic set") if len(removed) else None
    if bare is None or not bare.any():
        return removed

    def key(smiles: str) -> str:
        return Chem.MolToSmiles(Chem.MolFromSmiles(smiles))

    fate = {key(s): f"duplicate within the synthetic set: kept from method {m}, seed_smiles {seed}"
            for s, m, seed in zip(kept["smiles"], kept["method"], kept["seed_smiles"])}
    for s, reason in zip(later["smiles"], later["removed_because"]):
        fate.setdefault(key(s), reason)
    removed = removed.copy()
    removed.loc[bare, "removed_because"] = [fate.get(key(s), "duplicate within the synthetic set")
                                            for s in removed.loc[bare, "smiles"]]
    return removed


def _apply_profile(kept: pd.DataFrame, removed: pd.DataFrame, profile) -> tuple[pd.DataFrame, pd.DataFrame]:
    from molgen.scoring.pipeline import mixtures_said_elsewhere, score, windows_said_elsewhere

    with mixtures_said_elsewhere(), windows_said_elsewhere():   # molecules a model wrote, filtered by the profile
        table = score(kept["smiles"].tolist(), profile, progress=False)
    kept = kept.assign(score=table["score"].to_numpy(), passes_filters=table["passes_filters"].to_numpy(dtype=bool))
    failing = kept[~kept["passes_filters"]].assign(removed_because=lambda f: "profile hard filters: " + table.loc[f.index, "failed_filters"])
    return kept[kept["passes_filters"]].drop(columns=["passes_filters"]), pd.concat([removed, failing.drop(columns=["passes_filters"])],
                                                                                      ignore_index=True)


def methods_without_analogues(methods: Sequence[str], kept: pd.DataFrame, removed: pd.DataFrame) -> str | None:
    """A sentence naming each generator asked for that kept no analogue, with how many of its samples went and why
    most often, and what may give some; None when each kept some. A total alone hid a method that gave nothing (a
    fine-tune of 20 steps kept 0 of 300, said only in the removal report)."""
    def of(frame: pd.DataFrame, method: str) -> pd.DataFrame:
        if "method" not in frame:
            return frame.iloc[:0]
        # a seed the SMILES model cannot read is one row for prefix and fine-tune both (analogue:prefix/fine-tune)
        named = frame["method"].fillna("").astype(str).str.removeprefix("analogue:").str.split("/")
        return frame[named.map(lambda names: method in names)]

    said = []
    for method in dict.fromkeys(methods):
        if len(of(kept, method)):
            continue
        went = of(removed, method)
        if not len(went):   # (an empty column has no parts to take the first of)
            said.append(f"{method} (it sampled nothing)")
            continue
        reasons = went["removed_because"].fillna("").astype(str).str.partition(":")[0].value_counts()
        why, count = reasons.index[0], int(reasons.iloc[0])
        # the way out that bears on the reason (a review: a latent radius of 0, every decoding the seed itself, was
        # told to widen the window)
        advice = ("kept under another method first" if why.startswith("duplicate") else
                  "a larger per-seed count keeps more" if why.startswith("beyond") else
                  "a larger latent radius reaches further from the seed" if why == "too close to its seed" and
                  method == "latent" else
                  "a smaller latent radius stays nearer the seed" if why == "too far from its seed" and
                  method == "latent" else
                  "a higher similarity ceiling keeps closer ones" if why == "too close to its seed" else
                  "a lower similarity floor or more samples per seed may give some" if why == "too far from its seed"
                  else "the model cannot take the seed" if why.startswith("seed not") else
                  "more samples per seed may give some" if why == "invalid" else
                  "removed by the guard's screen, which more samples do not change")
        said.append(f"{method} ({len(went):,} removed, most often {why}: {count:,}; {advice})")
    if not said:
        return None
    return f"kept no analogue from {', '.join(said)}; the removal report says why each sample went"


def seeds_without_analogues(seeds: Sequence[str], kept: pd.DataFrame, removed: pd.DataFrame) -> str | None:
    """A sentence naming the seeds that were used but kept no analogue (each row says why in the removal report),
    or None: a total alone hid a seed that gave nothing."""
    refused = set(removed.loc[removed["removed_because"].str.match(r"(invalid|held-out|repeated) seed"), "input_row"]
                  .dropna().astype(int))
    found = set(kept["seed_row"].dropna().astype(int)) if "seed_row" in kept else set()
    empty = [(row, text) for row, text in enumerate(seeds, start=1) if row not in refused and row not in found]
    if not empty:
        return None
    shown = ", ".join(f"row {row} ({text})" for row, text in empty[:5]) + (", ..." if len(empty) > 5 else "")
    return (f"{len(empty):,} seed{'s' if len(empty) != 1 else ''} kept no analogue: {shown}; the removal report says "
            "why each sample went (a wider similarity window or more samples per seed may find some)")
