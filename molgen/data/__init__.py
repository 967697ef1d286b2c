"""The data layer: dataset registry and loaders, user files, tokenizer, graph featurizer, splits."""

from molgen.data.files import FileFormatError, read_molecules
from molgen.data.registry import REGISTRY, get_dataset, load_smiles
from molgen.data.splits import random_split, scaffold_split
from molgen.data.tokenizer import SmilesVocabulary, TokenizeError, UnknownTokenError, tokenize

__all__ = [
    "FileFormatError", "read_molecules", "REGISTRY", "get_dataset", "load_smiles", "random_split",
    "scaffold_split", "SmilesVocabulary", "TokenizeError", "UnknownTokenError", "tokenize",
]
