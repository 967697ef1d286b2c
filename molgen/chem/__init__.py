"""The chemistry core: parsing with reasons, canonical SMILES, standardization, graphs."""

from molgen.chem.graph import (
    AROMATIC_BOND_NAMES,
    AROMATIC_BOND_TYPES,
    BOND_NAMES,
    BOND_TYPES,
    AtomType,
    AtomVocabulary,
    GraphToMolResult,
    MolGraph,
    UnknownAtomError,
    atom_types,
    graph_round_trip_smiles,
    graph_to_mol,
    mol_to_graph,
)
from molgen.chem.parse import ParseFailure, ParseResult, canonical_smiles, parse_many, parse_smiles, to_mol
from molgen.chem.rdkit_log import quiet_rdkit
from molgen.chem.standardize import StandardizeOptions, standardize, standardize_smiles

__all__ = [
    "AROMATIC_BOND_NAMES", "AROMATIC_BOND_TYPES", "BOND_NAMES", "BOND_TYPES", "AtomType", "AtomVocabulary", "GraphToMolResult", "MolGraph",
    "UnknownAtomError", "atom_types", "graph_round_trip_smiles", "graph_to_mol", "mol_to_graph",
    "ParseFailure", "ParseResult", "canonical_smiles", "parse_many", "parse_smiles", "to_mol",
    "quiet_rdkit", "StandardizeOptions", "standardize", "standardize_smiles",
]
