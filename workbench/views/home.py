"""Home: what the workbench does, the datasets, and a quick SMILES check."""

from __future__ import annotations

import streamlit as st
from rdkit import Chem

from molgen import __version__
from molgen.chem import canonical_smiles, parse_smiles
from molgen.chem.counterions import is_organic
from molgen.chem.parse import FRAGMENT_REASON, has_dummy_atom
from molgen.chem.rdkit_log import quiet_rdkit
from molgen.chem.standardize import salt_parent
from molgen.data.registry import REGISTRY
from molgen.scoring.pipeline import described_alerts, mixtures_said_elsewhere, score
from molgen.scoring.profiles import DEFAULT_PROFILE, load_profile
from workbench.common import depict, plain, show_svg


st.title("molgen workbench")
st.caption(f"molgen {__version__}: generative design of small molecules")
st.markdown("**Generate** molecules under conditions, **Browse** and select them, **Score** a file of your own molecules, explore a molecule's neighbourhood "
            "in the graph VAE's **Latent space**, **Compare** models and runs on the MOSES metrics, **Augment** a data "
            "set, and **Export** the result with its provenance.")

st.subheader("Datasets")
st.table([
    {"dataset": entry.name, "available": "yes" if entry.is_available() else "no: molgen data fetch " + entry.name,
     "splits": ", ".join(entry.splits), "description": entry.description}
    for entry in REGISTRY.values()
])

def _relative_stereo(text: str) -> bool:
    """Whether a CXSMILES names a racemic (AND) or unknown (OR) stereo group, which parsing leaves unassigned."""
    with quiet_rdkit():
        mol = Chem.MolFromSmiles(text.strip())
    return mol is not None and any(group.GetGroupType() != Chem.StereoGroupType.STEREO_ABSOLUTE
                                   for group in mol.GetStereoGroups())


st.subheader("Check a SMILES")
smiles = st.text_input("SMILES", value="CC(=O)Oc1ccccc1C(=O)O", key="home_smiles", help="Parsed and sanitized by RDKit; nothing is corrected.")
if smiles:
    result = parse_smiles(smiles)
    if result.ok and has_dummy_atom(result.mol):   # RDKit reads an R-group (*c1ccccc1), but it is no whole molecule
        st.warning(plain(f"not a whole molecule to score: {FRAGMENT_REASON.partition(': ')[2]}"))
    elif result.ok:
        st.success(plain(f"valid: canonical SMILES {canonical_smiles(result.mol)}"))
        show_svg(depict(canonical_smiles(result.mol), (320, 220)))   # the structure read, to check it by eye
        if "|" in smiles and _relative_stereo(smiles):   # a CXSMILES stereo group: say what became of it
            st.caption(plain("the CXSMILES extension's racemic (&) or unknown (or) stereo group is read with its "
                             "centres unassigned: a canonical SMILES cannot say which enantiomers are meant"))
        # what `molgen score` would say of it with the default profile: a salt, a hard filter, an alert
        with mixtures_said_elsewhere():   # a salt is said below, in the page's words
            row = score([smiles], load_profile(DEFAULT_PROFILE), n_jobs=1).iloc[0]
        if row["fragments"] > 1:
            parent = salt_parent(result.mol)
            organic = is_organic(parent)
            parent_row = score([parent], load_profile(DEFAULT_PROFILE), n_jobs=1).iloc[0] if organic else None
            # a counter-ion moves QED and logP (paracetamol's HCl salt scored 0.68 against its own 0.49): both said
            st.info(plain(f"{row['fragments']} fragments (a salt or mixture): scored whole, counter-ions included; "
                          + (f"its parent compound is {canonical_smiles(parent)}, which scores "
                             f"{parent_row['score']:.3f} (QED {parent_row['qed']:.2f}) against the whole's "
                             f"{row['score']:.3f} (`molgen score --largest-fragment` scores parents)" if organic else
                             "none of them is organic, so it has no organic parent compound to score instead")))
        verdict = (f"score {row['score']:.3f} with the {DEFAULT_PROFILE} profile (QED {row['qed']:.2f}, "
                   f"SA {row['sa']:.2f}, MW {row['mw']:.1f})")
        if not row["passes_filters"]:
            st.warning(plain(f"fails the {DEFAULT_PROFILE} profile's hard filters ({row['failed_filters']}): "
                             f"{verdict}, ranked after every molecule that passes"))
        else:
            st.caption(plain(verdict))
        # a score near 0 from the profile's windows, not a filter: which ones (a review's 30-phenyl chain read
        # "score 0.000" without a reason)
        zeroed = [f"{name} {row[name]:.4g}" for name in (c.removeprefix("d_") for c in row.index if c.startswith("d_"))
                  if name in row.index and row[f"d_{name}"] < 0.01]
        if row["passes_filters"] and row["score"] < 0.01 and zeroed:
            several = len(zeroed) > 1
            st.caption(plain(f"the score is near 0 because {', '.join(zeroed)} lie{'s' * (not several)} far outside the "
                             f"{DEFAULT_PROFILE} profile's desirable window{'s' * several}"))
        if row["alerts"]:
            # a flag, unless a hard filter made it the verdict (a radical, a strained ring), said just above
            flag = " (a flag to look at, not a verdict)" if row["passes_filters"] else ""
            st.caption(plain(f"structural alerts: {described_alerts(row['smiles'], row['alert_names'], DEFAULT_PROFILE)}"
                             f"{flag}"))
    else:
        st.error(plain(f"not a valid molecule: {result.reason}"))
