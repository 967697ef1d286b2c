"""Moving through the graph VAE's latent space: encode, decode, interpolate, analogues, optimise."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from rdkit import Chem, DataStructs
from torch_geometric.data import Batch

from molgen.chem.graph import mol_to_graph
from molgen.chem.parse import parse_smiles
from molgen.data.graphs import graph_to_data
from molgen.models.graph_vae.sample import decode_latents
from molgen.scoring.similarity import morgan_fingerprint


def _graph_data(model, smiles: str):
    """The encoder's input for one SMILES; ``ValueError`` if it does not parse or fit the vocabulary."""
    parsed = parse_smiles(smiles)
    if not parsed.ok:
        raise ValueError(f"{smiles!r} is not a valid molecule ({parsed.failure.value}): {parsed.message}")
    return graph_to_data(mol_to_graph(parsed.mol, model.vocabulary))


def posterior(model, smiles: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """The encoder's mean and log-variance of each molecule; a SMILES that does not parse or fit raises
    ``ValueError`` naming it."""
    data = [_graph_data(model, s) for s in smiles]
    with torch.no_grad():
        return model.encoder(Batch.from_data_list(data))


def encode(model, smiles: Sequence[str], *, sample: bool = False, seed: int = 0) -> torch.Tensor:
    """Latent means (or samples) of molecules; a SMILES that does not parse or fit raises ``ValueError`` naming it."""
    mu, logvar = posterior(model, smiles)
    if not sample:
        return mu
    generator = torch.Generator().manual_seed(seed)
    return mu + torch.randn(mu.shape, generator=generator) * (0.5 * logvar).exp()


def aggregate_posterior(model, smiles: Sequence[str], rows: int = 16384, seed: int = 0,
                        batch_size: int = 512) -> tuple[torch.Tensor, torch.Tensor]:
    """Means and log-variances of ``rows`` molecules drawn from ``smiles`` (seeded), for
    ``model.set_latent_prior``. Molecules the model cannot hold are left out, as in training."""
    picked = []
    for i in np.random.default_rng(seed).permutation(len(smiles)):
        try:
            data = _graph_data(model, smiles[i])
        except ValueError:  # unparsable, an atom type outside the vocabulary, or a radical
            continue
        if data.num_nodes <= model.config.max_atoms:
            picked.append(data)
        if len(picked) == rows:
            break
    if not picked:
        raise ValueError("none of these molecules fits the model (atom vocabulary, max_atoms)")
    with torch.no_grad():
        parts = [model.encoder(Batch.from_data_list(picked[i:i + batch_size])) for i in range(0, len(picked), batch_size)]
    return torch.cat([mu for mu, _ in parts]), torch.cat([logvar for _, logvar in parts])


def decode(model, z: torch.Tensor, *, greedy: bool = True, seed: int = 0, candidates: int = 1) -> list[str]:
    """SMILES of latents, greedy (or sampled); ``candidates`` > 1 keeps the most likely of greedy and k - 1 draws."""
    return [s.smiles for s in decode_latents(model, z, greedy=greedy, seed=seed, candidates=candidates)]


def reconstruction_accuracy(model, smiles: Sequence[str], *, candidates: int = 1) -> float:
    """Fraction of molecules whose decoding of the latent mean gives the same canonical SMILES (no stereo):
    greedy, or the decoder's most likely of greedy and ``candidates - 1`` sampled decodings."""
    decoded = decode(model, encode(model, smiles), candidates=candidates)
    same = [Chem.MolToSmiles(Chem.MolFromSmiles(s), isomericSmiles=False) == d for s, d in zip(smiles, decoded)]
    return float(np.mean(same))


def reconstruction_similarity(model, smiles: Sequence[str], *, candidates: int = 1) -> float:
    """Mean Tanimoto (Morgan) between each molecule and its decoding: how near a miss lands."""
    decoded = decode(model, encode(model, smiles), candidates=candidates)
    return float(np.mean([DataStructs.TanimotoSimilarity(morgan_fingerprint(Chem.MolFromSmiles(s)),
                                                         morgan_fingerprint(Chem.MolFromSmiles(d)))
                          for s, d in zip(smiles, decoded)]))


def interpolate(model, start: str, end: str, steps: int = 10, *, spherical: bool = False) -> list[tuple[float, str]]:
    """The distinct molecules met on the way from ``start`` to ``end`` (linear or spherical in z), with where."""
    z0, z1 = encode(model, [start, end])
    fractions = torch.linspace(0, 1, steps)
    if spherical:
        omega = torch.arccos(torch.clamp(torch.dot(z0 / z0.norm(), z1 / z1.norm()), -1, 1))
        path = torch.stack([(torch.sin((1 - f) * omega) * z0 + torch.sin(f * omega) * z1) / torch.sin(omega)
                            if omega > 1e-6 else z0 for f in fractions])
    else:
        path = torch.stack([(1 - f) * z0 + f * z1 for f in fractions])
    met, out = set(), []
    for f, s in zip(fractions.tolist(), decode(model, path)):
        if s and s not in met:
            met.add(s)
            out.append((f, s))
    return out


def analogues(model, seed_smiles: str, n: int = 20, radius: float = 0.5, *, seed: int = 0) -> list[tuple[str, float]]:
    """Distinct molecules decoded around a seed's latent point at ``radius``, each with its Tanimoto to the seed."""
    z = encode(model, [seed_smiles])[0]
    generator = torch.Generator().manual_seed(seed)
    directions = torch.randn(n, len(z), generator=generator)
    points = z + radius * directions / directions.norm(dim=1, keepdim=True)
    reference = morgan_fingerprint(Chem.MolFromSmiles(seed_smiles))
    seen, out = set(), []
    for s in decode(model, points):
        mol = Chem.MolFromSmiles(s) if s else None
        if mol is None or s in seen:
            continue
        seen.add(s)
        out.append((s, DataStructs.TanimotoSimilarity(reference, morgan_fingerprint(mol))))
    return sorted(out, key=lambda item: -item[1])


def optimise(model, start: str, targets: dict[str, float], *, steps: int = 60, lr: float = 0.05,
             decode_every: int = 5) -> list[dict]:
    """Gradient descent in z on the property head's distance to ``targets``, from ``start``'s latent point.

    Returns the distinct molecules met on the way, each with the step, its latent distance from the
    start, the head's prediction and the property computed by RDKit on the decoded molecule (the
    number that counts).
    """
    from molgen.scoring.properties import PROPERTIES

    if model.property_head is None:
        raise ValueError("this graph VAE was trained without a property head; it cannot be steered")
    names = model.config.properties
    unknown = sorted(set(targets) - set(names))
    if unknown:
        raise ValueError(f"the property head predicts {', '.join(names)}; not {', '.join(unknown)}")
    mean, std = torch.tensor(model.config.property_mean), torch.tensor(model.config.property_std)
    wanted = torch.tensor([(targets[n] - mean[i]) / std[i] if n in targets else 0.0 for i, n in enumerate(names)])
    weight = torch.tensor([1.0 if n in targets else 0.0 for n in names])
    origin = encode(model, [start])
    z = origin.clone().requires_grad_(True)
    optimizer = torch.optim.Adam([z], lr=lr)
    seen, path = set(), []
    for step in range(steps + 1):
        if step % decode_every == 0:
            smiles = decode(model, z.detach())[0]
            mol = Chem.MolFromSmiles(smiles) if smiles else None
            if mol is not None and smiles not in seen:
                seen.add(smiles)
                predicted = (model.property_head(z.detach())[0] * std + mean).tolist()
                path.append({"step": step, "smiles": smiles, "distance": round(float((z.detach() - origin).norm()), 3),
                             **{f"predicted_{n}": round(v, 4) for n, v in zip(names, predicted)},
                             **{n: round(PROPERTIES[n].function(mol), 4) for n in names}})
        if step == steps:
            break
        optimizer.zero_grad()
        loss = (weight * (model.property_head(z)[0] - wanted) ** 2).sum()
        loss.backward()
        optimizer.step()
    return path
