"""The graph VAE asked for molecules near a reference: decoded around the reference's encoding vs from the prior.

    python benchmarks/graph_vae_similar_to.py --n 200 --threshold 0.4

For each reference (celecoxib, fluoxetine, paracetamol), ``--n`` latents from the shipped checkpoint's prior and
``--n`` around the reference's refined encoding (``sample.SIMILAR_RADII``), one seed, the default decoding. Prints,
per arm, the share of decoded molecules at Morgan Tanimoto >= ``--threshold`` to the reference (what a run's
filter keeps), how many distinct molecules that is, the mean similarity, and the seconds taken (2 cores).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from rdkit import Chem, DataStructs, RDLogger

from molgen.models import Conditions, load
from molgen.models.base import checkpoint_path
from molgen.scoring.similarity import morgan_fingerprint

REFERENCES = {"celecoxib": "Cc1ccc(-c2cc(C(F)(F)F)nn2-c2ccc(S(N)(=O)=O)cc2)cc1",
              "fluoxetine without its CF3": "CNCCC(Oc1ccccc1)c1ccccc1",
              "paracetamol": "CC(=O)Nc1ccc(O)cc1"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--threshold", type=float, default=0.4)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    RDLogger.DisableLog("rdApp.*")
    model = load(checkpoint_path("graph-vae"))
    print(f"| reference | latents | share >= {args.threshold:g} | distinct >= {args.threshold:g} | mean Tanimoto | seconds |")
    print("|---|---|---:|---:|---:|---:|")
    for name, smiles in REFERENCES.items():
        fingerprint = morgan_fingerprint(Chem.MolFromSmiles(smiles))
        for arm, conditions in (("prior", None), ("around the reference", Conditions(similar_to=smiles, min_similarity=args.threshold))):
            start = time.perf_counter()
            samples = model.sample(args.n, conditions=conditions, seed=args.seed)
            seconds = time.perf_counter() - start
            similarity = np.array([DataStructs.TanimotoSimilarity(fingerprint, morgan_fingerprint(Chem.MolFromSmiles(s.smiles)))
                                   for s in samples])
            near = {s.smiles for s, value in zip(samples, similarity) if value >= args.threshold}
            print(f"| {name} | {arm} | {np.mean(similarity >= args.threshold):.3f} | {len(near)} | {similarity.mean():.3f} | "
                  f"{seconds:.1f} |", flush=True)


if __name__ == "__main__":
    main()
