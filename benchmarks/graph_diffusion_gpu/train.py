"""Train a graph diffusion denoiser on a lent GPU machine for a wall-clock budget, then sample it.

    python3 benchmarks/graph_diffusion_gpu/train.py --tag B --hidden-dim 256 --edge-dim 64 --heads 8 --layers 8 \
        --out $OUT --train-until 400 --sample-until 530

Runs there, not here: that machine has PyTorch but no RDKit, so SMILES, metrics and model cards are
made back on the CPU machine (``read_back.py``). Reads ``.gpu/data.npz`` (``pack_data.py``), holds the
whole set on the GPU as dense atom and bond classes, and trains exactly the loss ``train.py`` of the
family trains (``GraphDiffusion.loss``, property dropout 0.3 and 0.1 for all), with an EMA of the
weights. Without size flags it continues the shipped checkpoint; with them, a new network starts from
the shipped config's vocabulary, marginals, size histogram, label prior and condition scaling (all
computed from this same training subset). The learning rate warms up, then follows a cosine over the
time budget, since the budget is time. Writes TAG_ema.pt and TAG_raw.pt (float16 weights, under the
16 MB a returned file may have) and TAG_ema_samples.npz, TAG_raw_samples.npz (9.5 MB each): graphs sampled as ``GraphDiffusion.sample`` does
untargeted (a label-prior row per graph, the flow sampler at 50 steps with its defaults), saved after
every group so a deadline keeps what was done.
"""

from __future__ import annotations

import argparse
import importlib.abc
import importlib.machinery
import math
import os
import sys
import time
from unittest import mock

STARTED = time.time()
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, REPO)


class _NoRDKit(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """molgen imports RDKit at module level; training and sampling graphs never call it."""

    def find_spec(self, name, path, target=None):
        if name == "rdkit" or name.startswith("rdkit."):
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None

    def create_module(self, spec):
        module = mock.MagicMock(name=spec.name)
        module.__path__, module.__spec__ = [], spec
        return module

    def exec_module(self, module):
        pass


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tag", required=True, help="prefix of the files written")
    p.add_argument("--out", required=True)
    p.add_argument("--data", default=os.path.join(REPO, ".gpu/data.npz"))
    p.add_argument("--device", default="cuda")
    p.add_argument("--train-until", type=float, required=True, help="seconds after start at which training stops")
    p.add_argument("--sample-until", type=float, required=True, help="seconds after start at which sampling stops")
    for name in ("hidden-dim", "edge-dim", "heads", "layers"):
        p.add_argument(f"--{name}", type=int, default=None, help="a new network of this size (default: continue the shipped one)")
    p.add_argument("--lr", type=float, default=None, help="peak (default 5e-4 for a new network, 2e-4 to continue)")
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--ema", type=float, default=0.999)
    p.add_argument("--n", type=int, default=25_000, help="graphs sampled from the EMA weights, then from the raw ones")
    p.add_argument("--group", type=int, default=1000, help="graphs denoised together (sorted by size)")
    p.add_argument("--max-molecules", type=int, default=None, help="train on the first N only (a smoke test)")
    p.add_argument("--stub-rdkit", action="store_true", help="hide an installed RDKit (to try the script on a CPU)")
    args = p.parse_args()
    try:
        if args.stub_rdkit:
            raise ImportError
        import rdkit  # noqa: F401
    except ImportError:
        for name in [m for m in sys.modules if m == "rdkit" or m.startswith("rdkit.")]:
            del sys.modules[name]
        sys.meta_path.insert(0, _NoRDKit())

    import numpy as np
    import torch
    import torch.nn.functional as F

    dev = torch.device(args.device)
    torch.set_default_device(dev)   # the model's own tensors (noise schedule, masks, features) are made there too
    if dev.type == "cuda":
        # cuSOLVER's batched eigh stops on some noisy Laplacians ("failed to converge"): those batches go to the CPU.
        device_eigh = torch.linalg.eigh

        def eigh(a):
            try:
                return device_eigh(a)
            except torch.linalg.LinAlgError:
                return tuple(t.to(a.device) for t in device_eigh(a.cpu()))

        torch.linalg.eigh = eigh

    from molgen.models.graph_diffusion.config import GraphDiffusionConfig
    from molgen.models.graph_diffusion.model import GraphDiffusion
    from molgen.models.graph_diffusion.noise import _masked

    def say(*text):
        print(f"[{args.tag} {time.time() - STARTED:6.1f}s]", *text, flush=True)

    shipped = GraphDiffusion.load(os.path.join(REPO, "molgen/pretrained/graph-diffusion.pt"))
    sizes = {k: v for k, v in (("hidden_dim", args.hidden_dim), ("edge_dim", args.edge_dim), ("heads", args.heads),
                               ("layers", args.layers)) if v is not None}
    if sizes:
        torch.manual_seed(0)
        model = GraphDiffusion(GraphDiffusionConfig.from_dict({**shipped.config.to_dict(), **sizes}), shipped.vocabulary)
        lr, warmup = args.lr or 5e-4, 500
    else:
        model, lr, warmup = shipped, args.lr or 2e-4, 200
    min_lr, cfg = lr / 10, model.config
    model.train()
    say(f"{model.num_parameters():,} parameters on {dev}")

    data = np.load(args.data)

    def dense(prefix):
        """Every molecule as dense atom classes (M, N) and bond classes (M, N, N), uint8, on the device."""
        atoms = torch.from_numpy(data[f"{prefix}_atoms"].astype(np.int64)).to(dev)
        atom_ptr = torch.from_numpy(data[f"{prefix}_atom_ptr"]).to(dev)
        bonds = torch.from_numpy(data[f"{prefix}_bonds"].astype(np.int64)).to(dev).reshape(-1, 2)
        kinds = torch.from_numpy(data[f"{prefix}_bond_types"].astype(np.int64)).to(dev)
        bond_ptr = torch.from_numpy(data[f"{prefix}_bond_ptr"]).to(dev)
        labels = torch.from_numpy(data[f"{prefix}_labels"]).to(dev)
        m = min(len(atom_ptr) - 1, args.max_molecules or len(atom_ptr))
        counts = atom_ptr[1:] - atom_ptr[:-1]
        n = int(counts[:m].max())
        owner = torch.repeat_interleave(torch.arange(len(counts)), counts)
        keep = owner < m
        x = torch.zeros(m, n, dtype=torch.uint8)
        x[owner[keep], (torch.arange(len(atoms)) - atom_ptr[owner])[keep]] = atoms[keep].to(torch.uint8)
        bond_owner = torch.repeat_interleave(torch.arange(len(counts)), bond_ptr[1:] - bond_ptr[:-1])
        keep = bond_owner < m
        e = torch.zeros(m, n, n, dtype=torch.uint8)
        for a, b in ((0, 1), (1, 0)):
            e[bond_owner[keep], bonds[keep, a], bonds[keep, b]] = (kinds[keep] + 1).to(torch.uint8)
        return x, e, counts[:m], labels[:m]

    train_set, valid_set = dense("train"), dense("valid")
    say(f"{len(train_set[2]):,} train, {len(valid_set[2]):,} valid molecules on the device")
    mean, std = torch.tensor(cfg.condition_mean), torch.tensor(cfg.condition_std)

    def batch(dataset, index):
        x_all, e_all, counts, _ = dataset
        n = int(counts[index].max())
        mask = torch.arange(n)[None] < counts[index][:, None]
        x = F.one_hot(x_all[index, :n].long(), cfg.num_atom_types).float()
        e = F.one_hot(e_all[index, :n, :n].long(), cfg.num_bond_classes).float()
        return (*_masked(x, e, mask), mask)

    def targets(index, generator, dropout=0.3, drop_all=0.1):
        """As ``molgen.models.training.normalised_conditions``: standardised, each hidden at random."""
        values = (train_set[3][index] - mean) / std
        hidden = torch.rand(values.shape, generator=generator) < dropout
        hidden |= torch.rand(len(values), 1, generator=generator) < drop_all
        return values.masked_fill(hidden, float("nan"))

    @torch.no_grad()
    def validate():
        """Unconditional denoising loss of the held-out molecules, as the family's ``validate`` (its own noise draws)."""
        model.eval()
        generator, total = torch.Generator(device=dev).manual_seed(0), 0.0
        for index in torch.arange(len(valid_set[2])).split(1000):
            total += float(model.loss(*batch(valid_set, index), generator=generator)[0]) * len(index)
        model.train()
        return total / len(valid_set[2])

    params = list(model.parameters())
    ema = [q.detach().clone() for q in params]
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=1e-12)
    noise = torch.Generator(device=dev).manual_seed(0)
    os.makedirs(args.out, exist_ok=True)
    say(f"valid loss at start {validate():.4f}")
    budget = args.train_until - (time.time() - STARTED)
    t0, step, epoch, running, done = time.time(), 0, 0, [], False
    while not done:
        for index in torch.randperm(len(train_set[2]), generator=noise).split(args.batch):
            if len(index) < args.batch:
                break
            rate = (lr * (step + 1) / warmup if step < warmup else
                    min_lr + 0.5 * (lr - min_lr) * (1 + math.cos(math.pi * min(1.0, (time.time() - t0) / budget))))
            for group in optimizer.param_groups:
                group["lr"] = rate
            loss = model.loss(*batch(train_set, index), targets=targets(index, noise), generator=noise)[0]
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            with torch.no_grad():
                torch._foreach_lerp_(ema, [q.detach() for q in params], 1 - min(args.ema, (1 + step) / (10 + step)))
            step += 1
            if step % 50 == 0:
                running.append(loss.detach())
            done = time.time() - t0 >= budget
            if step % 500 == 0 or done:
                say(f"step {step} epoch {epoch} lr {rate:.2e} train {float(torch.stack(running).mean()) if running else 0:.4f} "
                    f"valid {validate():.4f} {step * args.batch / (time.time() - t0):.0f} molecules/s")
                running = []
            if done:
                break
        epoch += 1
    seconds = time.time() - t0
    raw = [q.detach().clone() for q in params]
    valid_raw = validate()
    with torch.no_grad():
        torch._foreach_copy_(params, ema)
    valid_ema = validate()
    say(f"trained {step} steps ({step * args.batch:,} molecules, {seconds:.0f} s): valid raw {valid_raw:.4f}, ema {valid_ema:.4f}")
    record = {"tag": args.tag, "steps": step, "batch_size": args.batch, "seconds": round(seconds, 1),
              "molecules": len(train_set[2]), "epochs": round(step * args.batch / len(train_set[2]), 3), "lr": lr,
              "min_lr": min_lr, "warmup_steps": warmup, "ema_decay": args.ema, "continued_shipped": not sizes,
              "valid_raw": round(valid_raw, 4), "valid_ema": round(valid_ema, 4), "torch": str(torch.__version__),
              "device": torch.cuda.get_device_name() if dev.type == "cuda" else "cpu",
              "command": " ".join(sys.argv)}
    names = [k for k, _ in model.named_parameters()]
    weights = {"ema": dict(zip(names, ema)), "raw": dict(zip(names, raw))}
    for kind, state in weights.items():
        torch.save({"config": cfg.to_dict(), "vocabulary": model.vocabulary.to_dict(), "record": record,
                    "state": {k: v.half().cpu() for k, v in state.items()}},
                   os.path.join(args.out, f"{args.tag}_{kind}.pt"))
    say("saved the weights")

    model.eval()
    n_max = cfg.max_atoms
    upper = torch.triu_indices(n_max, n_max, 1)
    for kind, state in weights.items():
        with torch.no_grad():
            torch._foreach_copy_(params, list(state.values()))
        generator = torch.Generator(device=dev).manual_seed(0)
        prior = torch.tensor(cfg.label_prior, dtype=torch.float32)
        rows = prior[torch.randint(len(prior), (args.n,), generator=generator)]
        counts, wanted = rows[:, 0].long(), (rows[:, 1:] - mean) / std
        atoms = torch.zeros(args.n, n_max, dtype=torch.uint8)
        bonds = torch.zeros(args.n, len(upper[0]), dtype=torch.uint8)
        finished = torch.zeros(args.n, dtype=torch.bool)
        begun = time.time()
        for group in counts.argsort(stable=True).split(args.group):
            if time.time() - STARTED > args.sample_until:
                say(f"sampling the {kind} weights stopped at the deadline")
                break
            x, e, _, _ = model.sample_graphs(len(group), steps=50, sizes=counts[group], targets=wanted[group],
                                             generator=generator, sampler="flow", target_guidance=1.5,
                                             stochasticity=20.0, step_spacing=2.0)
            n = x.shape[1]
            atoms[group, :n] = x.argmax(-1).to(torch.uint8)
            full = torch.zeros(len(group), n_max, n_max, dtype=torch.uint8)
            full[:, :n, :n] = e.argmax(-1).to(torch.uint8)
            bonds[group] = full[:, upper[0], upper[1]]
            finished[group] = True
            np.savez(os.path.join(args.out, f"{args.tag}_{kind}_samples.npz"), atoms=atoms.cpu().numpy(),
                     bonds=bonds.cpu().numpy(), sizes=counts.cpu().numpy(), done=finished.cpu().numpy(),
                     seconds=np.array(time.time() - begun))
        say(f"sampled {int(finished.sum()):,} graphs from the {kind} weights in {time.time() - begun:.1f} s")
    say("finished")


if __name__ == "__main__":
    main()
