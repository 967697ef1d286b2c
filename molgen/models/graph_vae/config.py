"""Configuration of the graph VAE (one dataclass for the network, one for training)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

#: Properties the optional head predicts from z (for property-directed navigation).
PROPERTY_NAMES = ("qed", "sa", "logp")


@dataclass
class GraphVAEConfig:
    """The network. ``capacities[i]`` is the largest bond-order sum atom type ``i`` may carry."""

    num_atom_types: int = 0
    capacities: list[int] = field(default_factory=list)
    latent_dim: int = 64
    hidden_dim: int = 192
    encoder_layers: int = 4
    max_atoms: int = 40
    max_ring_size: int | None = None  # decoding closes no larger ring (model.largest_closed_rings); None: no limit
    focus_attention: bool = False  # the atom and bond heads attend over the placed atoms (model.FocusAttention)
    latent_prior_rows: int = 0     # training molecules in the aggregate posterior prior (GraphVAE.latent_prior)
    properties: list[str] = field(default_factory=list)
    property_mean: list[float] = field(default_factory=list)
    property_std: list[float] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "GraphVAEConfig":
        return cls(**data)


@dataclass
class TrainConfig:
    """The training run; every field is recorded in the checkpoint's model card."""

    batch_size: int = 128
    lr: float = 1e-3
    min_lr: float = 1e-4
    weight_decay: float = 0.0
    warmup_steps: int = 500
    max_steps: int = 100_000
    max_minutes: float | None = None
    max_molecules: int | None = None  # the seeded subset trained on (recorded so a --resume takes the same one)
    threads: int | None = None        # torch threads the run was given (None: all cores)
    grad_clip: float = 1.0
    eval_every: int = 1000
    valid_size: int = 5000
    seed: int = 0
    kl_weight: float = 1.0            # the weight KL reaches after the warm-up
    kl_warmup_steps: int = 5000       # linear KL annealing from 0
    free_bits: float = 0.25           # nats per latent dimension below which KL is not pushed down (0.05 collapsed)
    property_weight: float = 1.0

    def to_dict(self) -> dict:
        return asdict(self)
