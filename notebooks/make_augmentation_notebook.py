"""Writes augmentation.ipynb (cells kept here as plain text, so the notebook's diff stays readable)."""

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

cells = [
    new_markdown_cell("""# Augmenting a labelled series from Python, without leaking the test set

A chemist's series, as a table with ids and a measured pIC50, made into training data three ways: more
spellings of each molecule (labels kept), generative analogues of each seed (the seed's label named as the
seed's), and a property-balanced set. A guard keeps every held-out molecule out, in any spelling or form.
The command line does the same with files: `molgen augment enumerate | analogues | balance`.

This file stores no outputs (so its diff stays readable): run the cells to see them. The test suite runs every notebook
top to bottom on the shipped checkpoints, so the asserts below hold on this version."""),
    new_code_cell("""import pandas as pd

from molgen.augment import (Guard, ReferenceSet, analogues, apply_guard, balance, enumerate_smiles,
                            with_input_columns, with_seed_columns)

series = pd.DataFrame({
    "compound_id": ["CMP-1", "CMP-2", "CMP-3", "CMP-4", "CMP-5", "CMP-6"],
    "smiles": ["CC(=O)Nc1ccc(O)cc1", "CN(C)CCC=C1c2ccccc2CCc2ccccc12.Cl", "Cc1ccc(S(N)(=O)=O)cc1",
               "O=C(O)c1ccccc1O", "CC(C)Cc1ccc(C(C)C(=O)O)cc1", "not a molecule"],
    "pIC50": [5.2, 6.8, 4.9, 5.5, 6.1, 7.0],
})
# the test set: one of them (paracetamol) as a chemist's file may hold it, in another spelling
guard = Guard(held_out=[ReferenceSet("my test set", ["Oc1ccc(NC(C)=O)cc1", "c1ccc2[nH]ccc2c1"])])"""),
    new_markdown_cell("""## Enumeration: k spellings per molecule, each carrying its row's id and label

The rows carry `input_row` (1-based, the series' row); `with_input_columns` joins the series' other columns
back on it. Spellings of an input are matched to the held-out set exactly (in any spelling or form), not by
similarity: an input merely similar to a test molecule is the chemist's own data."""),
    new_code_cell("""rows, failed = enumerate_smiles(series["smiles"].tolist(), k=3, seed=0)
kept, removed = apply_guard(rows, guard)
kept = with_input_columns(kept, series.drop(columns="smiles"))
removed = with_input_columns(pd.concat([failed, removed], ignore_index=True), series.drop(columns="smiles"))
from molgen.chem.parse import canonical_smiles   # RDKit's parse without its error on the terminal

assert "CMP-1" not in set(kept["compound_id"])          # paracetamol is held out
# every spelling carries the label of the molecule it spells (seed_smiles: the input's canonical SMILES)
label_of = {canonical_smiles(s): p for s, p in zip(series["smiles"], series["pIC50"]) if canonical_smiles(s)}
assert (kept["seed_smiles"].map(label_of) == kept["pIC50"]).all()
print(removed[["compound_id", "removed_because"]].drop_duplicates().to_string(index=False))
kept[["smiles", "compound_id", "pIC50", "method", "seed_smiles"]].head(6)"""),
    new_markdown_cell("""## Analogues: new molecules near each seed, inside a similarity window

An analogue's activity is unknown: the seed's id and label come as `seed_compound_id` and `seed_pIC50`. New
molecules with a strained ring system, a radical, no carbon or a halogen on N, O or S (not a sulfonyl halide) are screened out, as
`analogues` and `balance` do unless told `screen=False` (the command line: unless `--alerts none`); the guard's `alerts=` adds more.
The salt (amitriptyline HCl) is explored around its parent. The same guard serves every call: each works on a copy."""),
    new_code_cell("""near, dropped = analogues(series["smiles"].tolist(), per_seed=3, min_similarity=0.4, samples_per_seed=60, seed=1,
                          guard=guard)
near = with_seed_columns(near, series.drop(columns="smiles"))
assert "pIC50" not in near.columns and near["seed_pIC50"].notna().all()
assert (near["similarity"] >= 0.4).all()
near[["smiles", "seed_compound_id", "seed_pIC50", "similarity", "method"]].head(8)"""),
    new_markdown_cell("""## A property-balanced set

`balance` fills the short bins of a property's histogram with new molecules from the shipped model. They are
not analogues of the series and have no pIC50: fit a model of the labels on the original rows only."""),
    new_code_cell("""from molgen.augment.balance import balance_notes, filled_columns

rows, removed, histogram = balance(series["smiles"].tolist(), "logp", bins=3, per_bin=3, seed=0,
                                   max_samples=2000, guard=guard)
for note in balance_notes(histogram, removed, labels=filled_columns(series.drop(columns="smiles"))):
    print("-", note)
histogram"""),
]

for number, cell in enumerate(cells):   # ids fixed, so a regenerated notebook differs only where its cells do
    cell["id"] = f"cell-{number}"
notebook = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
nbformat.write(notebook, __file__.replace("make_augmentation_notebook.py", "augmentation.ipynb"))
