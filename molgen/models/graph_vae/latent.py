"""Moving through the graph VAE's latent space: encode, decode, interpolate, analogues, optimise.

Encoding is the encoder's mean refined by a few gradient steps (``refine``): the amortized encoder
alone puts a molecule where greedy decoding returns it for about one test molecule in ten, and every
operation that starts from a chemist's molecule (interpolation, analogues, steering) should start
where that molecule is. ``refine_steps=0`` gives the encoder's mean unchanged.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Sequence

import numpy as np
import torch
from rdkit import Chem, DataStructs
from torch_geometric.data import Batch

from molgen.chem.graph import mol_to_graph
from molgen.chem.parse import molecule_list, parse_smiles
from molgen.chem.standardize import neutral_parent, without_labels
from molgen.data.graphs import graph_to_data
from molgen.models.graph_vae.model import largest_closed_rings, to_sequences
from molgen.models.graph_vae.sample import decode_latents
from molgen.scoring.similarity import morgan_fingerprint


def _graph(model, smiles: str):
    """The molecular graph of one SMILES; a ``ValueError`` naming it if it does not parse, fit the
    vocabulary, or fit the decoder (more heavy atoms than ``max_atoms``: its encoding would decode
    to some other, smaller molecule)."""
    parsed = parse_smiles(smiles)
    named = _short(smiles)
    if not parsed.ok:
        raise ValueError(f"{named} is not a valid molecule: {parsed.reason}")
    parent = parent_of(parsed.mol)
    if parent is not None and len(Chem.GetMolFrags(parsed.mol)) > 1:   # its counter-ion would be read into the point
        raise ValueError(f"{named} is {len(Chem.GetMolFrags(parsed.mol))} fragments (a salt or a mixture); the model "
                         f"encodes one molecule: give its parent, {parent}")
    if parent is not None:   # a protonated amine, a carboxylate: the model was trained on neutral molecules
        raise ValueError(f"{named} is a charged form; the model encodes neutral molecules: give its neutral form, "
                         f"{parent}")
    try:   # an isotope label is not encoded: a deuterium, as a 13C, is read as the plain atom (it was refused as an H atom)
        graph = mol_to_graph(without_labels(parsed.mol), model.vocabulary)
    except ValueError as error:  # an atom type outside the vocabulary, a radical
        raise ValueError(f"{named} cannot be encoded: {error}") from None
    if graph.num_atoms > model.config.max_atoms:
        raise ValueError(f"{named} has {graph.num_atoms} heavy atoms; this model decodes at most "
                         f"{model.config.max_atoms} (the largest training molecules), so it cannot encode it")
    return graph


def parent_of(mol: Chem.Mol) -> str | None:
    """The SMILES of what the model can encode of a salt, a mixture or a charged form written alone
    (:func:`~molgen.chem.standardize.neutral_parent`: the largest organic fragment that is no known counter-ion,
    neutralized; a protonated amine alone, its amine); None for a molecule of one fragment the model reads as
    written (uncharged, or with no neutral form, such as a quaternary ammonium)."""
    parent = Chem.MolToSmiles(neutral_parent(mol))
    return parent if len(Chem.GetMolFrags(mol)) > 1 or parent != Chem.MolToSmiles(mol) else None


def _short(smiles: str, limit: int = 60) -> str:
    """A SMILES quoted for a message, cut short when long (the field above the message shows it whole)."""
    return repr(smiles) if len(smiles) <= limit else repr(smiles[:limit - 1] + "…")


def check_encodable(model, smiles: str) -> None:
    """``ValueError`` saying why ``model`` cannot encode ``smiles`` (not a molecule, a mixture, an atom outside its
    vocabulary, too many atoms); nothing when it can. Cheap: no network is run."""
    _graph(model, smiles)


def _graph_data(model, smiles: str):
    """The encoder's input for one SMILES; ``ValueError`` if it does not parse or fit the vocabulary."""
    return graph_to_data(_graph(model, smiles))


def posterior(model, smiles: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """The encoder's mean and log-variance of each molecule; a SMILES that does not parse or fit raises
    ``ValueError`` naming it."""
    smiles = list(molecule_list(smiles, "encode"))
    if not smiles:   # an empty batch was an IndexError deep in PyTorch Geometric
        raise ValueError("give at least one SMILES to encode")
    for position, text in enumerate(smiles):
        if not isinstance(text, str):
            raise ValueError(f"item {position} to encode is {text!r}, not a SMILES string")
    data = [_graph_data(model, s) for s in smiles]
    with torch.no_grad():
        return model.encoder(Batch.from_data_list(data))


# Iterative inference (refine): Adam on z at this rate, checking by greedy decoding every few steps.
# On the shipped weights and 200 MOSES test molecules, 40 steps at 0.2 took greedy reconstruction
# from 0.11 to 0.80 (100 steps: 0.93); at 0.1 it was 0.77 at 40 steps (benchmarks/RESULTS.md).
REFINE_STEPS = 40
REFINE_LR = 0.2
REFINE_CHECK_EVERY = 5
REFINE_BATCH = 128


def refine(model, smiles: Sequence[str], z: torch.Tensor, *, steps: int = REFINE_STEPS, lr: float = REFINE_LR,
           check_every: int = REFINE_CHECK_EVERY) -> tuple[torch.Tensor, torch.Tensor]:
    """Move each latent towards one that decodes to its molecule: Adam steps on z that lower the
    decoder's teacher-forced NLL of the molecule (its graph in BFS order), the network fixed.

    Every ``check_every`` steps the latents are decoded greedily, and a molecule that came back
    stops moving, so it keeps the first such point on its path; the rest go on for ``steps``.
    No pull towards the prior: with one (even at the training KL weight) most latents stop short
    of a point that decodes back. Returns the latents and, per molecule, whether greedy decoding of
    its latent returns it.
    This is the semi-amortized inference of Kim et al. (2018), by plain gradient steps.
    """
    if steps < 0 or lr <= 0 or check_every < 1:
        raise ValueError(f"refine needs steps >= 0, lr > 0 and check_every >= 1; got {steps}, {lr}, {check_every}")
    if len(z) != len(smiles):
        raise ValueError(f"refine needs one latent per molecule; got {len(z)} latents for {len(smiles)} molecules")
    model.eval()
    z = z.detach().clone().float()
    graphs = [_graph(model, s) for s in smiles]
    canonical = [graph_key(s) for s in smiles]
    returned = torch.zeros(len(smiles), dtype=torch.bool)
    for start in range(0, len(smiles), REFINE_BATCH):
        rows = slice(start, start + REFINE_BATCH)
        z[rows], returned[rows] = _refine_batch(model, graphs[rows], canonical[rows], z[rows], steps, lr, check_every)
    return z, returned


def _refine_batch(model, graphs, canonical, z, steps, lr, check_every):
    atoms, bonds, lengths = to_sequences(graphs, model.config.max_atoms)
    z = z.clone().requires_grad_(True)
    optimizer = torch.optim.Adam([z], lr=lr)
    done = torch.zeros(len(graphs), dtype=torch.bool)
    for step in range(steps + 1):
        if step % check_every == 0 or step == steps:
            decoded = decode(model, z.detach())
            done |= torch.tensor([c == d for c, d in zip(canonical, decoded)])
            settled = z.detach().clone()
        if step == steps or bool(done.all()):
            break
        with torch.enable_grad():
            atom_nll, bond_nll = model.decoder(z, atoms, bonds, lengths)
            nll = atom_nll + bond_nll
            moving = ~done & torch.isfinite(nll)  # a target the masks forbid has an infinite NLL: left alone
            if not bool(moving.any()):
                break
            (gradient,) = torch.autograd.grad(nll[moving].sum(), z)
        z.grad = gradient
        optimizer.step()
        with torch.no_grad():
            z[done] = settled[done]  # Adam's momentum would carry a settled latent on
    return z.detach(), done


def encode(model, smiles: Sequence[str], *, sample: bool = False, seed: int = 0,
           refine_steps: int = REFINE_STEPS) -> torch.Tensor:
    """Latent points of molecules: the encoder's mean refined by ``refine_steps`` gradient steps
    (``refine``; 0 keeps the mean), or with ``sample`` a draw from the encoder's posterior around
    that point. A SMILES that does not parse or fit raises ``ValueError`` naming it."""
    molecule_list(smiles, "encode")
    mu, logvar = posterior(model, smiles)
    if refine_steps:
        mu, _ = refine(model, smiles, mu, steps=refine_steps)
    if not sample:
        return mu
    generator = torch.Generator().manual_seed(seed)
    return mu + torch.randn(mu.shape, generator=generator) * (0.5 * logvar).exp()


def aggregate_posterior(model, smiles: Sequence[str], rows: int = 16384, seed: int = 0,
                        batch_size: int = 512, left_out: list | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Means and log-variances of ``rows`` molecules drawn from ``smiles`` (seeded), for
    ``model.set_latent_prior``. Molecules the model cannot hold are left out, as in training; a ``left_out`` list
    given gets each of them as (SMILES, reason), so a caller can say what the prior did not read."""
    picked = []
    for i in np.random.default_rng(seed).permutation(len(smiles)):
        try:
            picked.append(_graph_data(model, smiles[i]))
        except ValueError as error:  # unparsable, an atom type outside the vocabulary, a radical, too large
            if left_out is not None:
                left_out.append((smiles[i], str(error)))
            continue
        if len(picked) == rows:
            break
    if not picked:
        raise ValueError("none of these molecules fits the model (atom vocabulary, max_atoms)")
    with torch.no_grad():
        parts = [model.encoder(Batch.from_data_list(picked[i:i + batch_size])) for i in range(0, len(picked), batch_size)]
    return torch.cat([mu for mu, _ in parts]), torch.cat([logvar for _, logvar in parts])


def decode(model, z: torch.Tensor, *, greedy: bool = True, seed: int = 0, candidates: int = 1) -> list[str]:
    """SMILES of latents, greedy (or sampled); ``candidates`` > 1 keeps the most likely of greedy and k - 1 draws.
    A point that is not finite is a ``ValueError``; one far outside where encodings lie (:func:`far_points`) is
    decoded, with a warning (a review: NaN and 1e6 decoded to plausible chains without a word)."""
    _check_latent(model, z, 2)
    z = z.detach()   # a point being optimised (requires grad) is decoded as it stands
    if not torch.isfinite(z).all():
        row = int((~torch.isfinite(z)).any(dim=1).nonzero()[0])
        raise ValueError(f"latent point {row} is not finite (it holds NaN or infinity): no molecule lies there")
    if z.dtype != torch.float32 and not torch.isfinite(z.float()).all():   # 1e300 in numpy's float64
        row = int((~torch.isfinite(z.float())).any(dim=1).nonzero()[0])
        raise ValueError(f"latent point {row} holds a number beyond what the model's float32 holds")
    z = z.float()   # numpy's float64, through torch.from_numpy
    if far := far_points(z):
        warnings.warn(f"{len(far)} latent point{'s' * (len(far) != 1)} (the first: row {far[0]}) lie more than "
                      f"{FAR_POINT} x sqrt({z.shape[1]}) from the origin, far from every molecule the model encodes: "
                      "decoded as given", UserWarning, stacklevel=2)
    return [s.smiles for s in decode_latents(model, z, greedy=greedy, seed=seed, candidates=candidates)]


#: A latent point farther from the origin than this many times sqrt(latent dimensions) is far from every molecule
#: the model encodes: on the shipped model, MOSES test molecules' encodings lie within 1.1 sqrt(d), and moved
#: until they decode back within 2.8.
FAR_POINT = 10


def far_points(z) -> list[int]:
    """The rows of ``z`` (a tensor or array, NaN rows skipped) farther than :data:`FAR_POINT` sqrt(d) from the
    origin."""
    values = z.detach().cpu().numpy() if isinstance(z, torch.Tensor) else np.asarray(z)
    norms = np.linalg.norm(np.nan_to_num(values.astype(np.float64)), axis=1)
    return [int(i) for i in np.flatnonzero(norms > FAR_POINT * np.sqrt(values.shape[1]))]


def reconstruct(model, smiles: Sequence[str], *, candidates: int = 1, refine_steps: int = REFINE_STEPS) -> list[str]:
    """Each molecule decoded from its encoding (``encode``): greedy, or the decoder's most likely of
    greedy and ``candidates - 1`` sampled decodings."""
    return decode(model, encode(model, smiles, refine_steps=refine_steps), candidates=candidates)


def reconstruction_accuracy(model, smiles: Sequence[str], *, candidates: int = 1, refine_steps: int = REFINE_STEPS,
                            decoded: Sequence[str] | None = None) -> float:
    """Fraction of molecules whose reconstruction (``reconstruct``, or the given ``decoded``) has the
    same canonical SMILES (no stereo)."""
    molecule_list(smiles, "reconstruction_accuracy")
    decoded = decoded if decoded is not None else reconstruct(model, smiles, candidates=candidates, refine_steps=refine_steps)
    return float(np.mean([graph_key(s) == d for s, d in zip(smiles, decoded)]))


def reconstruction_similarity(model, smiles: Sequence[str], *, candidates: int = 1, refine_steps: int = REFINE_STEPS,
                              decoded: Sequence[str] | None = None) -> float:
    """Mean Tanimoto (Morgan) between each molecule and its reconstruction: how near a miss lands."""
    molecule_list(smiles, "reconstruction_similarity")
    decoded = decoded if decoded is not None else reconstruct(model, smiles, candidates=candidates, refine_steps=refine_steps)
    return float(np.mean([DataStructs.TanimotoSimilarity(morgan_fingerprint(Chem.MolFromSmiles(s)),
                                                         morgan_fingerprint(Chem.MolFromSmiles(d)))
                          for s, d in zip(smiles, decoded)]))


def ring_out_of_reach(model, smiles: str) -> str | None:
    """Why no latent point of ``model`` decodes to ``smiles``, where the reason is a ring: building it atom by atom
    as the decoder does (BFS), it closes a ring larger than the decoder ever closes (``config.max_ring_size``: a
    macrocycle, a cyclododecane). None when it closes none, or ``smiles`` cannot be encoded at all."""
    limit = model.config.max_ring_size
    if limit is None:
        return None
    try:
        graph = _graph(model, smiles)
    except ValueError:
        return None
    _, bonds, _ = to_sequences([graph], model.config.max_atoms)
    largest = int(largest_closed_rings(bonds)[0])
    if largest <= limit:
        return None
    return (f"{_short(smiles)} holds a ring of {largest} atoms as the decoder builds it, and this model closes no ring "
            f"larger than {limit} atoms (its ring limit): no latent point decodes back to it")


def warn_if_not_held(smiles: str, decoded: str, what: str, model=None) -> None:
    """A warning when ``smiles``'s latent point decodes (greedily) to another molecule, ``decoded``: the walk, path
    or neighbourhood ``what`` describes then starts from that molecule, not the one given (a review: diazepam's
    interpolation began at an indolizine, listed as its start, without a word; the run pipeline says so already).
    With ``model``, a ring the decoder can never close is named as the reason (:func:`ring_out_of_reach`)."""
    given = Chem.MolFromSmiles(smiles) if smiles else None
    mol = Chem.MolFromSmiles(decoded) if decoded else None
    if given is None or (mol is not None and graph_key(mol) == graph_key(given)):
        return
    near = (f", Tanimoto {DataStructs.TanimotoSimilarity(morgan_fingerprint(given), morgan_fingerprint(mol)):.2f} "
            "to it" if mol is not None else "")
    why = ring_out_of_reach(model, smiles) if model is not None else None
    warnings.warn(f"the model does not hold {_short(smiles)}: its encoding decodes back (greedily) to "
                  f"{_short(decoded or '(no molecule)')}{near}, where {what}" + (f" ({why})" if why else ""),
                  UserWarning, stacklevel=3)


def interpolate(model, start: str, end: str, steps: int = 10, *, spherical: bool = False,
                refine_steps: int = REFINE_STEPS) -> list[tuple[float, str]]:
    """The distinct molecules met on the way from ``start`` to ``end`` (linear or spherical in z), each with the
    fraction of the way where it is first met (the end's molecule may be met before 1.0, and is then listed there).
    The ends are the molecules' encodings (``encode``, ``refine_steps``)."""
    if not isinstance(steps, numbers.Integral) or isinstance(steps, bool) or steps < 2:
        raise ValueError(f"steps must be a whole number, 2 or more (the path's two ends at least), not {steps!r}")
    z0, z1 = encode(model, [start, end], refine_steps=refine_steps)
    fractions = torch.linspace(0, 1, steps)
    if spherical:
        omega = torch.arccos(torch.clamp(torch.dot(z0 / z0.norm(), z1 / z1.norm()), -1, 1))
        path = torch.stack([(torch.sin((1 - f) * omega) * z0 + torch.sin(f * omega) * z1) / torch.sin(omega)
                            if omega > 1e-6 else z0 for f in fractions])
    else:
        path = torch.stack([(1 - f) * z0 + f * z1 for f in fractions])
    met, out = set(), []
    decoded = decode(model, path)
    warn_if_not_held(start, decoded[0], "the path starts", model)
    warn_if_not_held(end, decoded[-1], "the path ends", model)
    for f, s in zip(fractions.tolist(), decoded):
        if s and s not in met:
            met.add(s)
            out.append((f, s))
    return out


def analogues(model, seed_smiles: str, n: int = 20, radius: float = 2.0, *, seed: int = 0,
              refine_steps: int = REFINE_STEPS, include_seed: bool = False,
              keep_repeats: bool = False) -> list[tuple[str, float]]:
    """Distinct molecules decoded around a seed's encoding (``encode``) at ``radius``, each with its Tanimoto
    to the seed, most similar first; the seed itself, when a point decodes back to it, only with
    ``include_seed`` (an analogue is another molecule; augmentation counts the copies it removes).
    (On the shipped weights, 20 points at radius 2 around 50 MOSES test molecules' refined
    encodings decoded to 15.7 distinct molecules, the seed among them for 70% of seeds, the others at a
    mean Tanimoto of 0.38; around the encoder's means 17.2, 24% and 0.32. benchmarks/RESULTS.md)
    ``keep_repeats``: every point's decoding in point order, repeats and undecodable ones ('') too, so that a
    caller accounting for each sample (augmentation's removal report) loses none."""
    z = encode(model, [seed_smiles], refine_steps=refine_steps)[0]
    warn_if_not_held(seed_smiles, decode(model, z[None])[0], "the analogues are decoded around", model)
    found = analogues_around(model, z, seed_smiles, n, radius, seed=seed, include_seed=include_seed,
                             keep_repeats=keep_repeats)
    seed_key = graph_key(without_labels(parse_smiles(seed_smiles).mol))
    # said, as the command and the page say it (a review: an empty list came back without a word); a caller keeping
    # every decoding (augmentation) accounts for each itself
    if not keep_repeats and not any(text and graph_key(text) != seed_key for text, _ in found):
        warnings.warn(f"no point at radius {radius:g} decoded to a molecule other than the seed: near the seed they "
                      "decode back to it (a larger radius reaches others), far from it they may decode to no molecule",
                      UserWarning, stacklevel=2)
    return found


def analogues_around(model, z: torch.Tensor, seed_smiles: str, n: int = 20, radius: float = 2.0, *, seed: int = 0,
                     include_seed: bool = False, keep_repeats: bool = False) -> list[tuple[str, float]]:
    """:func:`analogues` around a latent point already found (``z``, the seed's encoding): a caller that
    also wants to know what ``z`` itself decodes to encodes once."""
    if n < 1 or not 0 <= radius < math.inf:
        raise ValueError(f"n must be 1 or more and radius 0 or more (and finite), not n={n}, radius={radius}")
    _check_latent(model, z, 1)
    parsed = parse_smiles(seed_smiles)
    if not parsed.ok:
        raise ValueError(f"{_short(seed_smiles)} is not a valid molecule: {parsed.reason}")
    # as the model reads it: a label is not encoded, and a decoded molecule carries none, so a CD3 seed compared
    # with its labels put every analogue's similarity low (a review: 0.185 where the unlabelled seed gives 0.208)
    seed_mol = without_labels(parsed.mol)
    generator = torch.Generator().manual_seed(seed)
    directions = torch.randn(n, len(z), generator=generator)
    points = z + radius * directions / directions.norm(dim=1, keepdim=True)
    reference = morgan_fingerprint(seed_mol)
    seen, out = set(), []
    # decoded graphs carry no stereo: the seed is the seed whatever its written stereocentres
    seed_key = graph_key(seed_mol)
    decoded = decode(model, points)
    if keep_repeats:
        return [(s, DataStructs.TanimotoSimilarity(reference, morgan_fingerprint(mol)) if (mol := Chem.MolFromSmiles(s)
                                                                                         if s else None) else math.nan)
                for s in decoded]
    for s in decoded:
        mol = Chem.MolFromSmiles(s) if s else None
        if mol is None or s in seen or (not include_seed and graph_key(mol) == seed_key):
            continue
        seen.add(s)
        out.append((s, DataStructs.TanimotoSimilarity(reference, morgan_fingerprint(mol))))
    return sorted(out, key=lambda item: -item[1])


def optimise(model, start: str, targets: dict[str, float], *, steps: int = 60, lr: float = 0.05,
             decode_every: int = 5, refine_steps: int = REFINE_STEPS) -> list[dict]:
    """Gradient descent on the property head's distance to ``targets``, from ``start``'s latent point.

    The walk is one shift of the latent point, decoded at the start's encoding plus the shift (``refine_steps``:
    the refined point decodes back to the start) and read by the head at the encoder's mean plus the shift. The
    head learned the means: at a refined point, often many units from its mean, it extrapolates (a review: a
    predicted SA of -1.97 and logP of -4.89 for a quinazoline of SA 1.88 and logP 3.53).

    Returns the distinct molecules met on the way, each with the step, its latent distance from the
    start, the head's prediction, the property computed by RDKit on the decoded molecule (the
    number that counts), and that molecule's ``gap`` and ``met`` as :func:`search` reports them.
    """
    from molgen.scoring.properties import PROPERTIES

    if model.property_head is None:
        raise ValueError("this graph VAE was trained without a property head; it cannot be steered")
    if not targets:
        raise ValueError("give at least one property target")
    if steps < 0 or decode_every < 1:
        raise ValueError(f"steps must be 0 or more and decode_every 1 or more, not {steps} and {decode_every}")
    _check_targets(targets)
    names = model.config.properties
    unknown = sorted(set(targets) - set(names))
    if unknown:
        raise ValueError(f"the property head predicts {', '.join(names)}; not {', '.join(unknown)}")
    mean, std = torch.tensor(model.config.property_mean), torch.tensor(model.config.property_std)
    wanted = torch.tensor([(targets[n] - mean[i]) / std[i] if n in targets else 0.0 for i, n in enumerate(names)])
    weight = torch.tensor([1.0 if n in targets else 0.0 for n in names])
    origin = encode(model, [start], refine_steps=refine_steps)
    read_at = encode(model, [start], refine_steps=0) if refine_steps else origin   # where the head reads the start
    shift = torch.zeros_like(origin, requires_grad=True)
    optimizer = torch.optim.Adam([shift], lr=lr)
    start_mol = _start_molecule(start)
    start_values = {name: PROPERTIES[name].function(start_mol) for name in targets}
    start_key = graph_key(start_mol)
    seen, path = set(), []
    for step in range(steps + 1):
        if step % decode_every == 0 or step == steps:   # the final point too, whatever the step count
            smiles = decode(model, origin + shift.detach())[0]
            if step == 0:
                warn_if_not_held(start, smiles, "the walk starts (its step 0)", model)
            mol = Chem.MolFromSmiles(smiles) if smiles else None
            if mol is not None and smiles not in seen and (step == 0 or graph_key(mol) != start_key):
                seen.add(smiles)   # the start itself, met later on the way, is no find (as in ``search``)
                predicted = (model.property_head(read_at + shift.detach())[0] * std + mean).tolist()
                values = {n: PROPERTIES[n].function(mol) for n in names}
                path.append({"step": step, "smiles": smiles, "distance": round(float(shift.detach().norm()), 3),
                             **{f"predicted_{n}": round(v, 4) for n, v in zip(names, predicted)},
                             **{n: round(v, 4) for n, v in values.items()},
                             "gap": round(_gap(values, targets, start_values), 4), "met": meets_targets(values, targets)})
        if step == steps:
            break
        optimizer.zero_grad()
        loss = (weight * (model.property_head(read_at + shift)[0] - wanted) ** 2).sum()
        loss.backward()
        optimizer.step()
    return path


def _check_targets(targets: dict) -> None:
    """``ValueError`` unless every target is a finite number (a NaN read as gap nan on every row, "0.9" a TypeError);
    ``TypeError`` for targets that are no dict (a Conditions was "'Conditions' object is not iterable")."""
    if not isinstance(targets, dict):
        raise TypeError(f"targets are a dict of property to value ({{'qed': 0.9}}), not a {type(targets).__name__}"
                        + ("; a Conditions' are its .targets" if hasattr(targets, "targets") else ""))
    from molgen.runs.conditions import unreachable_target
    from molgen.scoring.properties import PROPERTIES

    for name, value in targets.items():
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not math.isfinite(value):
            raise ValueError(f"the target of {name} must be a number, not {value!r}")
        # a push towards qed=1 is never met within its tolerance (the command line's --target refused it already)
        if name in PROPERTIES and (why := unreachable_target(name, float(value))):
            raise ValueError(why)


def _check_latent(model, z, dims: int) -> None:
    """``ValueError`` unless ``z`` is a tensor of ``dims`` dimensions (1: one point; 2: a row per point) whose points
    are of this model's latent dimension: a (1, d) point given as one spread analogues at radius x sqrt(d)."""
    shape = tuple(z.shape) if isinstance(z, torch.Tensor) else None
    if shape is None or len(shape) != dims or shape[-1] != model.config.latent_dim:
        want = f"({model.config.latent_dim},)" if dims == 1 else f"(n, {model.config.latent_dim})"
        raise ValueError(f"latent points of this model are a tensor of shape {want} here, not "
                         f"{shape if shape is not None else type(z).__name__}")


def graph_key(molecule: str | Chem.Mol) -> str | None:
    """The canonical SMILES a graph of ``molecule`` decodes to when it comes back: without stereo or isotope labels
    (decoded graphs carry neither), so the start is the start whatever its written stereocentres, and a deuterated
    molecule is its plain form; None for a SMILES that does not parse."""
    mol = Chem.MolFromSmiles(molecule) if isinstance(molecule, str) else molecule
    return None if mol is None else Chem.MolToSmiles(without_labels(mol), isomericSmiles=False)


def _start_molecule(smiles: str) -> Chem.Mol:
    """The start as the model reads it (an isotope label is not encoded): its target values are read from that
    molecule, as a decoded one's are (a 13C label raised the start's MW by 1.003)."""
    return without_labels(Chem.MolFromSmiles(smiles))


def target_gap(mol, targets: dict[str, float], start_values: dict[str, float]) -> float:
    """How far ``mol`` is from ``targets``: each property's distance to its target as a fraction of the
    start molecule's distance, averaged (1 at the start, 0 when every target is hit exactly). A start
    already within a target's tolerance (the one a condition ``qed=0.8`` uses, ``scoring.properties.tolerance``)
    is measured in that tolerance instead, so the gap stays finite and a small miss reads as small: with
    ``qed=0.9`` from a start at 0.915, a molecule at 0.85 has gap 1, not the 3.3 that a scale of the start's
    own distance (0.015) would give. The start's own gap is then below 1."""
    from molgen.scoring.properties import PROPERTIES

    return _gap({name: PROPERTIES[name].function(mol) for name in targets}, targets, start_values)


def _gap(values: dict[str, float], targets: dict[str, float], start_values: dict[str, float]) -> float:
    """:func:`target_gap` of a molecule whose target properties are already computed."""
    from molgen.scoring.properties import tolerance

    scales = {name: max(abs(start_values[name] - target), tolerance(name)) for name, target in targets.items()}
    return float(np.mean([abs(values[name] - target) / scales[name] for name, target in targets.items()]))


def meets_targets(values: dict[str, float], targets: dict[str, float]) -> bool:
    """Whether every target is met within its tolerance, as the condition ``qed=0.8`` is by a generation run."""
    from molgen.scoring.properties import target_window

    windows = {name: target_window(name, target) for name, target in targets.items()}
    return all(low <= values[name] <= high for name, (low, high) in windows.items())


#: How :func:`search` picks latent points: all at once around the start, or a round at a time by a Gaussian process.
SEARCH_METHODS = ("random", "bayesian")
SEARCH_BATCH = 16  # points decoded per round of the Bayesian search


def search(model, start: str, targets: dict[str, float], *, decodings: int = 256, method: str = "random",
           radius: float = 4.0, seed: int = 0, pool: int = 2000, refine_steps: int = REFINE_STEPS) -> list[dict]:
    """Molecules near ``start`` in z that move towards property ``targets``, each scored by RDKit on its decoded molecule.

    :func:`optimise` follows the property head, the VAE's own guess of a property from z; where the
    guess is wrong the walk goes astray, and only the head's properties can be asked for. Here every
    latent point is decoded and scored with :func:`target_gap`, so any property RDKit computes can be a
    target. ``decodings`` latent points are decoded in all (greedily, so every molecule is valid by
    construction), each at about a distance drawn from ``radius / 4`` to ``radius`` from the start (a Gaussian
    step of that scale: a scale, not a bound; a few reach a little past it, and the Bayesian search below moves
    its centre and can reach further).

    - ``method="random"``: all of them around the start at once.
    - ``method="bayesian"``: 16 around the start, then rounds of 16: a Gaussian process (scikit-learn)
      learns the gap over z from the points decoded so far, and each round decodes the 16 of ``pool``
      candidates with the highest expected improvement. The candidates lie around the best point so
      far (a trust region, as in TuRBO: from a hundred points a GP cannot model 64 dimensions), within
      a radius that grows after a round that improved on the best or met no new molecule, and shrinks
      after one that met new molecules but no better one (between ``radius / 8`` and ``2 * radius``).
      On the shipped weights it was no better than random search with the same decodings and took 4
      to 15 times as long (benchmarks/RESULTS.md, "searching the latent space").

    The search starts from the start's encoding (``refine_steps``, see ``encode``). The refined point sits
    where the decoder holds on to the molecule, so the default ``radius`` is 4, above the latent distance
    of a MOSES test molecule's encoder mean to its nearest neighbour's among 2,000 (3.4 on the shipped
    weights): from refined starts, radius 4 came nearer QED 0.9 than radius 3 did from the means (mean
    best gap 0.065 against 0.073 with 272 decodings) with best molecules as similar to the start.

    Returns the distinct molecules met, in the order found: the round (0 for random search), the SMILES,
    the latent distance from the start, the Tanimoto (Morgan) to the start, each target property (RDKit),
    the gap (:func:`target_gap`; 1: as far as the start) and ``met`` (every target within its tolerance,
    :func:`meets_targets`). The start's own decoding comes first, as round -1.
    """
    from molgen.scoring.properties import PROPERTIES

    _check_targets(targets)   # a Conditions given: named, not "not iterable"
    unknown = sorted(set(targets) - set(PROPERTIES))
    if unknown:
        raise ValueError(f"unknown properties {', '.join(unknown)}; known: {', '.join(PROPERTIES)}")
    if not targets:
        raise ValueError("give at least one property target")
    if method not in SEARCH_METHODS:
        raise ValueError(f"method must be one of {', '.join(SEARCH_METHODS)}, got {method!r}")
    if isinstance(decodings, bool) or decodings < 1 or not 0 < radius < math.inf or pool < 1:
        raise ValueError(f"decodings and pool must be 1 or more and radius above 0 (and finite), not decodings="
                         f"{decodings!r}, pool={pool!r}, radius={radius!r}")
    _check_targets(targets)   # NaN read as gap nan on every row
    origin = encode(model, [start], refine_steps=refine_steps)[0].numpy().astype(np.float64)
    start_mol = _start_molecule(start)
    start_values = {name: PROPERTIES[name].function(start_mol) for name in targets}
    reference = morgan_fingerprint(start_mol)
    start_key = graph_key(start_mol)
    rng = np.random.default_rng(seed)
    dim = len(origin)
    points, gaps, found, known_gaps = [origin], [], [], {}

    def record(round_index: int, z: np.ndarray, smiles: str) -> float | None:
        """The gap of a decoded molecule; a molecule met for the first time is scored once and listed, but for the
        start itself met away from its own decoding (where the encoding does not decode back): the chemist has it,
        and listed it read as a find at Tanimoto 1 meeting the targets (a review)."""
        if smiles in known_gaps:  # many nearby points decode to the same molecule
            return known_gaps[smiles]
        mol = Chem.MolFromSmiles(smiles) if smiles else None
        if mol is None:
            return None
        values = {name: float(PROPERTIES[name].function(mol)) for name in targets}
        known_gaps[smiles] = gap = _gap(values, targets, start_values)
        if round_index >= 0 and graph_key(mol) == start_key:
            return gap   # the search learns from the point all the same
        found.append({"round": round_index, "smiles": smiles, "distance": round(float(np.linalg.norm(z - origin)), 3),
                      "similarity": round(DataStructs.TanimotoSimilarity(reference, morgan_fingerprint(mol)), 3),
                      **{name: round(value, 4) for name, value in values.items()}, "gap": round(gap, 4),
                      "met": meets_targets(values, targets)})
        return gap

    def decode_and_score(round_index: int, batch_points: np.ndarray) -> None:
        decoded = decode(model, torch.tensor(batch_points, dtype=torch.float32))
        for z, smiles in zip(batch_points, decoded):
            gap = record(round_index, z, smiles)
            if gap is not None:
                points.append(z)
                gaps.append(gap)

    def around(centre: np.ndarray, scale: float, count: int) -> np.ndarray:
        # N(0, r^2 / d) per dimension puts a point about r from the centre; r spread over (scale / 4, scale),
        # since near points often decode to the centre's molecule and far ones to unrelated ones
        reach = scale * rng.uniform(0.25, 1.0, (count, 1))
        return centre + rng.standard_normal((count, dim)) * reach / np.sqrt(dim)

    own = decode(model, torch.tensor(origin[None], dtype=torch.float32))[0]
    warn_if_not_held(start, own, "the search starts (its round -1)", model)
    start_gap = record(-1, origin, own)
    gaps.append(start_gap if start_gap is not None else 1.0)
    first = decodings if method == "random" else min(SEARCH_BATCH, decodings)
    decode_and_score(0, around(origin, radius, first))
    left, region = decodings - first, radius
    round_index = 0
    while left > 0:
        round_index += 1
        batch = min(SEARCH_BATCH, left)
        left -= batch
        x, y = np.array(points), np.array(gaps)
        best_before, known = y.min(), len(found)
        candidates = around(x[y.argmin()], region, pool)
        decode_and_score(round_index, candidates[_most_promising(x, y, candidates, batch, seed)])
        if len(found) == known:        # every point decoded to a molecule met before: a plateau, look further
            region = min(region * 2, 2 * radius)
        elif min(gaps) < best_before:  # progress: keep going, a little wider
            region = min(region * 1.5, 2 * radius)
        else:                          # new molecules, none better: look closer to the best
            region = max(region * 0.7, radius / 8)
    return found


def chemist_order(found: list[dict]) -> list[dict]:
    """:func:`search`'s molecules as a chemist reads them: those that meet every target first, the most similar
    to the start first (a near analogue that meets them is the find); then the rest, closest to the targets first;
    the start's own decoding last.

    Ordered by gap alone, the best molecules of a random search sat at Tanimoto about 0.27 to the start,
    while molecules meeting the targets at higher similarity ranked below them."""
    # the start's own decoding (round -1) goes last: it is the reference, not a find, even when it meets the targets
    return sorted(found, key=lambda row: (row["round"] == -1, not row["met"],
                                          -row["similarity"] if row["met"] else row["gap"], row["round"]))


def _most_promising(points: np.ndarray, gaps: np.ndarray, candidates: np.ndarray, count: int, seed: int) -> np.ndarray:
    """Indices of the ``count`` candidates with the highest expected improvement on the smallest gap, under
    a Gaussian process (Matern 5/2, fitted to the points decoded so far)."""
    from scipy.stats import norm
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

    kernel = ConstantKernel(1.0) * Matern(length_scale=np.sqrt(points.shape[1]), nu=2.5) + WhiteKernel(0.1)
    with warnings.catch_warnings():  # a length scale at its bound is no error here
        warnings.simplefilter("ignore", ConvergenceWarning)
        gp = GaussianProcessRegressor(kernel=kernel, normalize_y=True, random_state=seed).fit(points, gaps)
    mean, std = gp.predict(candidates, return_std=True)
    improvement = gaps.min() - mean  # the gap is minimised
    z_score = improvement / np.maximum(std, 1e-9)
    expected = improvement * norm.cdf(z_score) + std * norm.pdf(z_score)
    return np.argsort(-expected)[:count]
