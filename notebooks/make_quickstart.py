"""Writes quickstart.ipynb (cells kept here as plain text, so the notebook's diff stays readable)."""

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

cells = [
    new_markdown_cell("""# molgen quickstart: generate, score, rank and export

This notebook uses the shipped SMILES LSTM (`molgen/pretrained/smiles-lm-lstm.pt`), so nothing
is trained. A *run* samples molecules in chunks, canonicalizes them, removes duplicates, checks
the conditions, scores every molecule with a profile, ranks them, and stores it all in the run
store (`$MOLGEN_HOME/runs.sqlite`). The same run from the command line:

    molgen generate -n 300 --condition "qed>=0.6" --condition "mw<=450" --avoid "[N+](=O)[O-]" --seed 1

This file stores no outputs (so its diff stays readable): run the cells to see them. The test suite runs every notebook
top to bottom on the shipped checkpoints, so the asserts below hold on this version."""),
    new_code_cell("""import molgen
from molgen.runs import build_conditions

conditions = build_conditions(["qed>=0.6", "mw<=450"], avoid=["[N+](=O)[O-]"])
run = molgen.generate(model="smiles-lm", n=300, conditions=conditions, profile="drug-like", seed=1, progress=False)
print(run.status, "-", run.message)
run.counts"""),
    new_markdown_cell("""Validity above is the raw parse rate of the sampled strings: nothing is corrected. The
unconditional LSTM cannot steer towards QED, so the conditions were met by filtering (the run
record's `native` field says which conditions a model met natively).

The `novel` column says whether a molecule is new to the model's training data (MOSES train): the
LSTM writes some training molecules back (on 30,000 samples its novelty is 0.875), and one may rank high.
`where="novel"` (in `run.export` below, and `molgen export --where`) keeps only new ones; the column is empty, and the filter
refused, when the training data could not be read (MOSES not fetched: `molgen data fetch moses`)."""),
    new_code_cell("""ranked = run.candidates()
assert len(ranked) >= 300 and (ranked["qed"] >= 0.6).all() and (ranked["mw"] <= 450).all()
ranked[["rank", "smiles", "score", "qed", "sa", "logp", "mw", "alerts", "novel"]].head(10)"""),
    new_markdown_cell("""## Export the best, diverse set

`top=` (the best n), `diverse=` (no two molecules more similar than this Tanimoto) and `where=`
(a condition on any column) filter the ranked set, as `--top`, `--diverse` and `--where` do for
`molgen export`; the file gets a `.manifest.json` with the run's provenance."""),
    new_code_cell("""import json
from rdkit import Chem

path = run.export("quickstart_top.sdf", top=25, diverse=0.6, where="alerts == 0")
records = [m for m in Chem.SDMolSupplier(str(path))]
manifest = json.loads(open(str(path) + ".manifest.json").read())
print(len(records), "records;", "exported with", {k: manifest["export"][k] for k in ("top", "diverse", "where")})
print("checkpoint sha256", manifest["run"]["checkpoint_sha256"][:16], "seed", manifest["run"]["seed"])
records[0].GetPropsAsDict()["score"], Chem.MolToSmiles(records[0])"""),
    new_markdown_cell("""## Score your own molecules with the same profile

An invalid SMILES is a row with a reason, never an exception."""),
    new_code_cell("""from molgen.scoring import score

mine = score(["CC(=O)Oc1ccccc1C(=O)O", "c1ccccc1N(=O)=O", "not a molecule"], "drug-like", progress=False)
mine[["input", "valid", "reason", "qed", "sa", "alerts", "alert_names", "score", "rank"]]"""),
]

for number, cell in enumerate(cells):   # ids fixed, so a regenerated notebook differs only where its cells do
    cell["id"] = f"cell-{number}"
notebook = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
nbformat.write(notebook, __file__.replace("make_quickstart.py", "quickstart.ipynb"))
