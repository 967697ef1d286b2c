"""Synthetic training data: SMILES enumeration, generative analogues, property-balanced sets,
with guards against leaks and copies, and the provenance of every row; replicate measurements merged first."""

from molgen.augment.analogues import analogues
from molgen.augment.balance import balance
from molgen.augment.enumerate import enumerate_smiles, randomized_smiles
from molgen.augment.guards import Guard, ReferenceSet, apply_guard
from molgen.augment.provenance import PROVENANCE_COLUMNS, with_input_columns, with_seed_columns, write_manifest
from molgen.augment.replicates import merge_replicates

__all__ = ["Guard", "PROVENANCE_COLUMNS", "ReferenceSet", "analogues", "apply_guard", "balance", "enumerate_smiles",
           "merge_replicates", "randomized_smiles", "with_input_columns", "with_seed_columns", "write_manifest"]
