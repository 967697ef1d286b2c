"""Quality of a graph VAE checkpoint on MOSES: prior samples, reconstruction, and the latent space.

    python benchmarks/graph_vae_quality.py --checkpoint molgen/pretrained/graph-vae.pt -n 30000

- N prior samples, evaluated with `molgen.metrics.evaluate` against MOSES test and scaffold-test,
  once per decoding of the latents (`sample.DECODINGS`, each with its default options: greedy;
  sampled at temperature 1; the most likely of 5 decodings, greedy and draws at 0.7; the same
  latents for all; `--decodings` picks). The card records the default decoding's metrics, and the
  others' beside them. A checkpoint that carries an aggregate posterior draws its latents from
  it; one more greedy row then draws them from N(0, I), the prior the VAE was trained with.
  **Validity is by construction** (the decoder masks choices that break valence); the script
  also decodes N/10 prior samples with the masks off and reports the fraction RDKit rejects.
  A checkpoint with a ring limit (`max_ring_size`: decoding closes no ring of more atoms) is
  sampled with it; the script decodes N/10 prior samples without the limit and
  reports the fraction that would have a larger ring.
- Reconstruction: greedy decoding of the encodings of 1,000 MOSES test molecules (the encoder's
  mean refined by gradient steps, `latent.encode`), compared with the input's canonical SMILES (no
  stereo); and the mean Tanimoto (Morgan) of each decoding to its input, which says how near the
  misses land. Beside them the same from the encoder's mean alone (the amortized encoder), and with
  `--candidates` k decodings per refined latent (greedy and k - 1 draws), the one the decoder finds
  most likely kept (`graph_vae_reconstruction.py` has the numbers by refinement budget).
- Property navigation: from 50 test molecules whose QED is below 0.75, 40 gradient steps on the
  property head towards QED 0.9. RDKit's QED of the decoded molecules (not the head's guess):
  the mean change per step from the decoded start to the last molecule, the best gain met on
  the way, and the fraction of walks that end higher; beside them the same numbers for a walk of
  the same latent distances in a random direction. Starting below the target makes "up" the
  right direction for every walk; every decode is valid by construction.

Writes the metrics into the checkpoint's model card unless --no-card.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from molgen.metrics import evaluate, markdown_table, published_rows
from molgen.models.graph_vae import latent
from molgen.models.graph_vae.model import GraphVAE
from molgen.models.graph_vae.sample import (DECODINGS, DEFAULT_DECODING, MOST_LIKELY_CANDIDATES, MOST_LIKELY_TEMPERATURE,
                                            fraction_invalid_without_masks, fraction_over_ring_limit)
from molgen.models.training import write_measured_card

sys.path.insert(0, str(Path(__file__).parent))
from graph_vae_reconstruction import reconstruction_molecules, reconstruction_record  # noqa: E402


def qed_navigation(model, molecules: list[str], *, target: float, steps: int, starts: int = 50) -> dict:
    """How far gradient steps on the property head move RDKit's QED of the decoded molecule."""
    from rdkit import Chem
    from rdkit.Chem import QED

    below = [s for s in molecules if QED.qed(Chem.MolFromSmiles(s)) < target - 0.15][:starts]
    generator = torch.Generator().manual_seed(0)
    last, best, random_last, random_best = [], [], [], []
    for s in below:
        walk = latent.optimise(model, s, {"qed": target}, steps=steps)
        if not walk:
            continue
        last.append(walk[-1]["qed"] - walk[0]["qed"])
        best.append(max(w["qed"] for w in walk) - walk[0]["qed"])
        # The baseline: the same latent distances along a random direction. The best of several
        # molecules met rises by chance alone; only a gain above this one is the head's doing.
        direction = torch.randn(model.config.latent_dim, generator=generator)
        points = latent.encode(model, [s])[0] + torch.tensor([w["distance"] for w in walk])[:, None] * direction / direction.norm()
        qeds = [QED.qed(Chem.MolFromSmiles(d)) for d in latent.decode(model, points)]
        random_last.append(qeds[-1] - qeds[0])
        random_best.append(max(qeds) - qeds[0])

    def mean(values, digits=4):
        return round(float(np.mean(values)), digits) if len(values) else None

    return {"starts": len(below), "target": target, "steps": steps,
            "qed_change_per_step": mean(np.array(last) / steps, 5), "best_qed_gain_on_path": mean(best),
            "fraction_ending_higher": mean(np.array(last) > 0, 3),
            "random_direction_qed_change_per_step": mean(np.array(random_last) / steps, 5),
            "random_direction_best_gain": mean(random_best)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("-n", type=int, default=30_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--candidates", type=int, default=10, help="decodings per latent for the best-of-k reconstruction")
    parser.add_argument("--decodings", default=",".join(DECODINGS),
                        help=f"comma-separated; greedy and the default ({DEFAULT_DECODING}) are always run")
    parser.add_argument("--no-card", action="store_true")
    args = parser.parse_args()
    asked = [d for d in args.decodings.split(",") if d]
    if set(asked) - set(DECODINGS):
        parser.error(f"--decodings takes {', '.join(DECODINGS)}; got {args.decodings}")
    decodings = [d for d in DECODINGS if d in asked or d in ("greedy", DEFAULT_DECODING)]
    model = GraphVAE.load(args.checkpoint)
    carried = model.config.latent_prior_rows
    prior = f"aggregate posterior of {carried:,} training molecules" if carried else "N(0, I)"
    by_decoding, seconds = {}, {}
    for decoding in decodings + (["standard"] if carried else []):
        started = time.perf_counter()
        samples = model.sample(args.n, seed=args.seed, decoding="greedy" if decoding == "standard" else decoding,
                               latent_prior=decoding != "standard")
        seconds[decoding] = time.perf_counter() - started
        by_decoding[decoding] = evaluate([s.smiles for s in samples], "moses", train="moses")
    metrics, sampling = by_decoding[DEFAULT_DECODING], seconds[DEFAULT_DECODING]
    unmasked = {decoding: fraction_invalid_without_masks(model, max(100, args.n // 10), seed=args.seed, decoding=decoding)
                for decoding in decodings}
    over_ring_limit = fraction_over_ring_limit(model, max(100, args.n // 10), seed=args.seed)
    usable = reconstruction_molecules(model, args.seed)
    reconstruction = reconstruction_record(model, usable, args.candidates)
    navigation = {}
    if model.property_head is not None and "qed" in model.config.properties:
        navigation = qed_navigation(model, usable, target=0.9, steps=40)
    name = f"molgen graph VAE ({model.training_record.get('steps', '?')} steps)"
    rows = {f"{name}, {prior}, {d} decoding": by_decoding[d] for d in decodings}
    if carried:
        rows[f"{name}, N(0, I), greedy decoding"] = by_decoding["standard"]
    print(markdown_table({**rows, **published_rows(("VAE", "JTN-VAE", "DiGress"))}))
    for decoding in decodings:
        print(f"{decoding}: validity with masks {by_decoding[decoding]['valid']:.4f} (by construction); without masks "
              f"{1 - unmasked[decoding]:.4f} valid ({max(100, args.n // 10):,} prior samples); "
              f"sampling {seconds[decoding]:.0f} s for {args.n:,}")
    if over_ring_limit is not None:
        print(f"ring limit {model.config.max_ring_size} atoms: without it {over_ring_limit:.4f} of "
              f"{max(100, args.n // 10):,} greedy prior samples would have a larger ring")
    print(f"reconstruction (greedy) on {len(usable)} MOSES test molecules: {reconstruction['reconstruction']:.3f} from "
          f"the encoding refined by {latent.REFINE_STEPS} steps (mean Tanimoto of the decoding to the input "
          f"{reconstruction['reconstruction_similarity']:.3f}), {reconstruction['reconstruction_encoder_mean']:.3f} from the "
          f"encoder's mean ({reconstruction['reconstruction_similarity_encoder_mean']:.3f}); most likely of "
          f"{args.candidates} decodings of the refined encoding "
          f"{reconstruction[f'reconstruction_most_likely_of_{args.candidates}']:.3f}")
    print(f"navigation towards QED 0.9: {navigation}")
    print(f"{DEFAULT_DECODING}: KL score {metrics['KL_score']}, FCD score {metrics['FCD_score']}")
    if not args.no_card:
        record = {k: v for k, v in metrics.items() if k not in ("properties", "timings", "notes", "invalid_samples")}
        headline = ("valid", "unique@10000", "FCD/Test", "SNN/Test", "Frag/Test", "Scaf/Test", "IntDiv", "Filters", "Novelty")
        if DEFAULT_DECODING == "most-likely":
            record["decoding_options"] = {"candidates": MOST_LIKELY_CANDIDATES, "temperature": MOST_LIKELY_TEMPERATURE}
        record.update({"decoding": DEFAULT_DECODING, "prior": prior, "sampling_seconds": round(sampling, 1),
                       "validity_note": "valid by construction (valence-masked decoder)",
                       "valid_without_masks": round(1 - unmasked[DEFAULT_DECODING], 4)})
        if over_ring_limit is not None:
            record.update({"max_ring_size": model.config.max_ring_size,
                           "ring_limit_note": f"decoding closes no ring of more than {model.config.max_ring_size} atoms",
                           "over_ring_limit_without_it": round(over_ring_limit, 4)})
        for decoding in decodings:
            if decoding != DEFAULT_DECODING:  # e.g. "sampled_decoding", "most_likely_decoding"
                record[f"{decoding.replace('-', '_')}_decoding"] = {
                    **{k: by_decoding[decoding][k] for k in headline}, "sampling_seconds": round(seconds[decoding], 1),
                    "valid_without_masks": round(1 - unmasked[decoding], 4)}
        if carried:
            record["standard_normal_prior"] = {"decoding": "greedy", **{k: by_decoding["standard"][k] for k in headline}}
        record.update({**reconstruction, "navigation": navigation,
                       "command": f"python benchmarks/graph_vae_quality.py --checkpoint {args.checkpoint} -n {args.n} "
                                  f"--candidates {args.candidates} --decodings {','.join(decodings)}"})
        write_measured_card(model, Path(args.checkpoint), record)
        print(json.dumps(record, indent=1, default=str)[:400])


if __name__ == "__main__":
    main()
