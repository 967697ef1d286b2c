"""Fine-tuning a shipped SMILES model on a small series: how many steps move it onto the chemotype before it
only copies the series back.

    python benchmarks/fine_tuning.py --steps 0,10,25,50,100,200,400 --n 1000

The series: 45 2-anilino-4-arylpyrimidines (nine anilines x five aryls, written here), a kinase-inhibitor
chemotype. Nine are held out (one per aniline, each aryl among them); the shipped LSTM is fine-tuned on the other 36 with the command line's
fine-tuning settings (learning rate 3e-4, batch 128, so one step is one pass over the 36), from the shipped
weights each time, and ``--n`` molecules are sampled (seed 0, temperature 1). Columns: validity as sampled (no
correction); distinct valid molecules per sample; the share of valid samples that copy a training member; held-out
members found (of 9: the rediscovery a fine-tune is for); distinct molecules that are neither (new); their mean
nearest-neighbour Tanimoto to the series (ECFP4); the share of new molecules keeping the anilinopyrimidine core.
Minutes of training on this machine beside each row.
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import time
from pathlib import Path

import numpy as np
from rdkit import Chem, DataStructs, RDLogger
from rdkit.Chem import rdFingerprintGenerator

from molgen.models.base import shipped_checkpoint
from molgen.models.smiles_lm.config import TrainConfig
from molgen.models.smiles_lm.model import SmilesLM
from molgen.models.smiles_lm.train import train

ANILINES = ["COc1cc(N)cc(OC)c1OC", "CNC(=O)c1ccc(N)cc1", "NS(=O)(=O)c1ccc(N)cc1", "Nc1ccc(OCCN2CCCC2)cc1",
            "Nc1ccc(N2CCOCC2)cc1", "Nc1ccc(F)c(Cl)c1", "CN1CCN(c2ccc(N)cc2)CC1", "COc1cccc(N)c1", "Nc1ccc(F)cc1"]
ARYLS = ["c1ccc(F)cc1", "c1ccncc1", "c1ccsc1", "c1cccnc1", "c1ccccc1"]
CORE = Chem.MolFromSmarts("c1nc(N[c])ncc1")   # the 2-anilinopyrimidine


def series() -> list[str]:
    """The 45 molecules: each aniline's NH2 on C2 of a pyrimidine carrying the aryl at C4."""
    out = []
    for aniline, aryl in itertools.product(ANILINES, ARYLS):
        amine = Chem.MolFromSmiles(aniline)
        pattern = Chem.MolFromSmarts("[NH2]c")
        n = amine.GetSubstructMatch(pattern)[0]
        editable = Chem.RWMol(amine)
        editable.GetAtomWithIdx(n).SetProp("molAtomMapNumber", "1")
        text = Chem.MolToSmiles(editable).replace("[NH2:1]", "N(c9nccc(-" + aryl.replace("1", "8") + ")n9)")
        out.append(Chem.MolToSmiles(Chem.MolFromSmiles(text)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", default="0,10,25,50,100,200,400")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--model", default=None, help="checkpoint (default: the shipped LSTM)")
    args = parser.parse_args()
    RDLogger.DisableLog("rdApp.*")
    molecules = series()
    held_out = {m for i, m in enumerate(molecules) if i % 5 == (i // 5) % 5}   # one per aniline, every aryl
    training = [m for m in molecules if m not in held_out]
    fingerprint = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    series_fps = [fingerprint.GetFingerprint(Chem.MolFromSmiles(m)) for m in molecules]
    source = Path(args.model) if args.model else shipped_checkpoint("smiles-lm")
    print(f"series: {len(molecules)} molecules, {len(training)} trained on, {len(held_out)} held out; model {source.name}")
    print("| steps | train min | valid | distinct / valid | copies of training | held-out found | new | "
          "new: similarity to series | new: core kept |")
    print("|---|---|---|---|---|---|---|---|---|")
    for steps in [int(s) for s in args.steps.split(",")]:
        model = SmilesLM.load(source)
        minutes = 0.0
        if steps:
            config = TrainConfig(lr=3e-4, min_lr=1e-4, max_steps=steps, warmup_steps=min(500, max(1, steps // 10)),
                                 eval_every=steps, valid_size=4, seed=0)
            model.network.train()
            with tempfile.TemporaryDirectory() as folder:
                start = time.perf_counter()
                train(model, training, sorted(held_out)[:4], config, Path(folder) / "ft.pt", progress=False)
                minutes = (time.perf_counter() - start) / 60
        model.network.eval()
        samples = model.sample(args.n, seed=0)
        valid = [Chem.MolFromSmiles(s.smiles) for s in samples if s.smiles]
        valid = [m for m in valid if m is not None]
        canonical = [Chem.MolToSmiles(m) for m in valid]
        distinct = set(canonical)
        copies = sum(c in set(training) for c in canonical)
        found = len(distinct & held_out)
        new = [c for c in distinct if c not in set(molecules)]
        similarity = [max(DataStructs.BulkTanimotoSimilarity(fingerprint.GetFingerprint(Chem.MolFromSmiles(c)), series_fps))
                      for c in new]
        core = sum(Chem.MolFromSmiles(c).HasSubstructMatch(CORE) for c in new)
        print(f"| {steps} | {minutes:.1f} | {len(valid) / len(samples):.3f} | {len(distinct) / max(len(valid), 1):.3f} | "
              f"{copies / max(len(valid), 1):.3f} | {found} of {len(held_out)} | {len(new)} | "
              f"{np.mean(similarity) if new else float('nan'):.2f} | {core / max(len(new), 1):.2f} |", flush=True)


if __name__ == "__main__":
    main()
