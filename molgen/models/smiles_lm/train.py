"""Training the SMILES language models: bucketed batches, AdamW, warmup + cosine, clipping,
validation NLL, best-checkpoint saving, a CSV log, and resuming after any interruption.

A run writes ``OUT.pt`` (the best model by validation NLL, with its model card ``OUT.json``)
and, at every evaluation, ``OUT.last.pt`` + ``OUT.state.pt`` (latest weights, optimizer,
step, clock) so that ``--resume OUT.last.pt`` continues where a killed run stopped. Only the
best checkpoint is meant for git; the optimizer state stays out of it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from molgen.data.tokenizer import SmilesVocabulary
from molgen.models.memory import keep_freed_memory
from molgen.models.smiles_lm.config import TrainConfig
from molgen.models.smiles_lm.model import SmilesLM
from molgen.models.smiles_lm.sample import require_bf16
from molgen.models.training import (CtrlC, card_corrected, checkpoint, data_fingerprint, end_training, learning_rate,
                                    normalised_conditions, open_log, random_state, resume_run, resumed_clock, run_record,
                                    scored_at_start, write_card)
from molgen.progress import progress_bar

__all__ = ["data_fingerprint", "learning_rate", "train", "write_card"]


@dataclass
class TokenizedSet:
    """SMILES as one flat array of token ids plus offsets: compact for millions of molecules."""

    flat: np.ndarray      # uint8 token ids (vocabularies stay far below 256)
    offsets: np.ndarray   # int64, len n+1
    smiles: list[str]

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def batch(self, indices: np.ndarray, pad_id: int) -> torch.Tensor:
        rows = [self.flat[self.offsets[i]:self.offsets[i + 1]] for i in indices]
        out = np.full((len(rows), max(len(r) for r in rows)), pad_id, dtype=np.int64)
        for j, row in enumerate(rows):
            out[j, :len(row)] = row
        return torch.from_numpy(out)


def tokenize_set(smiles: Sequence[str], vocabulary: SmilesVocabulary, max_len: int) -> TokenizedSet:
    """Encode every SMILES (with <bos>/<eos>); one longer than ``max_len`` or with an unknown token is an error naming it."""
    if len(vocabulary) > 255:
        raise ValueError("vocabulary too large for the uint8 token store")
    encoded = []
    for line, s in enumerate(smiles, start=1):
        ids = vocabulary.encode(s)
        if len(ids) > max_len:
            raise ValueError(f"molecule {line} ({s!r}) has {len(ids)} tokens, more than max_len {max_len}")
        encoded.append(np.asarray(ids, dtype=np.uint8))
    offsets = np.concatenate([[0], np.cumsum([len(e) for e in encoded])]).astype(np.int64)
    return TokenizedSet(np.concatenate(encoded) if encoded else np.zeros(0, np.uint8), offsets, list(smiles))


def bucketed_batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator, pool: int = 64) -> list[np.ndarray]:
    """Batches of similar length (less padding): shuffle, sort within pools of ``pool`` batches, shuffle batches."""
    order = rng.permutation(len(lengths))
    batches = []
    span = batch_size * pool
    for start in range(0, len(order), span):
        chunk = order[start:start + span]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches.extend(chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    return batches


def _loss(model: SmilesLM, tokens: torch.Tensor, conditions: torch.Tensor | None = None) -> tuple[torch.Tensor, int]:
    inputs, targets = tokens[:, :-1], tokens[:, 1:]
    logits, _ = model.network(inputs, None, conditions)
    loss = torch.nn.functional.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), targets.reshape(-1),
                                             ignore_index=model.vocabulary.pad_id, reduction="sum")
    count = int((targets != model.vocabulary.pad_id).sum())
    return loss, count


@torch.no_grad()
def validation_nll(model: SmilesLM, data: TokenizedSet, batch_size: int = 512, labels: np.ndarray | None = None) -> float:
    """Mean negative log-likelihood per token on ``data`` (given every property target, for a conditional model)."""
    model.network.eval()
    total, count = 0.0, 0
    order = np.argsort(data.lengths, kind="stable")
    for start in range(0, len(order), batch_size):
        rows = order[start:start + batch_size]
        loss, n = _loss(model, data.batch(rows, model.vocabulary.pad_id), normalised_conditions(model, labels, rows))
        total, count = total + loss.item(), count + n
    model.network.train()
    return total / max(count, 1)


def _randomized(smiles: str, seed: int) -> str:
    """A random spelling of ``smiles`` drawn from ``seed`` (RDKit's own generator is not the run's: seeded from the
    run's seed and step, a run resumed spells each batch as an uninterrupted one does)."""
    from rdkit import Chem

    mol = Chem.MolFromSmiles(smiles)
    return Chem.MolToRandomSmilesVect(mol, 1, randomSeed=seed)[0] if mol is not None else smiles


def train(model: SmilesLM, train_smiles: Sequence[str], valid_smiles: Sequence[str], config: TrainConfig, out: str | Path,
          *, data_name: str = "custom", resume: str | Path | None = None, progress: bool = True,
          command: str | None = None, train_labels: np.ndarray | None = None,
          valid_labels: np.ndarray | None = None, parent: dict | None = None, preparation: dict | None = None,
          fine_tune: bool | None = None) -> dict:
    """Train ``model`` in place; returns the model card of the best checkpoint.

    Args:
        model: a fresh or pretrained :class:`SmilesLM` (fine-tuning keeps its vocabulary).
        train_smiles / valid_smiles: molecules to learn from and to validate on.
        config: optimisation and budget (``max_minutes`` stops the run cleanly).
        out: path of the best checkpoint; ``.json`` (card), ``.csv`` (log), ``.last.pt`` and
            ``.state.pt`` (resume files) are written beside it.
        train_labels / valid_labels: raw property values (one column per
            ``model.config.conditions``) for a conditional model.
        resume: a ``.last.pt`` (or any checkpoint) to continue from; its ``.state.pt``, when
            present, restores the optimizer, step and clock too.
        parent: when fine-tuning or continuing a trained checkpoint, what the card should say it
            started from (its path and training record), so the lineage and total budget stay known.
        preparation: what was done to a user's file before training (its SMILES column, rows changed and
            rows left out, with why), kept in the card as ``data_preparation``.
        fine_tune: whether ``resume`` is fine-tuned (its own schedule) rather than continued; None: decided by
            :func:`~molgen.models.training.on_other_data`.

    Ctrl-C (KeyboardInterrupt) validates and checkpoints the step reached, then raises again: a short fine-tune
    interrupted before its first evaluation is resumable, not lost.
    """
    if not len(train_smiles) or not len(valid_smiles):   # the loop would wait for a batch forever
        raise ValueError(f"training needs molecules to learn from and to validate on; got {len(train_smiles)} and "
                         f"{len(valid_smiles)}")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    model.__dict__.pop("_chosen_spellings", None)   # the scaffold spellings its old weights chose (SmilesLM._spellings)
    if model.config.conditions and (train_labels is None or valid_labels is None):
        raise ValueError(f"a conditional model needs property labels for {', '.join(model.config.conditions)}")
    if config.bf16:
        require_bf16(model.config.arch)
    keep_freed_memory()
    torch.manual_seed(config.seed)
    dropout_generator = torch.Generator().manual_seed(config.seed)
    vocab = model.vocabulary
    train_set = tokenize_set(train_smiles, vocab, model.config.max_len)
    valid_set = tokenize_set(valid_smiles, vocab, model.config.max_len)
    network = model.network.train()
    optimizer = torch.optim.AdamW(network.parameters(), lr=config.lr, weight_decay=config.weight_decay, betas=(0.9, 0.98))
    step, tokens_seen, elapsed, best = 0, 0, 0.0, float("inf")
    epoch, position = 0, 0
    lineage: dict = {}
    clock_start = (0.0, 0.0)
    state: dict = {}
    if resume is not None:
        resumed = SmilesLM.load(resume)
        model.network.load_state_dict(resumed.network.state_dict())
        state, lineage = resume_run(resume, resumed.training, optimizer, data=data_name, train_smiles=train_smiles,
                                    generators=[dropout_generator], fine_tune=fine_tune, out=out)
        parent = parent or lineage.pop("started_from", None)   # a resumed fine-tune keeps its parent
        clock_start = resumed_clock(state, card_corrected(resume, resumed.training))
        if state:
            step, tokens_seen, elapsed, best = state["step"], state["tokens_seen"], state["elapsed"], state["best"]
            epoch, position = state["epoch"], state["position"]
    log, writer = open_log(out, resume if state else None, ["step", "epoch", "tokens_seen", "minutes", "lr", "train_nll", "valid_nll"])
    started = time.perf_counter() - elapsed
    if parent and not state:   # trained weights at step 0: their score here is the bar the run must beat
        start = validation_nll(model, valid_set, labels=valid_labels)
        writer.writerow([0, 0, 0, 0.0, "", "", f"{start:.4f}"])
        parent = scored_at_start(parent, start)
    card = {}
    budget = config.max_minutes * 60 if config.max_minutes else float("inf")
    bar = progress_bar(total=config.max_steps, initial=step, desc=f"training {model.config.arch}", unit="step", disable=not progress)
    running, running_count = 0.0, 0
    stop = interrupted = False
    saved_step = step   # the step the resume files hold: an interrupt right after a checkpoint writes none again
    with CtrlC() as ctrl_c:   # Ctrl-C or a kill ends the step under way, then validates and checkpoints
        while not stop:
            batches = bucketed_batches(train_set.lengths, config.batch_size, np.random.default_rng([config.seed, epoch]))
            for index in batches[position:]:
                try:
                    if config.randomize_smiles:
                        seeds = np.random.default_rng([config.seed, step]).integers(1, 2**31 - 1, size=len(index))   # 0: unseeded
                        randomized = [_randomized(train_set.smiles[i], int(draw)) for i, draw in zip(index, seeds)]
                        try:
                            tokens = tokenize_set(randomized, vocab, model.config.max_len).batch(np.arange(len(index)), vocab.pad_id)
                        except ValueError:  # a random spelling with an unseen token or too long: keep the canonical batch
                            tokens = train_set.batch(index, vocab.pad_id)
                    else:
                        tokens = train_set.batch(index, vocab.pad_id)
                    for group in optimizer.param_groups:
                        group["lr"] = learning_rate(step, config)
                    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=config.bf16):
                        conditions = normalised_conditions(model, train_labels, index, config.condition_dropout,
                                                           dropout_generator, config.condition_drop_all)
                        loss, count = _loss(model, tokens, conditions)
                    optimizer.zero_grad(set_to_none=True)
                    (loss / count).backward()
                    torch.nn.utils.clip_grad_norm_(network.parameters(), config.grad_clip)
                    optimizer.step()
                except KeyboardInterrupt:   # (off the main thread) this batch is not taken: checkpoint, then stop
                    interrupted = True
                else:
                    position += 1
                    step += 1
                    tokens_seen += count
                    running, running_count = running + loss.item(), running_count + count
                    bar.update(1)
                elapsed = time.perf_counter() - started
                interrupted = interrupted or ctrl_c.pressed
                stop = interrupted or step >= config.max_steps or elapsed >= budget
                if (step % config.eval_every == 0 or stop) and step > saved_step:
                    valid = validation_nll(model, valid_set, labels=valid_labels)
                    train_nll = running / max(running_count, 1)
                    running, running_count = 0.0, 0
                    writer.writerow([step, epoch, tokens_seen, round(elapsed / 60, 2), f"{learning_rate(step, config):.2e}",
                                     f"{train_nll:.4f}", f"{valid:.4f}"])
                    log.flush()
                    bar.set_postfix(train=f"{train_nll:.3f}", valid=f"{valid:.3f}")
                    model.training = run_record(data=data_name, train_smiles=train_smiles, step=step, command=command,
                                                epochs=epoch + position / max(len(batches), 1), elapsed=elapsed, clock_start=clock_start, config=config,
                                                molecules=len(train_set), valid_molecules=len(valid_set), tokens_seen=tokens_seen,
                                                valid_nll_per_token=round(valid, 4),
                                                **({"started_from": parent} if parent else {}),
                                                **({"data_preparation": preparation} if preparation else {}), **lineage)
                    best, card = checkpoint(model, out, optimizer, valid, best, card, step=step, tokens_seen=tokens_seen,
                                            elapsed=elapsed, epoch=epoch, position=position,
                                            random=random_state([dropout_generator]))
                    saved_step = step
                if stop:
                    break
            else:
                epoch, position = epoch + 1, 0
    return end_training(bar, log, ctrl_c, interrupted, card, out=out, step=step, max_steps=config.max_steps,
                        resume=resume, command=command)
