"""Writes graph_vae_latent_space.ipynb (cells kept here as plain text, so the notebook's diff stays readable)."""

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

cells = [
    new_markdown_cell("""# The graph VAE's latent space

The shipped graph VAE (`molgen/pretrained/graph-vae.pt`) encodes a molecule to a point z and
decodes any z back to a molecule, atom by atom, masking every choice that would break valence:
every decoded graph is a valid molecule by construction. This notebook samples the prior,
reconstructs molecules (from the encoder's mean, and from that point refined by
gradient steps until it decodes back), interpolates between two of them, explores analogues of a seed, and
pushes a molecule towards a QED target: by the property head's gradient, and by the search `molgen latent push`
runs, which scores every decoded molecule with RDKit.

This file stores no outputs (so its diff stays readable): run the cells to see them. The test suite runs every notebook
top to bottom on the shipped checkpoints, so the asserts below hold on this version."""),
    new_code_cell("""import molgen.models
from molgen.models.graph_vae import latent
from molgen.models.graph_vae.sample import fraction_invalid_without_masks

model = molgen.models.load("graph-vae")
card = model.training_record
print(f"{model.num_parameters():,} parameters, {card.get('steps')} steps on {card.get('data')}")
# each prior latent decoded 5 ways (greedy, and 4 draws at temperature 0.7), the one the decoder finds most
# likely kept (decoding="most-likely", the default); "greedy" is faster, "sampled" draws every atom and bond
samples = model.sample(200, seed=0)
greedy = model.sample(200, seed=0, decoding="greedy")
drawn = model.sample(200, seed=0, decoding="sampled")
print("distinct molecules, most likely / greedy / sampled:",
      *(len({s.smiles for s in run}) for run in (samples, greedy, drawn)))
print("kept from the greedy path, and mean log-likelihood given z:",
      sum(s.meta["candidate"] == 0 for s in samples) / len(samples),
      round(sum(s.log_likelihood for s in samples) / len(samples), 2))
print("valid with masks:", sum(bool(s.smiles) for s in samples) / len(samples))
print("invalid without masks:", fraction_invalid_without_masks(model, 200))
[s.smiles for s in samples[:8]]"""),
    new_markdown_cell("## Reconstruction and interpolation"),
    new_code_cell("""from molgen.data.registry import load_smiles

test = load_smiles("moses-sample", "test")[:100]
# encode() refines the encoder's mean by up to 40 gradient steps on z until greedy decoding returns the molecule
print("reconstruction, greedy: from the encoder's mean", latent.reconstruction_accuracy(model, test, refine_steps=0),
      "/ refined", latent.reconstruction_accuracy(model, test))
path = latent.interpolate(model, test[0], test[1], steps=12)
assert path and all(s for _, s in path)
path"""),
    new_markdown_cell("""## Analogues of a seed, and a push towards QED 0.9

Analogues: 20 points at radius 2 around the seed's encoding (on the shipped weights about 15 distinct
molecules other than the seed on average over 50 MOSES test molecules, benchmarks/RESULTS.md; a given seed's
neighbourhood holds from a handful to all 20, so this seed's count below may lie far from the average).

Two ways to push. The gradient walk (`latent.optimise`) follows the property head in z: the head predicts QED
(`predicted_qed`), and RDKit's QED of each decoded molecule (`qed`) is the number that counts. The walk can pass its
best molecule and go on (the head is not RDKit), so keep the best met, not the last. The search (`latent.search`,
what `molgen latent push` and the Latent page run by default) decodes points around the start and ranks every
decoded molecule by RDKit's values; on 24 MOSES starts, both from the refined encoding as here, it came far nearer
the target (best gap 0.065 against the walk's 0.543 in `benchmarks/RESULTS.md`; a gap of 1 is as far as the start,
0 the target met)."""),
    new_code_cell("""found = latent.analogues(model, test[0], n=20, radius=2.0)
print(len(found), "distinct analogues; most similar:", found[:3])
walk = latent.optimise(model, test[2], {"qed": 0.9}, steps=40)
best = min(walk, key=lambda w: w["gap"])   # the nearest to the target by RDKit's QED
print(f"start {walk[0]['smiles']} QED {walk[0]['qed']:.3f}; best met at step {best['step']}: {best['smiles']} "
      f"QED {best['qed']:.3f}")
print([(w["step"], w["smiles"], w["qed"], w["predicted_qed"]) for w in walk])
searched = [r for r in latent.search(model, test[2], {"qed": 0.9}, decodings=128) if r["round"] >= 0]   # -1: the start
nearest = min(searched, key=lambda r: r["gap"])
print(f"search: {len(searched)} distinct molecules decoded; nearest {nearest['smiles']} QED {nearest['qed']:.3f} "
      f"(gap {nearest['gap']:.3f}, Tanimoto {nearest['similarity']:.2f} to the start)")"""),
]

for number, cell in enumerate(cells):   # ids fixed, so a regenerated notebook differs only where its cells do
    cell["id"] = f"cell-{number}"
notebook = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                                               "molgen": {"requires": ["graph-vae"]}})
nbformat.write(notebook, __file__.replace("make_graph_vae_notebook.py", "graph_vae_latent_space.ipynb"))
