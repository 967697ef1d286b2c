"""The latent-space operations (``latent.py``) as a chemist reads them: what of a typed molecule the model encodes,
and each result as a table of molecules with QED, SA, logP, MW and their structural alerts.

One place for the Latent page and the ``molgen latent`` commands, so a path, an analogue set or a push reads the
same on the screen, in a download and in a script's file.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from rdkit import Chem

from molgen.chem.counterions import compound_fragments, is_organic
from molgen.chem.graph import has_stereo
from molgen.chem.parse import parse_smiles
from molgen.chem.standardize import without_labels
from molgen.models.graph_vae import latent


def encoded_form(text: str, model=None) -> tuple[str, list[str]]:
    """The molecule the model encodes for ``text`` and the notes that say how it was read: a salt or mixture as its
    parent (the largest organic fragment that is no known counter-ion, neutralized), a charged form alone as its
    neutral form, isotope labels dropped. ``ValueError`` for text that is no molecule, a salt with no organic part,
    or (with ``model``) a molecule the model cannot encode (an atom outside its vocabulary, too many atoms)."""
    parsed = parse_smiles(text)
    if not parsed.ok:
        raise ValueError(f"{text!r} is not a valid molecule: {parsed.reason}")
    mol, notes = parsed.mol, []
    parent = latent.parent_of(mol)
    if parent is not None and len(Chem.GetMolFrags(mol)) == 1:   # a protonated amine, a carboxylate, alone
        notes.append(f"A charged form: the model encodes neutral molecules, so its neutral form, {parent}.")
    elif parent is not None:
        pieces = Chem.GetMolFrags(mol, asMols=True)
        organic = [piece for piece in pieces if is_organic(piece)]
        if not organic:
            raise ValueError(f"{text}: none of its fragments is organic, so it has no organic parent compound to "
                             "encode")
        # a known counter-ion (pamoate, besylate) is set aside even when larger than the drug
        candidates = [piece for piece in compound_fragments(mol) if is_organic(piece)]
        largest = max(piece.GetNumHeavyAtoms() for piece in candidates)
        equal = list(dict.fromkeys(Chem.MolToSmiles(p) for p in candidates if p.GetNumHeavyAtoms() == largest))
        how = ("the largest organic fragment" + (" that is no known counter-ion" if len(candidates) < len(organic) else "")
               + (", neutralized" if all(Chem.MolToSmiles(p) != parent for p in candidates) else "")
               + "; the other fragments removed")
        if len(equal) > 1:   # the choice among equal fragments is RDKit's, not the chemist's
            how += f"; {', '.join(equal)} are equally large: give the one you mean alone"
        notes.append(f"A salt or mixture: the model encodes its parent, {parent} ({how}).")
    if any(atom.GetIsotope() for atom in mol.GetAtoms()):   # read without them, as the model's graphs carry none
        read = parse_smiles(parent).mol if parent else mol
        notes.append(f"Isotope labels are not encoded: read as {Chem.MolToSmiles(without_labels(read))}.")
    encoded = parent or text
    if model is not None:   # an atom the model cannot take, or too many: said before any network runs
        try:
            latent.check_encodable(model, encoded)
        except ValueError as error:   # the parent named is one the chemist did not type: said how it was read
            raise ValueError(" ".join([*notes, str(error)])) from None
    return encoded, notes


def why_not_back(model, given: list[str], more: str) -> str:
    """What to say after a given molecule did not decode back: the ring the decoder never closes, where that is why
    (:func:`~latent.ring_out_of_reach`; more refinement cannot help then), else ``more`` (the flag or field that may)."""
    rings = [why for text in given if (why := latent.ring_out_of_reach(model, text))]
    return "; ".join(rings) if rings else f"{more} may help"


def stereo_notes(*given: str) -> list[str]:
    """Decoded graphs carry no stereo and no isotope labels: what to say where a given molecule has some."""
    mols = [mol for text in given if (mol := parse_smiles(text).mol) is not None]
    notes = []
    if any(has_stereo(mol) for mol in mols):
        notes.append("The decoder draws graphs without stereochemistry: the molecules below carry none, and the "
                     "given molecules' stereocentres and double-bond geometry are not compared.")
    if any(atom.GetIsotope() for mol in mols for atom in mol.GetAtoms()):   # a 13C label, dropped without a word
        notes.append("The model encodes no isotope label: the molecules below carry none, and the given molecule is "
                     "read (and compared) without its labels.")
    return notes


def described(smiles: list[str] | tuple[str, ...]) -> pd.DataFrame:
    """QED, SA, logP, MW and the drug-like profile's alerts of decoded molecules, row for row: ``alerts`` counted and
    ``alert_names`` named, as ``molgen score`` and an export have them (``alerts == 0`` selects the clean ones), the
    names as the Browse page words them (a catalog name that says less than its pattern explained, each once); and
    ``failed_filters``, the profile's hard filters each fails ('' for none), and ``passes_filters``, as ``molgen score``
    writes them."""
    from molgen.scoring.pipeline import described_alerts, mixtures_said_elsewhere, score, windows_said_elsewhere
    from molgen.scoring.profiles import DEFAULT_PROFILE

    with mixtures_said_elsewhere(), windows_said_elsewhere():   # decoded molecules, one fragment each, described
        scored = score(list(smiles), DEFAULT_PROFILE, n_jobs=1, progress=False)
    table = scored[["qed", "sa", "logp", "mw"]].copy()
    table["alert_names"] = [described_alerts(s, text, DEFAULT_PROFILE)
                            for s, text in zip(scored["smiles"], scored["alert_names"])]
    table.insert(4, "alerts", [alert_count(text) for text in table["alert_names"]])
    # a hard filter's failure is a verdict, not a flag to look at (a review: an N(F)F analogue read "4 alerts" alone)
    table["failed_filters"] = scored["failed_filters"].fillna("").astype(str).to_numpy()
    # with its verdict, as molgen score writes it: a scored file's own passes_filters, decoded, is then
    # input_passes_filters, not read as the decoded molecule's (a review)
    table["passes_filters"] = scored["passes_filters"].astype("boolean")   # NA where no molecule, as score() has it
    return table


def alert_count(alerts: str | None) -> int:
    """How many findings a :func:`described` ``alerts`` cell names (describe_findings joins them with '; ')."""
    return len([a for a in str(alerts or "").split("; ") if a])


def with_properties(table: pd.DataFrame, describe=described) -> pd.DataFrame:
    """``table`` with what a chemist reads beside each decoded molecule (:func:`described`; ``describe``: the same,
    cached by a caller). Columns the table already has (a search's own targets) are kept as they are."""
    if table.empty:
        return table.assign(**{c: pd.Series(dtype=float) for c in ("qed", "sa", "logp", "mw") if c not in table},
                            **({"alerts": pd.Series(dtype="int64")} if "alerts" not in table else {}),
                            **({"alert_names": pd.Series(dtype=str)} if "alert_names" not in table else {}),
                            **({"failed_filters": pd.Series(dtype=str)} if "failed_filters" not in table else {}),
                            **({"passes_filters": pd.Series(dtype="boolean")} if "passes_filters" not in table else {}))
    extra = describe(tuple(table["smiles"])).set_index(table.index)
    return table.join(extra[[c for c in extra.columns if c not in table.columns]])


def failures_last(table: pd.DataFrame) -> pd.DataFrame:
    """A found set (analogues, a search's finds) with the molecules failing one of the profile's hard filters after
    those that pass, each part in its order, as a run ranks them (a review: a fused cyclopropane and a ring allene
    ranked above passing finds); the start's own decoding (``is_start``) stays last. A path (an interpolation, a
    gradient walk) keeps its order: call this on found sets only. Needs :func:`with_properties`' columns."""
    if table.empty or "passes_filters" not in table:
        return table
    start = table["is_start"].astype(bool) if "is_start" in table else pd.Series(False, index=table.index)
    failing = ~table["passes_filters"].fillna(False).astype(bool) & ~start
    order = np.lexsort((np.arange(len(table)), failing.to_numpy(), start.to_numpy()))
    return table.iloc[order].reset_index(drop=True)


def interpolation_table(met: list[tuple[float, str]], start: str, end: str) -> tuple[pd.DataFrame, list[str]]:
    """:func:`~latent.interpolate`'s molecules as rows (fraction of the way, SMILES, where: start, end, or the
    fraction), and which of the two ends ("start", "end") did not decode back to the molecule given."""
    given = {"start": latent.graph_key(start), "end": latent.graph_key(end)}
    # met lists each molecule once, so the end's decoding may stand earlier on the path
    back = {"start": bool(met) and met[0][1] == given["start"], "end": given["end"] in {s for _, s in met}}

    def where(fraction: float, smiles: str) -> str:
        if smiles == given["start"] and fraction == 0:
            return "start"
        if smiles == given["end"]:
            return "end" if fraction == 1 else f"end (reached at {fraction:.2f} of the way)"
        return f"{fraction:.2f} of the way"
    # the fraction to 4 places: the walk's own float32 steps (0.1818181872) mean no more than that
    table = pd.DataFrame({"fraction": [round(float(f), 4) for f, _ in met], "smiles": [s for _, s in met],
                          "where": [where(f, s) for f, s in met]})
    return table, [name for name, came_back in back.items() if not came_back]


def analogue_table(found: list[tuple[str, float]]) -> pd.DataFrame:
    """:func:`~latent.analogues`' molecules as rows: SMILES and Tanimoto to the seed, most similar first."""
    return pd.DataFrame(found, columns=["smiles", "tanimoto_to_seed"])


def search_table(found: list[dict], method: str) -> pd.DataFrame:
    """:func:`~latent.search`'s molecules in :func:`~latent.chemist_order`, the start's own decoding marked
    ``is_start`` (the reference, not a find); no ``round`` column for a random search (all in round 0)."""
    table = pd.DataFrame(latent.chemist_order(found), columns=list(found[0]) if found else ["round", "smiles"])
    start = table["round"] == -1
    if method == "random":   # one round: the column would read 0 throughout (the start is -1)
        table = table.drop(columns="round")
    table.insert(1, "is_start", start)
    return table.rename(columns={"similarity": "tanimoto_to_start"})


def gradient_table(path: list[dict]) -> pd.DataFrame:
    """:func:`~latent.optimise`'s molecules in step order, the start's own decoding (step 0) marked ``is_start``."""
    table = pd.DataFrame(path, columns=list(path[0]) if path else ["step", "smiles"])
    table.insert(1, "is_start", table["step"] == 0)
    return table


def head_drift(table: pd.DataFrame, targets: dict[str, float]) -> str | None:
    """Where a gradient walk's property head and RDKit part ways: for each target, the head's prediction at the last
    molecule met against RDKit's measure of it, when they differ by more than the target's tolerance; None when
    they agree. The walk follows the head, which learned the encoder's means and extrapolates away from them (a
    review: the head's logP rose from 2.9 to 4.9 while RDKit's moved 2.90 to 2.98)."""
    from molgen.scoring.properties import tolerance

    if table.empty or int(table.iloc[-1].get("step", 0)) == 0:   # the walk met nothing but its start
        return None
    last = table.iloc[-1]
    # per target, where both are there (a molecule RDKit did not measure is no disagreement to report)
    apart = [f"{name} {last[f'predicted_{name}']:.2f} predicted, {last[name]:.2f} measured" for name in targets
             if {name, f"predicted_{name}"} <= set(table.columns) and pd.notna(last[name])
             and pd.notna(last[f"predicted_{name}"]) and abs(last[f"predicted_{name}"] - last[name]) > tolerance(name)]
    if not apart:
        return None
    return (f"at the last molecule (step {int(last['step'])}) the property head and RDKit disagree ({'; '.join(apart)}): "
            "the walk follows the head, which extrapolates away from the molecules it learned; the met and gap "
            "columns are RDKit's (a search, --method random or bayesian, scores every molecule with RDKit)")


#: What a push's ``gap`` and ``distance`` columns mean, said beside its table.
GAP_CAPTION = ("gap: each target's distance as a share of the start's distance to it (or of the target's tolerance, "
               "where the start already meets it), averaged; 0 hits every target exactly, 1 is as far as the start "
               "(a start already within a tolerance scores below 1). distance: how far the molecule's latent point "
               "lies from the start's (Euclidean, in the model's latent space).")
