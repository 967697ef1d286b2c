"""Bookkeeping every family's training loop shares: the record of a run, model cards, resume
files, the CSV log and the learning-rate schedule.

A run writes, beside ``OUT.pt`` (the best checkpoint): ``OUT.json`` (its model card), ``OUT.csv``
(the log), and at every evaluation ``OUT.last.pt`` + ``OUT.state.pt`` (latest weights, optimizer,
counters), so that ``resume=OUT.last.pt`` continues a killed run. Only the best checkpoint is
meant for git.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import platform
import shlex
import signal
import sys
import threading
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from molgen.data.files import remove_stale_partials, replacing, write_json
from molgen.data.moses import sha256_of


def data_fingerprint(smiles: Sequence[str]) -> str:
    """A short hash of the training molecules, in order (recorded in every card)."""
    digest = hashlib.sha256()
    for s in smiles:
        digest.update(s.encode())
        digest.update(b"\n")
    return digest.hexdigest()[:16]


def labels_of_featurized(labels: np.ndarray | None, dataset, n_inputs: int) -> np.ndarray | None:
    """The rows of ``labels`` (one per input molecule) for the molecules ``dataset`` kept: featurizing
    drops the inputs it cannot turn into graphs (each listed in ``dataset.failures``), and every
    later label would otherwise belong to the wrong molecule."""
    if labels is None:
        return None
    if len(labels) != n_inputs:
        raise ValueError(f"{len(labels)} label rows for {n_inputs} molecules")
    return labels[dataset.source_rows(n_inputs)]


def normalised_conditions(model, labels: np.ndarray | None, rows: np.ndarray, dropout: float = 0.0,
                          generator: torch.Generator | None = None, drop_all: float = 0.0) -> torch.Tensor | None:
    """A conditional network's property input for ``rows`` of ``labels`` (standardised by the
    model's ``condition_mean`` and ``condition_std``). Each value is hidden (NaN) with probability
    ``dropout`` and a row's values all together with probability ``drop_all``, so that one model
    learns to sample with any subset of targets, none included. A label that could not be
    computed (NaN) stays hidden: it is absent, not zero."""
    if labels is None or not model.config.conditions:
        return None
    mean = torch.tensor(model.config.condition_mean, dtype=torch.float32)
    std = torch.tensor(model.config.condition_std, dtype=torch.float32)
    values = (torch.from_numpy(np.asarray(labels[rows])).float() - mean) / std
    if dropout > 0 or drop_all > 0:
        hidden = torch.rand(values.shape, generator=generator) < dropout
        hidden |= torch.rand(len(values), 1, generator=generator) < drop_all
        values = values.masked_fill(hidden, float("nan"))
    return values


def learning_rate(step: int, config) -> float:
    """Linear warm-up over ``config.warmup_steps``, then cosine decay from ``lr`` to ``min_lr`` at ``max_steps``."""
    if step < config.warmup_steps:
        return config.lr * (step + 1) / config.warmup_steps
    progress = min(1.0, (step - config.warmup_steps) / max(1, config.max_steps - config.warmup_steps))
    return config.min_lr + 0.5 * (config.lr - config.min_lr) * (1 + math.cos(math.pi * progress))


def run_record(*, data: str, train_smiles: Sequence[str], step: int, epochs: float, elapsed: float, config,
               command: str | None, clock_start: tuple[float, float] = (0.0, 0.0), **measured) -> dict:
    """What a checkpoint's card says about its training: data, budget, machine, the exact command.

    ``clock_start``: (seconds, CPU-hours) the run had when this invocation resumed it (:func:`resumed_clock`); the
    CPU-hours count each invocation at its own thread count (57 minutes on 2 threads, then 55 on 1: 2.8, not 1.9),
    kept to 4 decimals (a second and a third): a resume adds to the card's figure, and at 2 decimals each short
    session lost up to 18 s."""
    threads = torch.get_num_threads()
    cpu_hours = clock_start[1] + (elapsed - clock_start[0]) / 3600 * threads
    return {"data": data, "data_fingerprint": data_fingerprint(train_smiles), "steps": step, "epochs": round(epochs, 3),
            "wall_minutes": round(elapsed / 60, 2), "threads": threads, "cpu_hours": round(cpu_hours, 4),
            "device": "cpu", "machine": platform.processor() or platform.machine(), **measured,
            "train_config": config.to_dict(), "command": command or invoked_command(), "working_directory": os.getcwd()}


def invoked_command() -> str:
    """The command line as a chemist would type it again: ``molgen train ...`` however it was started (``python -m
    molgen.cli`` put cli.py's path first, a review found on a card); its relative paths are the card's
    ``working_directory``'s."""
    program = "molgen" if Path(sys.argv[0]).name in ("molgen", "cli.py") else sys.argv[0]
    return " ".join(shlex.quote(a) for a in [program, *sys.argv[1:]])


def resumed_clock(state: dict, record: dict) -> tuple[float, float]:
    """What :func:`run_record` takes as ``clock_start``: the seconds and CPU-hours of the run this invocation continues
    (``state``, its resume state; ``record``, the resumed checkpoint's training record); (0, 0) for a run that starts
    its own clock (a fresh run, a fine-tune, a shipped checkpoint without state)."""
    if not state:
        return 0.0, 0.0
    elapsed = float(state.get("elapsed", 0.0))
    # an older record's CPU-hours were the clock at one thread count; the best there is for what came before
    return elapsed, float(record.get("cpu_hours", elapsed / 3600 * record.get("threads", 1)))


def is_fine_tune(record: dict) -> bool:
    """Whether a training record (a card's, or a run's ``model_training``) is of a fine-tune: a model that started
    from a checkpoint trained, at any step of its lineage, on other data (a series after MOSES). A run continued
    on its own data (the shipped transformer's second session on MOSES) started from a checkpoint too, and is no
    fine-tune."""
    ancestors, parent = [], record.get("started_from")
    if isinstance(parent, list):   # a run's lineage: the checkpoints it started from, nearest first
        ancestors = [p for p in parent if isinstance(p, dict)]
    while isinstance(parent, dict):   # a card's: each one's own started_from
        ancestors.append(parent)
        parent = parent.get("started_from")
    # any of them on other data: a second fine-tune on its series (from the first) is one too
    return bool(record.get("data")) and any(a.get("data") != record.get("data") for a in ancestors)


def training_of(model) -> dict:
    """A model's training record: SmilesLM keeps it in ``training``; torch-module families in ``training_record``."""
    record = getattr(model, "training_record", None)
    if record is None:
        record = getattr(model, "training", None)
    return record if isinstance(record, dict) else {}


def read_card(checkpoint: str | Path) -> dict:
    """The model card beside ``checkpoint``; {} when there is none, or one cut short (a kill while an older molgen
    wrote it)."""
    path = Path(checkpoint).with_suffix(".json")
    try:
        return json.loads(path.read_text()) if path.is_file() else {}
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}


def _filled_in(record: dict, earlier: dict) -> dict:
    """``record`` with what ``earlier`` holds beyond it (nested records included), ``record`` winning where both do."""
    merged = {**earlier, **record}
    for key, value in record.items():
        if isinstance(value, dict) and isinstance(earlier.get(key), dict):
            merged[key] = _filled_in(value, earlier[key])
    return merged


def _same_training(card: dict, training: dict) -> bool:
    """Whether a card describes the run whose training record is ``training`` (its steps, data and command)."""
    earlier = card.get("training") or {}
    return bool(earlier) and all(earlier.get(key) == training.get(key) for key in ("steps", "data_fingerprint", "command"))


#: Training-record entries a checkpoint holds whole of itself (the latent prior it carries), never filled in from a
#: card: a re-shipped prior took the keys of the one it replaced, and a ship without one kept the old one's (reviews).
CHECKPOINT_OWN = ("latent_prior",)


def _with_hand_fields(training: dict, card: dict) -> dict:
    """``training`` with what ``card`` (of the same training) had written into its record by hand: the fields the
    checkpoint lacks (but :data:`CHECKPOINT_OWN`), and the values the card names in ``hand_corrected``."""
    earlier = card["training"]
    own = {key: value for key, value in earlier.items() if key not in CHECKPOINT_OWN}
    return {**_filled_in(training, own), **{key: earlier[key] for key in earlier.get("hand_corrected", [])
                                             if key in earlier}}


def write_card(model, checkpoint: str | Path, metrics: dict | None = None, *, keep_other_metrics: bool = False) -> dict:
    """The model card beside a checkpoint: what it is, what it learned from, how long, how good.

    ``metrics=None`` keeps the metrics an earlier card held (they are measured on shipped weights);
    ``keep_other_metrics``: ``metrics`` are written over those of an earlier card of the same training, whose
    other keys stay (a second benchmark's numbers on the same weights). A card of the same training (its steps,
    data and command) keeps what was written into its training record by hand, which the checkpoint does not
    hold (an earlier run's command, a parent's sha256), and the values it names in ``hand_corrected``.
    """
    previous = read_card(checkpoint)
    training = training_of(model)
    same = _same_training(previous, training)
    if same:
        training = _with_hand_fields(training, previous)
    if metrics is None:
        metrics = previous.get("metrics", {})
    elif keep_other_metrics and same and "samples" not in previous.get("metrics", {}):
        # (a fine-tune's report, of its own 1,000 samples, is replaced whole: its numbers beside a benchmark's mislead)
        metrics = {**previous.get("metrics", {}), **metrics}
    card = {"family": model.family}
    if hasattr(model.config, "arch"):
        card["arch"] = model.config.arch
    card.update({"parameters": model.num_parameters(), "checkpoint": Path(checkpoint).name,
                 "checkpoint_bytes": os.path.getsize(checkpoint) if Path(checkpoint).is_file() else None,
                 # loading checks it: a damaged checkpoint (a flipped byte still loads) is said
                 "checkpoint_sha256": sha256_of(Path(checkpoint)) if Path(checkpoint).is_file() else None,
                 "config": getattr(model.config, "card_dict", model.config.to_dict)(), "training": training,
                 "metrics": metrics})
    write_json(card, Path(checkpoint).with_suffix(".json"))   # atomically, as the checkpoint it describes
    return card


def write_measured_card(model, checkpoint: str | Path, metrics: dict) -> bool:
    """A quality benchmark's ``metrics`` (measured on ``metrics["n"]`` samples) written into the checkpoint's card,
    over its other metrics; refused, and said, when the card, of these weights' training, holds a measurement on
    more samples (``n``, or a fine-tune report's ``samples``): a quick check at -n 200 would otherwise replace the
    30,000-sample numbers `molgen models` shows."""
    card = read_card(checkpoint)
    held = card.get("metrics") or {}
    size = max((value for value in (held.get("n"), held.get("samples")) if isinstance(value, int)), default=0)
    if _same_training(card, training_of(model)) and size > metrics.get("n", 0):
        print(f"the card ({Path(checkpoint).with_suffix('.json')}) is not written: it holds a measurement on "
              f"{size:,} samples, more than these {metrics.get('n', 0):,}; remove its metrics to record these instead")
        return False
    write_card(model, checkpoint, metrics=metrics, keep_other_metrics=True)
    return True


def export_checkpoint(source: str | Path, destination: str | Path, *, half: bool = True, prepare=None,
                      **config_changes) -> dict:
    """Copy a trained checkpoint of any family for shipping (half precision by default) with its card.

    ``config_changes`` set inference-time config fields (e.g. a diffusion model's ``default_steps``);
    ``prepare(model)``, if given, then changes the loaded model itself (e.g. a graph VAE's latent prior).
    The card keeps the training record and notes the export; metrics come afterwards from the
    family's quality benchmark, because they must be measured on the shipped weights.
    """
    from molgen.models.base import load

    model = load(str(source))
    for name, value in config_changes.items():
        if not hasattr(model.config, name):
            raise ValueError(f"a {model.family} config has no field {name!r}")
        setattr(model.config, name, value)
    if prepare is not None:
        prepare(model)
    record = training_of(model)
    record.update(card_corrected(source, record))   # what was written into its card by hand goes with it
    if "exported_from" not in record:   # re-exporting a shipped checkpoint keeps its origin
        # its path and sha256 too: a name alone (runs/graph-vae.pt) is ambiguous once a run goes on under it
        record.update({"exported_from": Path(source).name, "exported_from_path": str(Path(source).resolve()),
                       "exported_from_sha256": sha256_of(Path(source))})
    record["weights"] = "float16" if half else "float32"
    # the card's metrics are the shipped weights' (measured by the family's benchmark); the source's stay beside
    # them, named so, rather than vanish (a trained model shipped lost its fine-tune report without a word)
    measured = read_card(source).get("metrics")
    if measured:
        record["metrics_before_export"] = {"of": Path(source).name, **measured}
    else:
        record.pop("metrics_before_export", None)
    model.save(destination, half=half)
    return write_card(model, Path(destination), metrics={})


#: What a training run writes beside its checkpoint NAME.pt: card, log, resume checkpoint and state (the command
#: refuses an --out whose files would land on its --data; each is written through a temporary name of its own).
TRAINING_FILES = (".json", ".csv", ".last.pt", ".state.pt")


def others_files_beside(out: Path) -> list[Path]:
    """The files a new run under ``out`` would write over that no training run wrote: a card NAME.json that is not a
    model card, a log NAME.csv that is not a training log (a review's `--out hits.pt` replaced the export hits.csv and
    the notes hits.json without a word). A card that does not parse beside an earlier run's checkpoint or resume
    files is that run's, cut short (an older molgen wrote cards in place); an empty file loses nothing and is not
    listed."""
    import json

    beside_a_run = any(out.with_suffix(suffix).is_file() for suffix in (".pt", ".last.pt", ".state.pt"))

    def is_ours(path: Path) -> bool:
        try:   # utf-8-sig: a log or card saved again by a spreadsheet starts with a byte-order mark
            if path.suffix == ".json":
                text = path.read_text(encoding="utf-8-sig")
                try:
                    card = json.loads(text) if text.strip() else {}
                except ValueError:
                    return beside_a_run
                return isinstance(card, dict) and (not card or "training" in card or "checkpoint_sha256" in card)
            with open(path, encoding="utf-8-sig") as handle:   # the first line written only: an export may be large
                first = next((line for line in handle if line.strip()), "")
            return not first or first.split(",")[0].strip().strip('"') == "step"
        except (OSError, UnicodeDecodeError, ValueError):
            return False

    return [path for path in (out.with_suffix(".json"), out.with_suffix(".csv")) if path.is_file() and not is_ours(path)]


def remove_orphaned_partials(out: Path) -> list[Path]:
    """Remove what a killed save left beside a training's files (``NAME.state.pt.1f2e3d4c.partial``, as large as a
    checkpoint; a SIGKILL or a lost machine runs no cleanup), those older than a writer still at work would leave
    them. Returns the files removed."""
    return [removed for suffix in (".pt", *TRAINING_FILES) for removed in remove_stale_partials(out.with_suffix(suffix))]


def state_path(checkpoint: str | Path) -> Path:
    return Path(str(checkpoint).removesuffix(".last.pt").removesuffix(".pt") + ".state.pt")


def earlier_runs(record: dict) -> list[dict]:
    """What a resumed run continues, oldest first: each earlier invocation's last step, schedule length, clock and
    command.

    ``record`` is the training record of the checkpoint resumed from. A card then names every command
    that went into its weights, not only the last one (whose flags may differ, e.g. a new --lr), and the length of
    each schedule (a larger --max-steps lays the learning rate's decay out again: the card showed the last alone)."""
    if not record.get("command"):
        return []
    return [*record.get("earlier_runs", []),
            {"until_step": record.get("steps"), "max_steps": (record.get("train_config") or {}).get("max_steps"),
             "wall_minutes": record.get("wall_minutes"), "threads": record.get("threads"),
             "cpu_hours": record.get("cpu_hours"), "command": record["command"]}]


def read_resume_state(resume: str | Path, steps: int | None = None) -> dict:
    """The resume state beside ``resume`` (optimizer, counters, random generators), {} when there is none (a shipped
    checkpoint: a fresh optimizer and schedule). ``steps``: the step of ``resume``'s own weights (its training
    record's); a state of another step is refused. RUN.pt (the best checkpoint) and RUN.last.pt share RUN.state.pt,
    the latest step's: resuming the best with it paired earlier weights with a later schedule (a training review)."""
    from molgen.models.base import CheckpointError

    path = state_path(resume)
    if not path.is_file():
        return {}
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:   # torch's unpickling errors share no base class worth naming
        raise CheckpointError(f"{path} (the resume state beside {resume}) is not readable ({type(error).__name__}): "
                              f"truncated or from another run; move it away to resume {resume} with a fresh optimizer "
                              "and schedule") from None
    if steps is not None and state.get("step") not in (None, steps):
        last = Path(resume).with_name(path.name.removesuffix(".state.pt") + ".last.pt")
        if last == Path(resume):   # the two files written apart (a kill between them): the state is not of these weights
            raise CheckpointError(f"{resume} holds the weights of step {steps:,}, but its resume state {path} is of step "
                                  f"{state['step']:,} (the two were not written together, a kill between them): move "
                                  f"{path} away to resume {resume} with a fresh optimizer and schedule")
        raise CheckpointError(f"{resume} holds the weights of step {steps:,}, but the resume state beside it ({path}) is "
                              f"of step {state['step']:,}: continue the run from its latest step with --resume {last}; "
                              f"to train on from step {steps:,} with a fresh optimizer and schedule, copy {resume} to a "
                              "name of its own and resume that")
    recorded = state.pop("last_sha256", None)   # states written before it was recorded are taken as they are
    if recorded and path.name.removesuffix(".state.pt") + ".last.pt" == Path(resume).name \
            and sha256_of(Path(resume)) != recorded:   # RUN.last.pt has no card: nothing else would notice a flipped byte
        best = Path(resume).with_name(path.name.removesuffix(".state.pt") + ".pt")
        raise CheckpointError(f"{resume} is not the file its run saved (its sha256 differs from the one the resume state "
                              f"{path.name} records): corrupted or changed since; {best}, the best checkpoint, is checked "
                              "against its card: copy it to a name of its own and resume that, with a fresh optimizer "
                              "and schedule")
    return state


def load_resume_state(resume: str | Path, optimizer: torch.optim.Optimizer, steps: int | None = None,
                      generators: Sequence[torch.Generator] = ()) -> dict:
    """Restore the optimizer from ``resume``'s ``.state.pt`` (:func:`read_resume_state`) and return its counters
    ({} when there is none). The random state a run saved (torch's and each of ``generators``, in order) is put back
    too, so an interrupted run resumed draws what it would have drawn uninterrupted."""
    from molgen.models.base import CheckpointError

    state = read_resume_state(resume, steps)
    if not state:
        return state
    try:
        optimizer.load_state_dict(state.pop("optimizer"))
    except Exception as error:   # torch's shape errors share no base class worth naming
        raise CheckpointError(f"{state_path(resume)} (the resume state beside {resume}) does not fit this model "
                              f"({type(error).__name__}): from another run; move it away to resume {resume} with a "
                              "fresh optimizer and schedule") from None
    saved = state.pop("random", None)
    if saved is not None:   # resume states written before random states were saved restart them from the seed
        torch.set_rng_state(saved["torch"])
        for generator, generator_state in zip(generators, saved["generators"]):
            generator.set_state(generator_state)
    return state


def random_state(generators: Sequence[torch.Generator] = ()) -> dict:
    """torch's random state and each of a run's own ``generators``', for its resume state."""
    return {"torch": torch.get_rng_state(), "generators": [generator.get_state() for generator in generators]}


def card_corrected(checkpoint: str | Path, record: dict) -> dict:
    """``record`` (``checkpoint``'s training record) with what the card beside it, of the same training, wrote
    into it by hand (:func:`_with_hand_fields`); as it is otherwise."""
    # RUN.last.pt has no card of its own: RUN.pt's describes it when the latest step was also the best
    text = str(checkpoint)
    card = read_card(checkpoint) or (read_card(text.removesuffix(".last.pt") + ".pt") if text.endswith(".last.pt") else {})
    return _with_hand_fields(record, card) if _same_training(card, record) else record


def parent_record(source: str | Path, record: dict) -> dict:
    """What a card says of the checkpoint ``source`` a model started from (``record``: its training record): its
    path and sha256 (a path alone is ambiguous once a continued run is shipped over it), data and budget, and its
    own parent, so that the lineage and every molecule it learned stay known."""
    record = card_corrected(source, record)   # its card's corrections (the shipped LSTM's CPU-hours) over its record
    parent = {"checkpoint": str(Path(source).resolve()), "sha256": sha256_of(Path(source)),
              **{k: record[k] for k in ("data", "data_fingerprint", "steps", "cpu_hours", "tokens_seen", "command",
                                         "earlier_runs", "earlier_runs_note", "started_from") if k in record}}
    if column := (record.get("data_preparation") or {}).get("smiles_column"):   # to read its data again
        parent["data_preparation"] = {"smiles_column": column}
    return parent


def scored_at_start(parent: dict, score: float, **parts: float) -> dict:
    """``parent`` (:func:`parent_record`) with the score its weights, untouched, get on this run's validation
    molecules: the bar a fine-tune must beat, logged as step 0 (a review could not tell whether four fine-tunes
    that kept their first checkpoint had learned anything); ``parts``: the terms the score weighs (the graph VAE's
    reconstruction and KL), kept as ``valid_<name>_at_start`` to weigh again under a changed weight."""
    return {**parent, "valid_score_at_start": round(score, 4),
            **{f"valid_{name}_at_start": round(value, 4) for name, value in parts.items()}}


#: What :func:`scored_at_start` adds to a parent's record.
SCORED_AT_START = ("valid_score_at_start", "valid_recon_at_start", "valid_kl_at_start")


def on_other_data(record: dict, data: str, train_smiles: Sequence[str]) -> bool:
    """Whether a checkpoint (``record``: its training record) continued on ``data`` (``train_smiles``) learns from
    other data than it did: a fine-tune. Another name and other molecules: a file moved is the same data, and so is
    another subset of the same data (then only the validation score is not comparable, :func:`resume_run`). The
    Python API's default; the command decides by the name --data gives and says so (``resume_run(fine_tune=)``)."""
    return (bool(record.get("data")) and record["data"] != data
            and record.get("data_fingerprint") != data_fingerprint(train_smiles))


def resume_run(resume: str | Path, record: dict, optimizer: torch.optim.Optimizer, *, data: str,
               train_smiles: Sequence[str], generators: Sequence[torch.Generator] = (),
               fresh: bool = False, fine_tune: bool | None = None, out: str | Path | None = None) -> tuple[dict, dict]:
    """What a run resumed from ``resume`` (``record``: that checkpoint's training record) takes from it: (its resume
    state, the optimizer restored: counters and random state; the lineage for the card: ``earlier_runs`` and
    ``started_from``).

    The run continues where the checkpoint's run stood when it has a resume state and learns the same data. It
    starts its own schedule, with a fresh optimizer and counters, and records the checkpoint as ``started_from``
    (its sha256, data and steps) when ``fresh`` (a network grown), when there is no state (a shipped checkpoint),
    and on other data (``fine_tune``, else :func:`on_other_data`: a fine-tune, whose steps, epochs and clock are its
    own; the parent's molecules are not new from it). A run on another subset of its data continues, and its best is
    judged afresh: its validation molecules, and so its scores, are not the run's; so does one written under another
    name (``out``), whose best must be written there (a review: a resume into another run's --out that beat no best
    reported that run's checkpoint as its own)."""
    other = on_other_data(record, data, train_smiles) if fine_tune is None else fine_tune
    state = {} if fresh or other else load_resume_state(resume, optimizer, record.get("steps"), generators)
    record = card_corrected(resume, record)   # what its card corrected by hand (the shipped LSTM's CPU-hours)
    # a run continued lists the invocations before it; a run started from a checkpoint has its own clock and steps,
    # the checkpoint's whole history under started_from (a fine-tune listed its parent's sessions as its own)
    lineage: dict = {"earlier_runs": earlier_runs(record)} if state else {}
    parent = record.get("started_from") if state else parent_record(resume, record)
    if parent:
        lineage["started_from"] = parent
    if state and (record.get("data_fingerprint") != data_fingerprint(train_smiles)
                  or (out is not None and _run_name(out) != _run_name(resume))):
        state["best"] = float("inf")   # a score on other validation molecules is no bar (one was never beaten)
        if record.get("data_fingerprint") != data_fingerprint(train_smiles) and "started_from" in lineage:
            # nor is the starting weights' score, measured on the first session's validation molecules
            lineage["started_from"] = {k: v for k, v in lineage["started_from"].items() if k not in SCORED_AT_START}
    return state, lineage


def save_progress(model, out: Path, optimizer: torch.optim.Optimizer, is_best: bool, **counters) -> dict | None:
    """At an evaluation: the best checkpoint and its card when ``is_best``; always the resume files."""
    card = None
    if is_best:
        model.save(out)
        card = write_card(model, out, metrics={})   # metrics measured on earlier weights describe them, not these
    last = out.with_suffix(".last.pt")
    model.save(last)
    state = out.with_suffix(".state.pt")   # written whole or not at all, as a checkpoint is (a kill mid-write)
    with replacing(state) as partial:   # counters: step, clock, random state; the weights' checksum, checked on resume
        torch.save({"optimizer": optimizer.state_dict(), "last_sha256": sha256_of(last), **counters}, partial)
    return card


def checkpoint(model, out: Path, optimizer: torch.optim.Optimizer, value: float, best: float, card: dict,
               **counters) -> tuple[float, dict]:
    """At an evaluation scoring ``value`` (lower is better): :func:`save_progress`, the best checkpoint written when
    ``value`` beats ``best``. Returns the best value so far and the card of the best checkpoint."""
    best_now = min(best, value)
    return best_now, save_progress(model, out, optimizer, value < best, best=best_now, **counters) or card


def open_log(out: Path, resume, header: list[str]):
    """The CSV log beside ``out``: appended to when resuming, else started with ``header``."""
    path = out.with_suffix(".csv")
    # an empty log (a new run under the name, killed before it wrote a row) starts with its header again
    new = not (resume and path.is_file() and path.stat().st_size)
    handle = open(path, "w" if new else "a", newline="")
    writer = csv.writer(handle)
    if new:
        writer.writerow(header)
    return handle, writer


def end_training(bar, log, ctrl_c: "CtrlC", interrupted: bool, card: dict, *, out: Path, step: int,
                 max_steps: int, resume: str | Path | None, command: str | None = None) -> dict:
    """Close a training's progress bar and log, record how the run ended in its best checkpoint's card
    (:func:`record_run_end`), then return the card of the best checkpoint this session wrote ({} when none) or,
    when a signal stopped it (its step checkpointed already), raise what :meth:`CtrlC.stop` says. The best is the
    card this session wrote, else the earlier best of the run resumed when ``out`` is that run's own (RUN.pt beside
    a ``resume`` RUN.last.pt): a card that merely sits at ``out`` may be another run's. ``command``: this
    session's (as the card's), recorded with the run's end where its best is an earlier session's."""
    bar.close()
    log.close()
    how = "finished" if step >= max_steps else \
        ("killed" if ctrl_c.received == signal.SIGTERM else "interrupted") if interrupted else "time limit"
    if card:   # this session's best
        card = record_run_end(out, how, step, max_steps) or card
    elif resume is not None and _run_name(resume) == _run_name(out):   # the earlier best of the run resumed
        record_run_end(out, how, step, max_steps, session_command=command or invoked_command())
    if interrupted:
        raise ctrl_c.stop()
    return card


def _run_name(path: str | Path) -> Path:
    """A run's best checkpoint, which its resume files are named after (RUN.last.pt -> RUN.pt)."""
    path = Path(path).resolve()
    return path.with_name(path.name.removesuffix(".last.pt").removesuffix(".pt") + ".pt")


#: How a run ended, as its card's ``run_end`` says it ("state"): a card without one is of a run still training, or
#: killed without a word (SIGKILL, a lost machine).
RUN_ENDS = {"finished": "trained to the end of its schedule",
            "time limit": "stopped by --max-minutes before the end of its schedule",
            "interrupted": "interrupted (Ctrl-C) before the end of its schedule",
            "killed": "stopped by a kill (SIGTERM) before the end of its schedule"}


def record_run_end(out: Path, how: str, step: int, max_steps: int, session_command: str | None = None) -> dict | None:
    """Write into the card of the run's best checkpoint (beside ``out``) how the run ended (``how``, a key of
    :data:`RUN_ENDS`) at which step of its schedule, and what resumes it: a review's interrupted run left a card that
    read as a finished one, which `train ship` then shipped. ``session_command``: the command of the session that
    ended the run, where its best is of an earlier one (the card's own command is the best's: a review found the
    last session named nowhere). Returns the card written; None where ``out`` has none (no evaluation beat an
    earlier best under another name)."""
    card = read_card(out)
    if not card.get("training"):
        return None
    end = {"state": how, "said": RUN_ENDS[how], "at_step": step, "max_steps": max_steps}
    if session_command:
        end["ended_by"] = session_command
    if how != "finished":   # found from any folder, as the card's data is
        end["resume_with"] = str(Path(out).resolve().with_suffix(".last.pt"))
    card["training"]["run_end"] = end
    write_json(card, Path(out).with_suffix(".json"))
    return card


class Terminated(KeyboardInterrupt):
    """Training stopped by a kill (SIGTERM) rather than Ctrl-C: the command, once it has checkpointed, dies of
    the signal, as ``molgen generate`` does (a shell reads 143; a parent process, killed by SIGTERM)."""


class CtrlC:
    """Ctrl-C, or a kill (SIGTERM, what ``kill`` and a job scheduler send), as a flag a training loop reads between
    steps (``pressed``), so the step under way finishes, is validated and checkpointed, not cut through mid-update
    or lost since the last evaluation; a second signal stops at once, as usual. Only the main thread can take
    signals: elsewhere the flag stays unset and Ctrl-C raises as before. Used as a context manager (the handlers
    are put back on leaving); :meth:`stop` is the exception to end training with."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.pressed = False
        self.received: int | None = None
        self._previous: dict = {}

    def __enter__(self) -> "CtrlC":
        if threading.current_thread() is threading.main_thread():
            self._previous = {number: signal.signal(number, self._press) for number in self.SIGNALS}
        return self

    def __exit__(self, *exc) -> None:
        for number, previous in self._previous.items():
            signal.signal(number, previous)
        self._previous = {}

    def _press(self, signum, frame) -> None:
        self.pressed, self.received = True, signum
        signal.signal(signum, self._previous[signum])   # a second one acts as it did before (Ctrl-C raises)

    def stop(self) -> KeyboardInterrupt:
        """What ends an interrupted training: :class:`Terminated` after a kill, else a KeyboardInterrupt."""
        return Terminated() if self.received == signal.SIGTERM else KeyboardInterrupt()
