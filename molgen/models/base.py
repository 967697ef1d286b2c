"""What every generator family shares: conditions, samples, the checkpoint format, the registry.

A checkpoint is one ``torch.save`` dict that loads with ``weights_only=True`` (tensors,
numbers, strings, lists and dicts only): ``{"molgen": FORMAT, "family", "config",
"vocabulary", "state_dict", "training", "code_version"}``. The optimizer state, needed only
to resume training, goes to a separate ``*.state.pt`` file that is never shipped.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import torch

CHECKPOINT_FORMAT = 1
PRETRAINED_DIR = Path(__file__).resolve().parents[1] / "pretrained"


@dataclass
class Conditions:
    """What a chemist asks of generated molecules.

    Args:
        targets: property -> target value (e.g. ``{"qed": 0.8}``), steered to natively by
            conditional models.
        ranges: property -> (low, high), inclusive; either bound may be ``None``.
        prefix: a SMILES prefix every molecule starts with (left-to-right completion).
        prefixes: several prefixes, the molecules spread evenly over them (a scaffold written once for each
            position a group can take; ``smiles_lm.scaffold``); ``prefix`` then goes unused.
        scaffold: a substructure to keep (SMILES or SMARTS).
        avoid: substructures that must not appear.
        similar_to: a reference molecule, with ``min_similarity`` (Morgan Tanimoto).
        extend_prefix: the prefix must be continued (a scaffold's attachment point ``*``: a group is to be added
            where the prefix ends, so the string may not end right after it).
    """

    targets: dict[str, float] = field(default_factory=dict)
    ranges: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    prefix: str | None = None
    prefixes: list[str] = field(default_factory=list)
    scaffold: str | None = None
    avoid: list[str] = field(default_factory=list)
    similar_to: str | None = None
    min_similarity: float = 0.0
    extend_prefix: bool = False

    def __post_init__(self) -> None:
        # a range open at both ends bounds nothing (a web slider left at its limits): no condition, as if not given
        self.ranges = {name: bounds for name, bounds in self.ranges.items() if tuple(bounds) != (None, None)}
        if isinstance(self.avoid, str):   # one pattern, as generate(avoid=...) takes it: not its characters
            self.avoid = [self.avoid]


@dataclass
class Sample:
    """One generated string and what the model says about it."""

    smiles: str
    log_likelihood: float | None = None
    meta: dict[str, Any] = field(default_factory=dict)


def sampling_seed(seed: int | None) -> int:
    """The seed a sampler draws from: ``seed``, or when None a fresh one from the system's entropy (None meant seed 0,
    and a loop pooling unseeded batches got one batch over and over, a review found). Seed it to repeat a draw."""
    if seed is None:
        return int.from_bytes(os.urandom(4), "little") & 0x7FFFFFFF
    # checked as generate() checks it: a float reached torch's own error, and -1 was taken here and refused there
    return whole_number("seed", seed, least=0)


@runtime_checkable
class Generator(Protocol):
    family: str

    def sample(self, n: int, *, conditions: Conditions | None = None, seed: int | None = None, **options) -> list[Sample]:
        """``n`` samples as drawn (nothing corrected); the same ``seed`` draws the same ones, and None a fresh draw
        each call (:func:`sampling_seed`). The same seed with another ``batch_size`` option draws other samples
        (the random stream is read batch by batch), as do other ``n``: repeat a draw with all three the same."""

    def save(self, path) -> None: ...

    @classmethod
    def load(cls, path) -> "Generator": ...


def normalise_targets(names: list[str], mean: list[float], std: list[float], targets: dict[str, float] | None,
                      batch: int) -> torch.Tensor | None:
    """Property targets as the (batch, len(names)) tensor a conditional network reads: standardised,
    NaN where a property is not asked for; ``None`` for an unconditional model (which refuses targets)."""
    if not names:
        if targets:
            raise ValueError(f"this model is not conditional; it cannot meet targets {sorted(targets)}")
        return None
    unknown = sorted(set(targets or {}) - set(names))
    if unknown:
        raise ValueError(f"this model is conditioned on {', '.join(names)}; not on {', '.join(unknown)}")
    row = [(targets[n] - mean[i]) / std[i] if targets and n in targets else float("nan") for i, n in enumerate(names)]
    return torch.tensor([row] * batch, dtype=torch.float32)


def range_targets(conditions: Conditions, names: list[str], std: list[float],
                  mean: list[float] | None = None) -> dict[str, float]:
    """The target a conditional model steers to for each property range it is conditioned on (and for
    which no target was given): the range's middle; for a one-sided bound, the training mean when it lies at
    least half a training standard deviation inside the bound (``mw <= 450`` is a ceiling, not a wish for 436),
    else half a standard deviation inside it. The run's filter still keeps only molecules inside the range."""
    out = {}
    for name, (low, high) in conditions.ranges.items():
        if name not in names or name in conditions.targets:
            continue
        spread = std[names.index(name)]
        typical = mean[names.index(name)] if mean else None
        if low is not None and high is not None:
            out[name] = (low + high) / 2
        elif low is not None:
            out[name] = max(low + spread / 2, typical) if typical is not None else low + spread / 2
        else:
            out[name] = min(high - spread / 2, typical) if typical is not None else high - spread / 2
    return out


def range_target_basis(low: float | None, high: float | None, target: float, mean: float | None) -> str:
    """Where :func:`range_targets` put a range's target, in words (a chemist who asked for ``mw <= 450`` and reads
    "target 307" should know why)."""
    if low is not None and high is not None:
        return "the range's middle"
    if mean is not None and target == mean:
        return "the training molecules' mean, inside the bound"
    return "half a training standard deviation inside the bound"


class CheckpointError(ValueError):
    """A file that is not a usable molgen checkpoint (corrupt, truncated, foreign, other family)."""


class GraphModelCheckpoint:
    """Checkpointing shared by the graph families (torch modules with a config dataclass, an atom
    vocabulary and a ``training_record``): subclasses set ``family`` and ``config_class``."""

    family: str
    config_class: type

    def save(self, path, *, half: bool = False, extra: dict | None = None) -> Path:
        state = {k: (v.half() if half and v.is_floating_point() else v) for k, v in self.state_dict().items()}
        return save_checkpoint(path, {"family": self.family, "config": self.config.to_dict(),
                                      "vocabulary": self.vocabulary.to_dict(), "state_dict": state,
                                      "training": self.training_record, **(extra or {})})

    @classmethod
    def load(cls, path):
        from molgen.chem.graph import AtomVocabulary

        payload = load_checkpoint(path, cls.family)
        model = cls(cls.config_class.from_dict(payload["config"]), AtomVocabulary.from_dict(payload["vocabulary"]),
                    training=payload.get("training", {}))
        try:
            model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in payload["state_dict"].items()})
        except RuntimeError as error:  # weights of another network layout: say so rather than dump torch's key list
            raise CheckpointError(f"{path} holds {cls.family} weights that do not fit this version's network "
                                  f"(saved by molgen {payload.get('code_version', '?')}; retrain or use that "
                                  f"version): {str(error).splitlines()[0]}") from None
        return model.eval()

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())


def save_checkpoint(path: str | Path, payload: dict) -> Path:
    """Write a checkpoint atomically (a temporary file, then a rename)."""
    from molgen import __version__
    from molgen.data.files import replacing

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"molgen": CHECKPOINT_FORMAT, "code_version": __version__, **payload}
    with replacing(path) as partial:   # a failed write (a full disk) leaves no partial file behind
        torch.save(payload, partial)
    return path


def load_checkpoint(path: str | Path, family: str | None = None) -> dict:
    """Read a checkpoint with ``weights_only=True``; :class:`CheckpointError` says what is wrong."""
    from molgen.models.memory import keep_freed_memory

    keep_freed_memory()  # sampling and training follow a load: freed tensor memory is reused, not page-faulted in again
    path = Path(path)
    if path.is_dir():
        raise CheckpointError(f"{path} is a folder, not a checkpoint file")
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    if path.stat().st_size == 0:
        raise CheckpointError(f"{path}: an empty file, not a checkpoint")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 -- torch.load raises many types for a file it cannot read
        # torch's own text is no help here ("pop from empty list", or advice to load with weights_only=False,
        # which runs the file's code and which molgen never does)
        if "Unsupported global" in str(error):   # a torch file that pickles Python objects, which could run code
            raise CheckpointError(f"{path}: not a readable checkpoint (it holds Python objects; molgen loads "
                                  "tensors and plain data only)") from None
        if path.suffix == ".json" and path.with_suffix(".pt").is_file():   # the card beside it, given by mistake
            raise CheckpointError(f"{path}: a model card, not a checkpoint; the checkpoint it describes is "
                                  f"{path.with_suffix('.pt')}") from None
        raise CheckpointError(f"{path}: not a readable checkpoint (not a torch file, or a truncated or corrupt one)") \
            from None
    if not isinstance(payload, dict) or "molgen" not in payload:
        raise CheckpointError(f"{path}: a torch file, but not a molgen checkpoint (no 'molgen' format key)")
    if payload["molgen"] != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path}: checkpoint format {payload['molgen']}, this molgen reads {CHECKPOINT_FORMAT}")
    if family is not None and payload.get("family") != family:
        raise CheckpointError(f"{path}: a {payload.get('family')!r} checkpoint, not {family!r}")
    if family is not None:   # a model loaded (not a peek at its family or record): once, not per peek
        _check_against_card(path)
    return payload


def checkpoint_family(path: str | Path) -> str | None:
    """The family a checkpoint file holds, None where it cannot be read as one (a card's copy may be missing)."""
    try:
        return load_checkpoint(path).get("family")
    except (CheckpointError, OSError):
        return None


def card_mismatch(path: Path) -> str | None:
    """Why the model card beside ``path`` does not describe it (the card records the checksum of other weights: a
    checkpoint damaged since, a flipped byte still loads and samples, or one saved again without its card), or
    None; cards written before they recorded a checksum are not checked."""
    import json

    from molgen.data.moses import sha256_of

    path = Path(path)
    try:
        recorded = json.loads(path.with_suffix(".json").read_text()).get("checkpoint_sha256")
    except (OSError, ValueError, AttributeError):
        return None
    if not recorded or sha256_of(path) == recorded:
        return None
    return (f"{path}: its sha256 differs from the one its model card ({path.with_suffix('.json').name}) records: the "
            "file is damaged, or was saved again without its card (a training stopped between the two, or saving "
            "now), so the card's training and metrics may not describe these weights")


def _check_against_card(path: Path) -> None:
    if why := card_mismatch(path):
        import warnings

        warnings.warn(why, UserWarning, stacklevel=3)


#: Family name -> the module that defines its ``Generator`` class, imported on first use.
FAMILIES = {"smiles-lm": "molgen.models.smiles_lm.model:SmilesLM", "graph-vae": "molgen.models.graph_vae.model:GraphVAE",
            "graph-diffusion": "molgen.models.graph_diffusion.model:GraphDiffusion"}
#: The sampling options each family's ``sample`` takes (besides ``conditions`` and ``seed``).
SAMPLE_OPTIONS = {"smiles-lm": {"strategy", "temperature", "top_k", "top_p", "beam_width", "batch_size", "max_len",
                                "use_cache", "bf16"},
                  "graph-vae": {"decoding", "temperature", "candidates", "batch_size", "use_masks", "latent_prior",
                                "ring_limit"},
                  "graph-diffusion": {"steps", "guidance", "batch_size", "num_atoms", "label_prior", "sampler",
                                      "target_guidance", "stochasticity", "step_spacing", "projection", "target_sizes"}}
def whole_number(name: str, value, least: int = 0) -> int:
    """``value`` as an int when it is a whole number of ``least`` or more (numpy's too, not a bool); else a
    ``ValueError`` naming ``name`` (a review: ``n=2.5`` was stored as a run asking for "ranks 1 to 2.5", ``n=True``
    and ``batch_size=0`` failed deep in torch or came back as empty strings)."""
    import numbers

    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < least:
        raise ValueError(f"{name} must be a whole number of {least} or more, not {value!r}")
    return int(value)


def check_sample_request(n, conditions, batch_size=None) -> None:
    """What every family's ``sample`` refuses first: ``n`` not a whole number of 0 or more, ``conditions`` not a
    :class:`Conditions` (a dict was "'dict' object has no attribute 'targets'") or naming a property molgen does
    not compute, ``batch_size`` below 1."""
    whole_number("n", n)
    if conditions is not None and not isinstance(conditions, Conditions):
        raise TypeError(f"conditions must be a molgen Conditions (Conditions(targets={{'qed': 0.8}})), not "
                        f"{type(conditions).__name__}")
    if conditions is not None:   # a misspelt target drew unconditioned samples, with only "does not read" said
        from molgen.runs.conditions import check_property_names

        check_property_names(conditions)
    if batch_size is not None:
        whole_number("batch_size", batch_size, least=1)


def refuse_unknown_options(family: str, options: dict, also: tuple[str, ...] = ()) -> None:
    """A ``TypeError`` naming sampling options ``family``'s ``sample`` does not take: a misspelt ``step=10`` was
    dropped without a word, and the steps asked for were not the steps run (a review). ``also``: options the method
    takes beyond the run pipeline's (:data:`SAMPLE_OPTIONS`), named with them."""
    if options:
        raise TypeError(f"{family} sampling takes no option {', '.join(map(repr, sorted(options)))}; it takes "
                        f"{', '.join(sorted({*SAMPLE_OPTIONS[family], *also}))}")


def warn_unread_conditions(family: str, conditions: Conditions | None, read: set[str],
                           ranges_read: Collection[str] = ()) -> None:
    """A warning naming the conditions set in ``conditions`` that ``family``'s ``sample`` does not read (``read``:
    the fields it does; ``ranges_read``: with "ranges" not among them, the properties whose ranges it reads all
    the same): called directly, a model draws as if they were not given (the LSTM does not keep a scaffold, no
    model avoids a substructure), where ``molgen.generate`` steers what the model can (``native_conditions``)
    and filters for every condition."""
    if conditions is None:
        return
    unset = Conditions()
    ignored = [name for name in ("targets", "ranges", "prefix", "prefixes", "scaffold", "avoid", "similar_to")
               if name not in read and getattr(conditions, name) != getattr(unset, name)]
    if "ranges" in ignored and ranges_read:   # named by property: the others' ranges are read
        unread = sorted(set(conditions.ranges) - set(ranges_read))
        ignored = [name if name != "ranges" else f"ranges ({', '.join(unread)})" for name in ignored
                   if name != "ranges" or unread]
    if ignored:
        import warnings

        warnings.warn(f"{family} sample() does not read conditions.{', conditions.'.join(ignored)}: its samples are "
                      f"drawn without {'it' if len(ignored) == 1 else 'them'}; molgen.generate filters for every "
                      "condition (and the model's native_conditions() says what it steers)", UserWarning, stacklevel=3)


#: Shipped default checkpoint of each family, under ``molgen/pretrained/``.
DEFAULT_CHECKPOINTS = {"smiles-lm": "smiles-lm-lstm.pt", "graph-vae": "graph-vae.pt", "graph-diffusion": "graph-diffusion.pt"}


def shipped_checkpoint(family: str) -> Path | None:
    """The shipped default checkpoint of a family, or ``None`` when this molgen ships none yet."""
    name = DEFAULT_CHECKPOINTS.get(family)
    path = PRETRAINED_DIR / name if name else None
    return path if path is not None and path.is_file() else None


def family_class(family: str):
    import importlib

    if family not in FAMILIES:
        raise KeyError(f"unknown generator family {family!r}; known: {', '.join(FAMILIES)}")
    module, name = FAMILIES[family].split(":")
    return getattr(importlib.import_module(module), name)


def shipped_checkpoints() -> dict[str, Path]:
    """Every checkpoint under ``molgen/pretrained/`` by its name (``smiles-lm-transformer``)."""
    return {p.stem: p for p in sorted(PRETRAINED_DIR.glob("*.pt"))}


def checkpoint_path(name_or_path: str | Path) -> Path:
    """The file of a shipped checkpoint's name, or the path given; a bare word that is neither is a
    :class:`CheckpointError` listing the names that exist."""
    text = str(name_or_path)
    shipped = shipped_checkpoints()
    path = shipped.get(text, Path(text))
    if not path.exists() and path.suffix != ".pt" and len(path.parts) == 1:  # a name, not a path: say which exist
        raise CheckpointError(f"no model {text!r}: give a family ({', '.join(FAMILIES)}), a shipped checkpoint "
                                f"({', '.join(shipped)}) or the path of a checkpoint file")
    return path


def model_checkpoint(family_or_path: str | Path) -> Path:
    """The checkpoint file ``load`` reads: the shipped default of a family, a shipped checkpoint by name or the path
    given (:func:`checkpoint_path`); :class:`CheckpointError` for a family that ships none."""
    text = str(family_or_path)
    if text in FAMILIES:
        path = shipped_checkpoint(text)
        if path is None:
            raise CheckpointError(f"molgen ships no {text} checkpoint yet; train one (molgen train {text}) and pass its path")
        return path
    return checkpoint_path(text)


def load(family_or_path: str | Path) -> Generator:
    """A generator: the shipped default of a family (``"smiles-lm"``), a shipped checkpoint by name
    (``"smiles-lm-transformer"``) or any checkpoint path."""
    text = str(family_or_path)
    path = model_checkpoint(text)
    family = text if text in FAMILIES else load_checkpoint(path).get("family")
    # building the network draws its initial weights (then replaced by the checkpoint's) from torch's global
    # stream: forked, so a script's own seeded draws after a load are those they were (a Python review)
    with torch.random.fork_rng(devices=[]):
        return family_class(family).load(path)
