"""Sampling speed of every generator family: valid, unique molecules per second.

    python benchmarks/sampling.py --checkpoint molgen/pretrained/smiles-lm-lstm.pt [--checkpoint ...]

For each checkpoint (2 cores, CPU), times the generation of N molecules and counts how many are
valid (RDKit, nothing corrected, except in the diffusion rows marked "projected") and distinct:
- SMILES models: each decoding strategy at batch sizes 1 to 1024; a transformer with and
  without its KV cache, an LSTM in float32 and with a bfloat16 forward, in the same run;
- graph VAE: prior samples decoded at batch 256 (valid by construction: valence masks), greedy and
  sampled with and without its ring limit, and the most likely of 3, 5 and 10 decodings;
- graph diffusion: 100 molecules (one sampling batch, denoised in groups of similar size) at each
  of ``--steps`` denoising step counts, as sampled and projected onto valence and ring size.
"""

from __future__ import annotations

import argparse
import time

import torch

from molgen.chem.parse import canonical_smiles
from molgen.chem.rdkit_log import quiet_rdkit
from molgen.models import load
from molgen.models.smiles_lm.model import SmilesLM

STRATEGIES = {
    "temperature 1.0": {},
    "top-k 10": {"top_k": 10},
    "top-p 0.95": {"top_p": 0.95},
    "greedy": {"strategy": "greedy"},
}


def run(model: SmilesLM, n: int, **options) -> tuple[float, int, int]:
    started = time.perf_counter()
    samples = model.sample(n, seed=0, **options)
    seconds = time.perf_counter() - started
    with quiet_rdkit():
        canonical = [canonical_smiles(s.smiles) for s in samples]
    valid = [c for c in canonical if c is not None]
    return seconds, len(valid), len(set(valid))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", action="append", required=True)
    parser.add_argument("--n", type=int, default=2048, help="strings per measurement")
    parser.add_argument("--batches", default="1,16,128,512,1024")
    parser.add_argument("--steps", default="25,50,100,250,500", help="graph diffusion: denoising step counts")
    args = parser.parse_args()
    print(f"torch threads: {torch.get_num_threads()}")
    print(f"{'model':<28} {'decoding':<18} {'batch':>6} {'n':>6} {'s':>7} {'valid/s':>9} {'valid+unique/s':>15} {'valid':>6}")
    for path in args.checkpoint:
        model = load(path)
        if not isinstance(model, SmilesLM):
            graph_rows(model, args)
            continue
        name = f"{model.config.arch} ({model.num_parameters() / 1e6:.1f}M)"
        cache_options = [True, False] if model.config.arch == "transformer" else [True]
        for batch in (int(b) for b in args.batches.split(",")):
            n = min(args.n, max(batch * 2, 64)) if batch < 128 else args.n
            for label, options in STRATEGIES.items():
                for use_cache in cache_options:
                    seconds, valid, unique = run(model, n, batch_size=batch, use_cache=use_cache, **options)
                    tag = label + ("" if model.config.arch == "lstm" else (" +cache" if use_cache else " no cache"))
                    print(f"{name:<28} {tag:<18} {batch:>6} {n:>6} {seconds:>7.1f} {valid / seconds:>9.0f} {unique / seconds:>15.0f} {valid / n:>6.3f}")
            if batch >= 128:  # the bfloat16 forward, beside the float32 one
                seconds, valid, unique = run(model, n, batch_size=batch, bf16=True)
                print(f"{name:<28} {'temperature 1 bf16':<18} {batch:>6} {n:>6} {seconds:>7.1f} {valid / seconds:>9.0f} {unique / seconds:>15.0f} {valid / n:>6.3f}")
        for width in (10,):
            seconds, valid, unique = run(model, width, strategy="beam", beam_width=width)
            print(f"{name:<28} {'beam ' + str(width):<18} {1:>6} {width:>6} {seconds:>7.1f} {valid / seconds:>9.1f} {unique / seconds:>15.1f} {valid / width:>6.3f}")


def graph_rows(model, args) -> None:
    """The graph families: the VAE at batch 256 (each decoding), diffusion per step count (100 molecules)."""
    name = f"{model.family} ({model.num_parameters() / 1e6:.1f}M)"
    if model.family == "graph-vae":
        # the ring limit (if the checkpoint has one) tracks shortest paths while decoding: timed lifted too
        limits = (True, False) if model.config.max_ring_size is not None else (True,)
        for decoding in ("greedy", "sampled"):
            for ring_limit in limits:
                seconds, valid, unique = run(model, args.n, batch_size=256, decoding=decoding, ring_limit=ring_limit)
                tag = f"prior, {decoding}" + ("" if ring_limit else ", no ring limit")
                print(f"{name:<28} {tag:<18} {256:>6} {args.n:>6} {seconds:>7.1f} {valid / seconds:>9.0f} {unique / seconds:>15.0f} {valid / args.n:>6.3f}")
        # the most likely of k decodings: 256 latents a chunk, their k - 1 draws decoded as one batch
        for candidates in (3, 5, 10):
            seconds, valid, unique = run(model, args.n, batch_size=256, decoding="most-likely", candidates=candidates)
            tag = f"most likely of {candidates}"
            print(f"{name:<28} {tag:<18} {256:>6} {args.n:>6} {seconds:>7.1f} {valid / seconds:>9.0f} {unique / seconds:>15.0f} {valid / args.n:>6.3f}")
        return
    for steps in (int(s) for s in args.steps.split(",")):
        # and with the projection onto valence and ring size (a correction, so its validity is not comparable)
        for projection in (False, True):
            seconds, valid, unique = run(model, 100, batch_size=100, steps=steps, projection=projection)
            tag = f"{steps} steps" + (" projected" if projection else "")
            print(f"{name:<28} {tag:<18} {100:>6} {100:>6} {seconds:>7.1f} {valid / seconds:>9.1f} {unique / seconds:>15.1f} {valid / 100:>6.3f}")


if __name__ == "__main__":
    main()
