"""Configuration of the SMILES language models (one dataclass for the network, one for training)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

#: Properties the conditional transformer can be asked for.
CONDITION_PROPERTIES = ("qed", "sa", "logp", "mw", "tpsa")


@dataclass
class SmilesLMConfig:
    """The network. ``arch`` picks a character LSTM (MOSES CharRNN family) or a GPT-style transformer."""

    arch: Literal["lstm", "transformer"] = "lstm"
    vocab_size: int = 0
    max_len: int = 128            # tokens, <bos> and <eos> included
    dropout: float = 0.2
    # LSTM
    embed_dim: int = 256
    hidden_dim: int = 512
    lstm_layers: int = 3
    # Transformer (pre-norm, learned positions)
    d_model: int = 256
    n_heads: int = 8
    n_layers: int = 6
    ff_dim: int = 1024
    # Property conditioning (transformer): names, and the mean/std used to normalise them
    conditions: list[str] = field(default_factory=list)
    condition_mean: list[float] = field(default_factory=list)
    condition_std: list[float] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "SmilesLMConfig":
        return cls(**data)


@dataclass
class TrainConfig:
    """The training run; every field is recorded in the checkpoint's model card."""

    batch_size: int = 128
    lr: float = 1e-3
    min_lr: float = 1e-4
    weight_decay: float = 0.01
    warmup_steps: int = 500
    max_steps: int = 200_000          # the cosine schedule's length; --max-minutes usually stops earlier
    max_minutes: float | None = None
    grad_clip: float = 1.0
    eval_every: int = 1000
    valid_size: int = 10_000
    seed: int = 0
    randomize_smiles: bool = False    # randomized (non-canonical) SMILES augmentation
    condition_dropout: float = 0.3    # chance of hiding each property target during training
    condition_drop_all: float = 0.1   # chance of hiding every target of a molecule (unconditional sampling)
    bf16: bool = False                # bfloat16 autocast for the forward pass (CPUs with AVX512-BF16: ~1.7x)
    max_molecules: int | None = None  # a random subset of the data (seeded), so a resumed run takes the same one
    threads: int | None = None        # torch threads when given (--threads), so a resumed run keeps the choice

    def to_dict(self) -> dict:
        return asdict(self)
