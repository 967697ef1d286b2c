"""Configuration of the graph diffusion model (one dataclass for the network and process, one for training)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class GraphDiffusionConfig:
    """Network and noise process. Marginals and the size distribution come from the training data."""

    num_atom_types: int = 0
    node_marginals: list[float] = field(default_factory=list)
    edge_marginals: list[float] = field(default_factory=list)   # none, single, double, triple (, aromatic)
    size_counts: list[int] = field(default_factory=list)        # size_counts[n]: training molecules with n atoms
    timesteps: int = 500
    default_steps: int | None = None                             # sampling steps when none are asked for (None: timesteps)
    hidden_dim: int = 128
    edge_dim: int = 32
    heads: int = 4
    layers: int = 4
    extra_features: bool = False                                 # ring statistics of the noisy graph (features.py)
    spectral_features: bool = False                              # components and Laplacian spectrum of the noisy graph
    valence_features: bool = False                               # bond-order sums of the noisy atoms
    path_features: bool = False                                  # bond distances between the noisy atoms, read by the edges
    aromatic_bonds: bool = False                                 # bonds as single/double/triple/aromatic, not Kekulé
    edge_products: bool = False                                  # edges read bilinear forms of both atoms, not only per-head scores
    edge_weight: float = 5.0                                     # bonds weigh more than atoms in the loss (DiGress)
    conditions: list[str] = field(default_factory=list)
    condition_mean: list[float] = field(default_factory=list)
    condition_std: list[float] = field(default_factory=list)
    label_prior: list[list[float]] = field(default_factory=list)  # [atoms, *raw labels] of training molecules (sample.py)
    # The largest ring (atoms) of any training molecule: the projection closes none larger. A checkpoint
    # trained before it was recorded gets 7, MOSES's largest (its filters reject 8), as the shipped one
    # was trained on MOSES; set another with `molgen train ship --max-ring-size`.
    max_ring_size: int = 7

    @property
    def max_atoms(self) -> int:
        return len(self.size_counts) - 1

    @property
    def num_bond_classes(self) -> int:
        """Edge classes: "no bond" then the bond types of the scheme (``molgen.chem.graph``)."""
        return 5 if self.aromatic_bonds else 4

    def to_dict(self) -> dict:
        return asdict(self)

    def card_dict(self) -> dict:
        """The config as a model card shows it: the label prior summarised, not thousands of rows."""
        data = self.to_dict()
        if self.label_prior:
            data["label_prior"] = f"{len(self.label_prior)} training molecules' (atoms, {', '.join(self.conditions)})"
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "GraphDiffusionConfig":
        return cls(**data)


@dataclass
class TrainConfig:
    batch_size: int = 64
    lr: float = 2e-4
    min_lr: float = 2e-5
    weight_decay: float = 1e-12
    warmup_steps: int = 500
    max_steps: int = 100_000
    max_minutes: float | None = None
    max_molecules: int | None = None  # the seeded subset trained on (recorded so a --resume takes the same one)
    threads: int | None = None        # torch threads the run was given (None: all cores)
    grad_clip: float = 1.0
    eval_every: int = 1000
    seed: int = 0
    condition_dropout: float = 0.3   # chance of hiding each property (so any subset of targets is in distribution)
    condition_drop_all: float = 0.1  # chance of hiding every property of a molecule (unconditional sampling, guidance)

    def to_dict(self) -> dict:
        return asdict(self)
