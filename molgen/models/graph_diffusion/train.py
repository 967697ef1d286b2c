"""Training the graph diffusion model: denoising cross-entropy at random noise levels, optional
property conditioning with drop-out for classifier-free guidance, validation, best checkpoint,
a CSV log and resuming after any interruption (the same files as the other families)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from rdkit import Chem

from molgen.chem.rdkit_log import quiet_rdkit
from molgen.data.graphs import GraphDataset, featurize
from molgen.models.graph_diffusion.config import GraphDiffusionConfig, TrainConfig
from molgen.models.graph_diffusion.model import GraphDiffusion, dense_batch
from molgen.models.graph_diffusion.sample import label_prior
from molgen.models.memory import keep_freed_memory
from molgen.models.training import (CtrlC, card_corrected, checkpoint, end_training, labels_of_featurized, learning_rate,
                                    normalised_conditions, open_log, random_state, resume_run, resumed_clock, run_record,
                                    scored_at_start)
from molgen.progress import progress_bar


def build_model(train_smiles: Sequence[str], *, conditions: Sequence[str] = (), progress: bool = False,
                **sizes) -> tuple[GraphDiffusion, GraphDataset]:
    """A fresh model whose vocabulary, marginals and size distribution come from the training molecules."""
    dataset = featurize(list(train_smiles), progress=progress, aromatic=sizes.get("aromatic_bonds", False))
    v = len(dataset.vocabulary)
    node_counts = torch.bincount(dataset.atoms, minlength=v).double()
    sizes_all = dataset.num_atoms()
    pairs = float((sizes_all * (sizes_all - 1) / 2).sum())
    bond_counts = torch.bincount(dataset.bond_types + 1, minlength=5 if sizes.get("aromatic_bonds") else 4).double()
    bond_counts[0] = pairs - bond_counts[1:].sum()
    config = GraphDiffusionConfig(num_atom_types=v, node_marginals=(node_counts / node_counts.sum()).tolist(),
                                  edge_marginals=(bond_counts / bond_counts.sum()).tolist(),
                                  size_counts=torch.bincount(sizes_all).tolist(), conditions=list(conditions),
                                  max_ring_size=largest_ring(train_smiles), **sizes)
    return GraphDiffusion(config, dataset.vocabulary), dataset


def largest_ring(smiles: Sequence[str]) -> int:
    """The most atoms in any ring (RDKit's smallest set of smallest rings) of the parsable molecules,
    0 if none has a ring: the limit of the sampler's projection. About 80 s for 600,000 SMILES (7.8 s for 60,000 of MOSES)."""
    largest = 0
    with quiet_rdkit():
        for text in smiles:
            mol = Chem.MolFromSmiles(text)
            if mol is not None:
                largest = max([largest, *(len(ring) for ring in mol.GetRingInfo().AtomRings())])
    return largest


def model_graphs(model: GraphDiffusion, smiles: Sequence[str], progress: bool = False) -> GraphDataset:
    """The molecules as graphs in the model's vocabulary and bond scheme (Kekulé or aromatic)."""
    return featurize(list(smiles), model.vocabulary, progress=progress, aromatic=model.config.aromatic_bonds)


def label_prior_from_smiles(model: GraphDiffusion, smiles: Sequence[str], rows: int = 4096, seed: int = 0) -> list[list[float]]:
    """A label prior for a trained conditional model (e.g. one shipped before checkpoints carried
    one): ``rows`` training molecules drawn first (seeded), then featurized and labelled."""
    from molgen.models.smiles_lm.labels import property_labels

    if not model.config.conditions:
        raise ValueError("this model is not conditional: it has no labels to draw a prior of")
    drawn = [smiles[i] for i in np.random.default_rng(seed).choice(len(smiles), min(rows, len(smiles)), replace=False)]
    graphs = model_graphs(model, drawn)
    labels = labels_of_featurized(property_labels(drawn, model.config.conditions, n_jobs=1, progress=False), graphs, len(drawn))
    return label_prior(graphs.num_atoms().numpy(), labels, rows, seed)


def _batch(model: GraphDiffusion, dataset: GraphDataset, index: np.ndarray):
    return dense_batch([dataset.graph(int(i)) for i in index], model.config.num_atom_types,
                       num_bond_classes=model.config.num_bond_classes)


@torch.no_grad()
def validate(model: GraphDiffusion, dataset: GraphDataset, batch_size: int = 128, seed: int = 0) -> float:
    """Mean denoising loss over the set, at fixed random noise levels (seeded, so comparable across evaluations)."""
    model.eval()
    generator = torch.Generator().manual_seed(seed)
    total, count = 0.0, 0
    for start in range(0, len(dataset), batch_size):
        index = np.arange(start, min(start + batch_size, len(dataset)))
        loss, _, _ = model.loss(*_batch(model, dataset, index), generator=generator)
        total, count = total + float(loss) * len(index), count + len(index)
    model.train()
    return total / max(count, 1)


def train(model: GraphDiffusion, train_smiles: Sequence[str], valid_smiles: Sequence[str], config: TrainConfig,
          out: str | Path, *, data_name: str = "custom", resume: str | Path | None = None, progress: bool = True,
          command: str | None = None, train_labels: np.ndarray | None = None, preparation: dict | None = None,
          fine_tune: bool | None = None) -> dict:
    """Train in place; returns the model card of the best checkpoint (lowest validation loss)."""
    if not len(train_smiles) or not len(valid_smiles):   # the loop would wait for a batch forever
        raise ValueError(f"training needs molecules to learn from and to validate on; got {len(train_smiles)} and "
                         f"{len(valid_smiles)}")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    keep_freed_memory()
    torch.manual_seed(config.seed)
    noise = torch.Generator().manual_seed(config.seed)
    train_set, valid_set = model_graphs(model, train_smiles, progress), model_graphs(model, valid_smiles)
    train_labels = labels_of_featurized(train_labels, train_set, len(train_smiles))
    if model.config.conditions and train_labels is not None:  # what untargeted sampling draws from (sample.py)
        model.config.label_prior = label_prior(train_set.num_atoms().numpy(), train_labels, seed=config.seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    step, elapsed, best, epoch, position = 0, 0.0, float("inf"), 0, 0
    lineage: dict = {}
    clock_start = (0.0, 0.0)
    state: dict = {}
    if resume is not None:
        resumed = GraphDiffusion.load(resume)
        model.load_state_dict(resumed.state_dict())
        state, lineage = resume_run(resume, resumed.training_record, optimizer, data=data_name, train_smiles=train_smiles,
                                    generators=[noise], fine_tune=fine_tune, out=out)
        clock_start = resumed_clock(state, card_corrected(resume, resumed.training_record))
        if state:
            step, elapsed, best, epoch, position = state["step"], state["elapsed"], state["best"], state["epoch"], state["position"]
    log, writer = open_log(out, resume if state else None, ["step", "epoch", "minutes", "lr", "train_loss", "train_atoms", "train_bonds", "valid_loss"])
    started = time.perf_counter() - elapsed
    if lineage.get("started_from") and not state:   # trained weights at step 0: the bar the run must beat
        start = validate(model, valid_set)
        writer.writerow([0, 0, 0.0, "", "", "", "", f"{start:.4f}"])
        lineage["started_from"] = scored_at_start(lineage["started_from"], start)
    budget = config.max_minutes * 60 if config.max_minutes else float("inf")
    bar = progress_bar(total=config.max_steps, initial=step, desc="training graph diffusion", unit="step", disable=not progress)
    running = np.zeros(3)
    seen = 0
    card: dict = {}
    model.train()
    stop = interrupted = False
    with CtrlC() as ctrl_c:   # Ctrl-C or a kill ends the step under way, then validates and checkpoints
        while not stop:
            order = np.random.default_rng([config.seed, epoch]).permutation(len(train_set))
            batches = [order[i:i + config.batch_size] for i in range(0, len(order), config.batch_size)]
            for index in batches[position:]:
                position += 1
                lr = learning_rate(step, config)
                for group in optimizer.param_groups:
                    group["lr"] = lr
                targets = normalised_conditions(model, train_labels, index, config.condition_dropout, noise,
                                                config.condition_drop_all)
                loss, loss_x, loss_e = model.loss(*_batch(model, train_set, index), targets=targets, generator=noise)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
                optimizer.step()
                step += 1
                running += [loss.item(), loss_x.item(), loss_e.item()]
                seen += 1
                bar.update(1)
                elapsed = time.perf_counter() - started
                interrupted = ctrl_c.pressed
                stop = interrupted or step >= config.max_steps or elapsed >= budget
                if step % config.eval_every == 0 or stop:
                    valid = validate(model, valid_set)
                    means = running / max(seen, 1)
                    running, seen = np.zeros(3), 0
                    writer.writerow([step, epoch, round(elapsed / 60, 2), f"{lr:.2e}", *(f"{v:.4f}" for v in means), f"{valid:.4f}"])
                    log.flush()
                    bar.set_postfix(valid=f"{valid:.3f}")
                    model.training_record = run_record(
                        data=data_name, train_smiles=train_smiles, step=step, epochs=epoch + position / max(len(batches), 1),
                        elapsed=elapsed, clock_start=clock_start, config=config, command=command, molecules=len(train_set), valid_molecules=len(valid_set),
                        valid_loss=round(valid, 4),
                        **({"data_preparation": preparation} if preparation else {}), **lineage)
                    best, card = checkpoint(model, out, optimizer, valid, best, card, step=step, elapsed=elapsed,
                                            epoch=epoch, position=position, random=random_state([noise]))
                if stop:
                    break
            else:
                epoch, position = epoch + 1, 0
    return end_training(bar, log, ctrl_c, interrupted, card, out=out, step=step, max_steps=config.max_steps,
                        resume=resume, command=command)
