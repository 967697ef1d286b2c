"""Training the graph VAE: ELBO with KL annealing and free bits, an optional property head,
validation every N steps, best-checkpoint saving, a CSV log and resuming after any interruption.

Files beside ``OUT.pt`` (the best model, with its card ``OUT.json``): ``OUT.csv`` (log),
``OUT.last.pt`` and ``OUT.state.pt`` (latest weights, optimizer, step, clock) for ``resume``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from torch_geometric.data import Batch

from molgen.chem.graph import AtomVocabulary
from molgen.data.graphs import GraphDataset, cache_key, featurize
from molgen.paths import cache_dir
from molgen.models.graph_vae.config import GraphVAEConfig, TrainConfig
from molgen.models.graph_vae.model import GraphVAE, largest_closed_rings, to_sequences
from molgen.models.memory import keep_freed_memory
from molgen.models.training import (CtrlC, card_corrected, checkpoint, end_training, labels_of_featurized, learning_rate, open_log,
                                    random_state, resume_run, resumed_clock, run_record, scored_at_start)
from molgen.progress import progress_bar


def capacities(dataset: GraphDataset) -> list[int]:
    """For each atom type, the largest sum of bond orders any atom of that type carries in ``dataset``."""
    load = torch.zeros(len(dataset.atoms), dtype=torch.long)
    offsets = torch.repeat_interleave(dataset.atom_ptr[:-1], dataset.bond_ptr[1:] - dataset.bond_ptr[:-1])
    orders = dataset.bond_types + 1
    for column in (0, 1):
        load.index_add_(0, dataset.bonds[:, column] + offsets, orders)
    out = torch.zeros(len(dataset.vocabulary), dtype=torch.long)
    out.scatter_reduce_(0, dataset.atoms, load, reduce="amax")
    return out.tolist()


def largest_training_ring(dataset: GraphDataset, chunk: int = 2048) -> int:
    """The largest ring the decoder closes on any training molecule (``GraphVAEConfig.max_ring_size``:
    decoding closes none larger, so it never rules out a training molecule). 111 s for 600,000 on 2 AMD threads."""
    largest, size = 0, int(dataset.num_atoms().max())
    for start in range(0, len(dataset), chunk):
        _, bonds, _ = to_sequences([dataset.graph(i) for i in range(start, min(start + chunk, len(dataset)))], size)
        largest = max(largest, int(largest_closed_rings(bonds).max()))
    return largest


def build_model(train_smiles: Sequence[str], *, latent_dim: int = 64, hidden_dim: int = 192, encoder_layers: int = 4,
                properties: Sequence[str] = (), focus_attention: bool = False,
                progress: bool = False) -> tuple[GraphVAE, GraphDataset]:
    """A fresh model whose vocabulary, capacities, size limit and ring limit come from the training molecules."""
    dataset = featurize(list(train_smiles), progress=progress)
    sizes = dataset.num_atoms()
    config = GraphVAEConfig(num_atom_types=len(dataset.vocabulary), capacities=capacities(dataset), latent_dim=latent_dim,
                            hidden_dim=hidden_dim, encoder_layers=encoder_layers, max_atoms=int(sizes.max()) + 2,
                            max_ring_size=largest_training_ring(dataset), properties=list(properties),
                            focus_attention=focus_attention)
    return GraphVAE(config, dataset.vocabulary), dataset


def load_weights(model: GraphVAE, source: GraphVAE) -> bool:
    """``source``'s weights into ``model``; a model that gained the focus attention keeps its own (zero-output)
    copy of that module (returns True), any other mismatch is a ``ValueError``. ``source``'s aggregate
    posterior prior is not carried over: it describes the old encoder, which training will change."""
    weights = {k: v for k, v in source.state_dict().items() if k != "latent_prior"}
    missing, unexpected = model.load_state_dict(weights, strict=False)
    gained = model.decoder.focus is not None and source.decoder.focus is None
    unfit = [k for k in missing if not (gained and k.startswith("decoder.focus."))] + list(unexpected)
    if unfit:
        raise ValueError(f"the checkpoint's weights do not fit this network ({', '.join(unfit[:4])}"
                         f"{' ...' if len(unfit) > 4 else ''})")
    return bool(missing)


def with_focus_attention(model: GraphVAE) -> GraphVAE:
    """A copy of ``model`` with the decoder's focus attention added (its outputs start at zero: same predictions)."""
    config = GraphVAEConfig.from_dict({**model.config.to_dict(), "focus_attention": True, "latent_prior_rows": 0})
    grown = GraphVAE(config, model.vocabulary, model.training_record)
    load_weights(grown, model)
    return grown


def _featurized(smiles: list[str], vocabulary: AtomVocabulary, progress: bool) -> GraphDataset:
    """The graphs of ``smiles`` over ``vocabulary``, reusing the cache ``build_model`` wrote (derived vocabulary) when it matches."""
    derived = cache_dir("graphs") / f"{cache_key(smiles, None)}.pt"
    if derived.is_file():
        dataset = GraphDataset.load(derived)
        if dataset.vocabulary.to_dict()["types"] == vocabulary.to_dict()["types"]:
            return dataset
    return featurize(smiles, vocabulary, progress=progress)


def _batch(model: GraphVAE, dataset: GraphDataset, index: np.ndarray):
    graphs = [dataset.graph(int(i)) for i in index]
    data = Batch.from_data_list([dataset[int(i)] for i in index])
    atoms, bonds, lengths = to_sequences(graphs, model.config.max_atoms)
    return data, atoms, bonds, lengths


def elbo_terms(model: GraphVAE, data, atoms, bonds, lengths, *, sample: bool = True, generator=None):
    """Per-molecule reconstruction NLL (atoms + bonds) and per-dimension KL (batch mean)."""
    mu, logvar = model.encoder(data)
    z = mu + torch.randn(mu.shape, generator=generator) * (0.5 * logvar).exp() if sample else mu
    atom_nll, bond_nll = model.decoder(z, atoms, bonds, lengths)
    kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).mean(0)
    return atom_nll, bond_nll, kl, mu


@torch.no_grad()
def validate(model: GraphVAE, dataset: GraphDataset, batch_size: int = 256) -> dict[str, float]:
    model.eval()
    totals = {"recon": 0.0, "kl": 0.0}
    count = 0
    for start in range(0, len(dataset), batch_size):
        index = np.arange(start, min(start + batch_size, len(dataset)))
        atom_nll, bond_nll, kl, _ = elbo_terms(model, *_batch(model, dataset, index), sample=False)
        totals["recon"] += float((atom_nll + bond_nll).sum())
        totals["kl"] += float(kl.sum()) * len(index)
        count += len(index)
    model.train()
    return {k: v / max(count, 1) for k, v in totals.items()}


def train(model: GraphVAE, train_smiles: Sequence[str], valid_smiles: Sequence[str], config: TrainConfig, out: str | Path,
          *, data_name: str = "custom", resume: str | Path | None = None, progress: bool = True, command: str | None = None,
          train_labels: np.ndarray | None = None, preparation: dict | None = None, fine_tune: bool | None = None) -> dict:
    """Train ``model`` in place; returns the model card of the best checkpoint (lowest validation recon + kl_weight * KL).
    ``preparation``: what reading a user's file did (rows left out, salts read as parents), for the card."""
    if not len(train_smiles) or not len(valid_smiles):   # the loop would wait for a batch forever
        raise ValueError(f"training needs molecules to learn from and to validate on; got {len(train_smiles)} and "
                         f"{len(valid_smiles)}")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    keep_freed_memory()
    torch.manual_seed(config.seed)
    noise = torch.Generator().manual_seed(config.seed)
    model.clear_latent_prior()  # it describes the encoder before this training
    train_set = _featurized(list(train_smiles), model.vocabulary, progress)
    valid_set = featurize(list(valid_smiles), model.vocabulary, progress=False)
    train_labels = labels_of_featurized(train_labels, train_set, len(train_smiles))
    usable = np.flatnonzero(train_set.num_atoms().numpy() <= model.config.max_atoms)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    step, elapsed, best, epoch, position = 0, 0.0, float("inf"), 0, 0
    lineage: dict = {}
    clock_start = (0.0, 0.0)
    state: dict = {}
    grown = False
    if resume is not None:
        resumed = GraphVAE.load(resume)
        grown = load_weights(model, resumed)   # new parameters: a fresh optimizer and schedule
        state, lineage = resume_run(resume, resumed.training_record, optimizer, data=data_name, train_smiles=train_smiles,
                                    generators=[noise], fresh=grown, fine_tune=fine_tune, out=out)
        clock_start = resumed_clock(state, card_corrected(resume, resumed.training_record))
        if state:
            step, elapsed, best, epoch, position = state["step"], state["elapsed"], state["best"], state["epoch"], state["position"]
            if (resumed.training_record.get("train_config") or {}).get("kl_weight", TrainConfig.kl_weight) != \
                    config.kl_weight:
                best = float("inf")   # scored at another KL weight: no bar for checkpoints ranked at this one
    log, writer = open_log(out, resume if state else None, ["step", "epoch", "minutes", "lr", "beta", "train_recon", "train_kl", "valid_recon", "valid_kl"])
    started = time.perf_counter() - elapsed
    parent = lineage.get("started_from")
    if parent and not state and not grown:
        # trained weights at step 0: the bar the run must beat, as ranked (not a network grown: its new heads are
        # untrained, and no model started from scored so)
        start = validate(model, valid_set)
        writer.writerow([0, 0, 0.0, "", "", "", "", f"{start['recon']:.4f}", f"{start['kl']:.4f}"])
        lineage["started_from"] = scored_at_start(parent, start["recon"] + config.kl_weight * start["kl"], **start)
    elif parent and state and "valid_recon_at_start" in parent:   # weighed at this session's KL weight
        lineage["started_from"] = {**parent, "valid_score_at_start": round(
            parent["valid_recon_at_start"] + config.kl_weight * parent["valid_kl_at_start"], 4)}
    budget = config.max_minutes * 60 if config.max_minutes else float("inf")
    bar = progress_bar(total=config.max_steps, initial=step, desc="training graph VAE", unit="step", disable=not progress)
    running = {"recon": 0.0, "kl": 0.0, "n": 0}
    card: dict = {}
    model.train()
    stop = interrupted = False
    with CtrlC() as ctrl_c:   # Ctrl-C or a kill ends the step under way, then validates and checkpoints
        while not stop:
            order = usable[np.random.default_rng([config.seed, epoch]).permutation(len(usable))]
            batches = [order[i:i + config.batch_size] for i in range(0, len(order), config.batch_size)]
            for index in batches[position:]:
                position += 1
                lr = learning_rate(step, config)  # the SMILES models' warm-up + cosine, same fields
                for group in optimizer.param_groups:
                    group["lr"] = lr
                # no warm-up (a fine-tune keeps its parent's weight): the full weight from the first step, which
                # step / 1 gave as 0 (a review read beta 0.0 at step 1 of a fine-tune said to start at 0.1)
                beta = config.kl_weight * (min(1.0, step / config.kl_warmup_steps) if config.kl_warmup_steps > 0 else 1.0)
                atom_nll, bond_nll, kl, mu = elbo_terms(model, *_batch(model, train_set, index), generator=noise)
                recon = (atom_nll + bond_nll).mean()
                loss = recon + beta * kl.clamp(min=config.free_bits).sum()
                if model.property_head is not None and train_labels is not None:
                    target = torch.from_numpy(np.asarray(train_labels[index])).float()
                    target = (target - torch.tensor(model.config.property_mean)) / torch.tensor(model.config.property_std)
                    known = ~torch.isnan(target)  # a property RDKit could not compute is left out, not learnt as 0
                    if known.any():
                        error = (model.property_head(mu) - target.nan_to_num()) ** 2
                        loss = loss + config.property_weight * error[known].mean()
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
                optimizer.step()
                step += 1
                running["recon"] += recon.item() * len(index)
                running["kl"] += kl.sum().item() * len(index)
                running["n"] += len(index)
                bar.update(1)
                elapsed = time.perf_counter() - started
                interrupted = ctrl_c.pressed
                stop = interrupted or step >= config.max_steps or elapsed >= budget
                if step % config.eval_every == 0 or stop:
                    valid = validate(model, valid_set)
                    train_recon, train_kl = running["recon"] / running["n"], running["kl"] / running["n"]
                    running = {"recon": 0.0, "kl": 0.0, "n": 0}
                    writer.writerow([step, epoch, round(elapsed / 60, 2), f"{lr:.2e}", round(beta, 4), f"{train_recon:.4f}",
                                     f"{train_kl:.4f}", f"{valid['recon']:.4f}", f"{valid['kl']:.4f}"])
                    log.flush()
                    bar.set_postfix(recon=f"{valid['recon']:.2f}", kl=f"{valid['kl']:.2f}")
                    model.training_record = run_record(
                        data=data_name, train_smiles=train_smiles, step=step, epochs=epoch + position / max(len(batches), 1),
                        elapsed=elapsed, clock_start=clock_start, config=config, command=command, molecules=len(usable), valid_molecules=len(valid_set),
                        valid_recon_nll=round(valid["recon"], 4), valid_kl=round(valid["kl"], 4),
                        **({"data_preparation": preparation} if preparation else {}), **lineage)
                    # the best checkpoint minimises the objective trained at its final KL weight (beta < 1 keeps more of
                    # the molecule in z; ranking by the beta = 1 ELBO would undo that and keep an early step)
                    score = valid["recon"] + config.kl_weight * valid["kl"]
                    best, card = checkpoint(model, out, optimizer, score, best, card, step=step, elapsed=elapsed,
                                            epoch=epoch, position=position, random=random_state([noise]))
                if stop:
                    break
            else:
                epoch, position = epoch + 1, 0
    return end_training(bar, log, ctrl_c, interrupted, card, out=out, step=step, max_steps=config.max_steps,
                        resume=resume, command=command)
