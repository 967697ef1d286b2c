"""From latents to molecules: decode graphs and rebuild them with RDKit, nothing corrected."""

from __future__ import annotations

import numpy as np
import torch

from molgen.chem.graph import graph_to_mol
from molgen.models.base import Sample, sampling_seed


def graphs_to_samples(model, atoms: torch.Tensor, bonds: torch.Tensor, lengths: torch.Tensor) -> list[Sample]:
    """One :class:`Sample` per decoded graph: canonical SMILES when RDKit sanitizes it, else the error in ``meta``."""
    out = []
    for b in range(len(atoms)):
        n = int(lengths[b])
        types = atoms[b, :n].numpy()
        upper = torch.triu(bonds[b, :n, :n], diagonal=1)
        pairs = upper.nonzero().numpy()
        kinds = (upper[upper > 0] - 1).numpy()
        result = graph_to_mol(types, pairs.reshape(-1, 2), kinds, model.vocabulary)
        out.append(Sample(result.smiles or "", None, {"atoms": n} if result.valid else {"atoms": n, "error": result.error}))
    return out


def decode_latents(model, z: torch.Tensor, *, greedy: bool = True, temperature: float = 1.0, seed: int | None = None,
                   use_masks: bool = True, batch_size: int = 512, candidates: int = 1, ring_limit: bool = True) -> list[Sample]:
    """One molecule per latent. With ``candidates`` k > 1, each latent is decoded greedily and k - 1 times
    by sampling (``temperature``), and the candidate the decoder itself finds most likely given z is kept:
    greedy picks each step's best choice, which is not always the most likely whole graph. ``ring_limit``:
    close no ring larger than ``config.max_ring_size`` (see ``model.Decoder.decode``)."""
    if candidates < 1:
        raise ValueError(f"candidates must be at least 1, not {candidates}")
    generator = torch.Generator().manual_seed(sampling_seed(seed))
    model.eval()
    samples: list[Sample] = []
    for start in range(0, len(z), batch_size):
        chunk = z[start:start + batch_size]
        if candidates == 1:
            atoms, bonds, lengths = model.decoder.decode(chunk, greedy=greedy, temperature=temperature,
                                                         generator=generator, use_masks=use_masks, ring_limit=ring_limit)
            samples.extend(graphs_to_samples(model, atoms, bonds, lengths))
        else:
            samples.extend(_most_likely_of(model, chunk, candidates, temperature, generator, use_masks, ring_limit))
    return samples


@torch.no_grad()
def _most_likely_of(model, z: torch.Tensor, candidates: int, temperature: float, generator: torch.Generator,
                    use_masks: bool, ring_limit: bool) -> list[Sample]:
    """For each latent, the decoding (greedy or one of ``candidates - 1`` draws) the decoder finds most
    likely: the network's log-probability of the whole graph given z, the teacher-forced one (ties keep
    the earlier candidate, the greedy one first). It is scored without the ring limit's renormalisation
    (``Decoder.decode``), which on the shipped model picks better molecules (RESULTS.md). The draws of a
    chunk are decoded as one batch, which spreads the decoder's per-step cost over more graphs."""
    decode = model.decoder.decode
    options = {"use_masks": use_masks, "ring_limit": ring_limit, "with_log_likelihood": True}
    runs = [decode(z, greedy=True, **options)]
    if candidates > 1:
        drawn = decode(z.repeat(candidates - 1, 1), greedy=False, temperature=temperature, generator=generator, **options)
        runs.extend(zip(*(part.chunk(candidates - 1) for part in drawn)))
    log_likelihood = torch.stack([run[3] for run in runs])            # (candidates, B)
    best = log_likelihood.argmax(0)                                    # the first of equals
    out: list[tuple[int, Sample]] = []
    for k, run in enumerate(runs):
        rows = (best == k).nonzero().flatten()
        if len(rows):
            found = graphs_to_samples(model, run[0][rows], run[1][rows], run[2][rows])
            for b, sample in zip(rows.tolist(), found):
                sample.log_likelihood = float(log_likelihood[k, b])
                sample.meta["candidate"] = k  # 0 = the greedy decoding
                out.append((b, sample))
    return [sample for _, sample in sorted(out, key=lambda pair: pair[0])]


#: How each prior latent becomes a molecule. "greedy" takes the decoder's most likely choice at every
#: step, so z alone carries the variation; "sampled" also draws every atom and bond (``temperature``);
#: "most-likely" decodes greedily and ``candidates - 1`` times by drawing (``temperature``), and keeps
#: the graph the decoder finds most likely as a whole, which a step-by-step greedy choice often is not.
#: Per-step draws alone mostly add errors, and keeping the most likely of several decodings removes
#: many of the greedy path's (FCD/Test in benchmarks/RESULTS.md, "graph VAE decoding" sections).
DECODINGS = ("greedy", "sampled", "most-likely")
#: The default: the shipped checkpoint's prior samples are much closer to MOSES this way than greedy
#: (FCD/Test 0.76 against 1.69 at n = 30,000), at about a quarter of greedy's speed (benchmarks/RESULTS.md).
DEFAULT_DECODING = "most-likely"
MOST_LIKELY_CANDIDATES = 5
MOST_LIKELY_TEMPERATURE = 0.7  # of the draws; below 1 they stray less from the greedy path
#: Each decoding's defaults, pinned in a run that did not give them (greedy draws nothing: none).
DECODING_DEFAULTS = {"most-likely": {"temperature": MOST_LIKELY_TEMPERATURE, "candidates": MOST_LIKELY_CANDIDATES},
                     "sampled": {"temperature": 1.0}, "greedy": {}}


def check_decoding(decoding: str, temperature: float | None, candidates: int | None = None) -> None:
    """A clear ``ValueError`` for an unknown decoding, or an option the decoding would ignore or cannot use."""
    if decoding not in DECODINGS:
        raise ValueError(f"decoding must be one of {', '.join(DECODINGS)}, not {decoding!r}")
    if temperature is not None and decoding == "greedy":
        raise ValueError("a temperature applies only to decoding='sampled' or 'most-likely' (greedy decoding draws nothing)")
    if temperature is not None and not temperature > 0:
        raise ValueError(f"temperature must be above 0, not {temperature}")
    if candidates is not None and decoding != "most-likely":
        raise ValueError("candidates applies only to decoding='most-likely'")
    if candidates is not None and candidates < 2:
        raise ValueError(f"most-likely decoding needs at least 2 candidates, not {candidates} (one is greedy decoding)")


def prior_latents(model, n: int, generator: torch.Generator, latent_prior: bool = True) -> torch.Tensor:
    """``n`` latents: from the equal mixture of the training posteriors the checkpoint carries (the
    aggregate posterior, what the decoder saw in training), else from N(0, I).

    A KL-weighted VAE leaves holes between the posteriors that N(0, I) still fills; decoded, those
    latents give molecules unlike the data (benchmarks/RESULTS.md, "aggregate posterior").
    """
    if latent_prior and model.config.latent_prior_rows:
        rows = model.latent_prior[torch.randint(model.config.latent_prior_rows, (n,), generator=generator)]
        mu, logvar = rows[:, 0], rows[:, 1]
        return mu + torch.randn(mu.shape, generator=generator) * (0.5 * logvar).exp()
    return torch.randn(n, model.config.latent_dim, generator=generator)


#: The latent distances from a reference's encoding that a run asked for molecules similar to it decodes at
#: (uniform between the two): around celecoxib, Tanimoto >= 0.4 for 42% of 200 points and 30 distinct molecules,
#: where prior samples met it for none of 600 (benchmarks/RESULTS.md, "graph VAE steers --similar-to").
SIMILAR_RADII = (0.5, 2.5)


def latents_around(center: torch.Tensor, n: int, generator: torch.Generator,
                   radii: tuple[float, float] = SIMILAR_RADII) -> torch.Tensor:
    """``n`` latents in random directions from ``center``, each at a distance drawn uniformly from ``radii``."""
    directions = torch.randn(n, len(center), generator=generator)
    distances = radii[0] + (radii[1] - radii[0]) * torch.rand(n, 1, generator=generator)
    return center + distances * directions / directions.norm(dim=1, keepdim=True)


def sample_prior(model, n: int, *, seed: int | None = None, decoding: str = DEFAULT_DECODING, temperature: float | None = None,
                 candidates: int | None = None, batch_size: int = 512, use_masks: bool = True, latent_prior: bool = True,
                 ring_limit: bool = True, around: torch.Tensor | None = None) -> list[Sample]:
    """``n`` molecules from prior latents (:func:`prior_latents`), or from latents around a point (``around``: a
    reference's encoding, :func:`latents_around`), each decoded as ``decoding`` says (:data:`DECODINGS`; seeded)."""
    check_decoding(decoding, temperature, candidates)
    seed = sampling_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    z = prior_latents(model, n, generator, latent_prior) if around is None else latents_around(around, n, generator)
    defaults = DECODING_DEFAULTS[decoding]
    candidates = candidates or defaults.get("candidates", 1)
    temperature = defaults.get("temperature", 1.0) if temperature is None else temperature
    return decode_latents(model, z, greedy=decoding == "greedy", temperature=temperature, seed=seed + 1,
                          use_masks=use_masks, batch_size=batch_size, ring_limit=ring_limit, candidates=candidates)


def fraction_invalid_without_masks(model, n: int = 1000, seed: int = 0, decoding: str = "greedy") -> float:
    """How many prior samples RDKit would reject if the decoder's valence masks were switched off."""
    samples = sample_prior(model, n, seed=seed, decoding=decoding, use_masks=False)
    return float(np.mean([not s.smiles for s in samples]))


def fraction_over_ring_limit(model, n: int = 1000, seed: int = 0, decoding: str = "greedy") -> float | None:
    """How many prior samples would have a ring larger than ``config.max_ring_size`` if decoding did not
    rule such rings out (``None`` when the checkpoint has no ring limit)."""
    from rdkit import Chem

    limit = model.config.max_ring_size
    if limit is None:
        return None
    over = 0
    for sample in sample_prior(model, n, seed=seed, decoding=decoding, ring_limit=False):
        mol = Chem.MolFromSmiles(sample.smiles)
        over += any(len(ring) > limit for ring in mol.GetRingInfo().AtomRings())
    return over / n
