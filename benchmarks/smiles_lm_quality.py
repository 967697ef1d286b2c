"""Quality of a SMILES language model checkpoint on MOSES: sample, evaluate, record in its card.

    python benchmarks/smiles_lm_quality.py --checkpoint molgen/pretrained/smiles-lm-lstm.pt -n 30000

Samples N strings (seed 0, temperature 1, no correction of any kind), evaluates them with
`molgen.metrics.evaluate` against MOSES test and scaffold-test, prints the MOSES table with
the published CharRNN row beside it, and writes the metrics into the checkpoint's model card.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from molgen.metrics import evaluate, markdown_table, published_rows
from molgen.models.smiles_lm.model import SmilesLM
from molgen.models.training import write_measured_card


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("-n", type=int, default=30_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--samples", help="also write the sampled strings here (one per line)")
    parser.add_argument("--no-card", action="store_true", help="do not write the metrics into the model card")
    parser.add_argument("--bf16", action="store_true", help="sample with the network in bfloat16 (implies --no-card)")
    args = parser.parse_args()
    model = SmilesLM.load(args.checkpoint)
    started = time.perf_counter()
    samples = model.sample(args.n, seed=args.seed, bf16=args.bf16)
    sampling_seconds = time.perf_counter() - started
    smiles = [s.smiles for s in samples]
    if args.samples:
        Path(args.samples).write_text("\n".join(smiles) + "\n")
    metrics = evaluate(smiles, "moses", train="moses")
    name = f"molgen {model.config.arch} ({model.training.get('steps', '?')} steps{', bf16' if args.bf16 else ''})"
    print(markdown_table({name: metrics, **published_rows(("CharRNN", "VAE"))}))
    print(f"KL score {metrics['KL_score']}, FCD score {metrics['FCD_score']}; sampling {sampling_seconds:.0f} s, "
          f"evaluation {metrics['seconds']:.0f} s; truncated strings: {sum(bool(s.meta.get('truncated')) for s in samples)}")
    if not (args.no_card or args.bf16):
        record = {k: v for k, v in metrics.items() if k not in ("properties", "timings", "seconds", "invalid_samples")}
        record.update(sampling={"n": args.n, "seed": args.seed, "strategy": "sample", "temperature": 1.0,
                                "valence_correction": "none"},
                      command=f"python benchmarks/smiles_lm_quality.py --checkpoint {args.checkpoint} -n {args.n}")
        write_measured_card(model, Path(args.checkpoint), record)
        print(json.dumps({k: record[k] for k in ("valid", "unique@10000", "FCD/Test", "Novelty")}, indent=1))


if __name__ == "__main__":
    main()
