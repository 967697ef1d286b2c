"""Generator families and what they share (conditions, samples, checkpoints, the registry)."""

from molgen.models.base import CheckpointError, Conditions, Generator, Sample, load

__all__ = ["CheckpointError", "Conditions", "Generator", "Sample", "load"]
