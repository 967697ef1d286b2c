"""Augment: SMILES enumeration, generative analogues and property-balanced sets; preview and download."""

from __future__ import annotations

import hashlib
import inspect
import json

import pandas as pd
import streamlit as st

from molgen.augment import Guard, ReferenceSet, analogues, apply_guard, balance, enumerate_smiles
from molgen.augment.balance import histogram_table
from molgen.augment.enumerate import repeated_inputs, short_enumerations
from molgen.augment.guards import GENERATED_ROW_ALERTS
from molgen.augment.provenance import (build_manifest, reason_first, reason_lines, with_input_columns,
                                       with_read_errors, with_seed_columns)
from molgen.chem.parse import parse_smiles
from molgen.data.files import csv_text, names_of, places_of, read_smi_text
from molgen.data.registry import REGISTRY, load_smiles
from molgen.models.base import shipped_checkpoint
from molgen.scoring.alerts import ALERT_SETS, ALIASES
from molgen.scoring.rules import RULES
from molgen.scoring.properties import PROPERTIES
from workbench.common import checked_number, kept_upload, plain, read_address, read_upload, write_address

st.title("Augment")
# MOSES training molecules: an example run with MOSES test held out removes nothing (two of the earlier examples
# were MOSES test molecules, the very leak the page guards against)
EXAMPLE = "\n".join(["CCNS(=O)(=O)c1ccc(NCc2cn[nH]c2)cc1", "Nc1ccc2oc(CC(=O)N3CCCCC3)nc2c1",
                     "CCOc1ccc(N(CC)S(=O)(=O)c2cccnc2)cc1"])
METHODS = ["enumerate", "analogues", "balance", "replicates"]
# the typed molecules, the held-out ones and the method, in the address: a reload or a shared link brings them back
# (a review: a reload emptied the page); a list longer than a link holds is left out (common.ADDRESS_LONGEST)
ADDRESS = {"molecules": ("aug_input", EXAMPLE, str), "held": ("aug_held", "", str),
           "method": ("aug_method", METHODS[0], lambda t: t if t in METHODS else None)}
read_address(ADDRESS, "augment")
text = st.text_area("Input molecules (one SMILES per line, a name after it if you like, as in a .smi file)", EXAMPLE,
                    height=140, key="aug_input")
uploaded = st.file_uploader("... or a file (CSV, SMI, SDF, Parquet)", key="aug_file")


upload = kept_upload(uploaded, "aug", "Use the typed molecules instead")
# replicates adds no molecule, so nothing can leak: its held-out controls are shown greyed, their values kept
merging = st.session_state.get("aug_method") == "replicates"
held_text = st.text_area("Held-out molecules that must never appear (one SMILES per line, a name after it if you like)",
                         key="aug_held", height=80, disabled=merging,
                         help="Not used by replicates, which merges rows and adds no molecule." if merging else None)
held_uploaded = st.file_uploader("... and a held-out file (CSV, SMI, SDF, Parquet), its every molecule held out",
                                 key="aug_held_file", disabled=merging)
held_upload = kept_upload(held_uploaded, "aug_held", "Stop holding out this file's molecules")
method = st.radio("Method", METHODS, horizontal=True, key="aug_method",
                  help="replicates: merge repeated measurements into one row per compound, before augmenting.")
write_address(ADDRESS)


def made_from(input_bytes: bytes, input_column: str | None, held: list[str], held_file: tuple | None,
              splits: list[str], merging: bool) -> tuple:
    """What a result was made from besides its settings: the input and the column its SMILES were read from, and the
    held-out set it was guarded against (the typed molecules, the file's bytes and column, whether or not it could
    be read, and the splits; none for replicates, which reads none)."""
    return hashlib.sha256(input_bytes).hexdigest(), input_column, () if merging else (tuple(held), held_file, tuple(splits))


@st.cache_resource(show_spinner="keying the held-out file's molecules", max_entries=4)
def held_out_file(name: str, sha256: str, column: str | None, _molecules: list[str],
                  _where: list[str], _names: list | None) -> ReferenceSet:
    """A held-out file's molecules (each record's place in ``_where``, named beside one that is no molecule) as a
    held-out set, built once per file, read by its name, bytes (``sha256``) and SMILES column (keying thousands takes
    seconds, and hashing them all again at each click most of a second)."""
    return ReferenceSet(name, list(_molecules), list(_where), _names)


@st.cache_resource(show_spinner="reading the held-out split")
def held_out_split(name: str) -> ReferenceSet:
    """A dataset split as a held-out set (``moses:test``), built once per process: its parent keys take a while."""
    dataset, _, split = name.partition(":")
    return ReferenceSet(name, load_smiles(dataset, split))


def _input() -> tuple[list[str], pd.DataFrame | None, str, bytes, str | None]:
    """The input's SMILES, its other columns (ids, labels; None for typed molecules), its name, its bytes (for the
    manifest's checksum) and the SMILES column chosen for it (None when its header names it)."""
    if upload is not None:
        name, content = upload
        frame, column = read_upload(upload, "aug")
        if frame is None:
            st.session_state.pop("aug_result", None)   # an earlier result would read as this file's
            return [], None, name, b"", column
        from molgen.augment.provenance import read_errors
        from molgen.data.files import reading_notes

        for note in reading_notes(frame):   # blank lines, decimal commas, numbers kept as text: as the CLI says them
            # a column of activities kept as text cannot be used as numbers: a warning, not a caption
            (st.warning if "kept as text" in note else st.caption)(plain(note))
        smiles = frame["smiles"].fillna("").astype(str).tolist()
        columns = frame.drop(columns=[c for c in ("smiles", "read_error") if c in frame.columns])
        columns.attrs["read_errors"] = read_errors(frame)   # a truncated SDF record's reason, given to its removal
        return smiles, columns, name, content, column
    typed = read_smi_text(text)   # as a .smi file: a name after the SMILES follows each row made from it
    names = typed["name"].fillna("")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return (typed["smiles"].tolist(), pd.DataFrame({"name": names}) if names.any() else None,
            "input molecules typed in the workbench", "\n".join(lines).encode(), None)


if upload is not None:
    st.caption(plain(f"Using the uploaded file {upload[0]}; the molecules typed above are ignored. Its other "
                     "columns (ids, activities) follow each row made from it."))
smiles, input_columns, input_name, input_bytes, input_column = _input()
unread = {} if input_columns is None else input_columns.attrs.get("read_errors", {})
invalid = [unread.get(row, s) for row, s in enumerate(smiles, start=1) if not parse_smiles(s).ok]
if invalid:   # a record the reader could not read shows its reason (a truncated SDF record), not "(empty)"
    shown = ", ".join(s if s else "(empty)" for s in invalid[:5])
    st.warning(f"{len(invalid)} input row{'s are not valid molecules' if len(invalid) != 1 else ' is not a valid molecule'}"
               " and will be reported, not used: " + plain(shown))
held_typed = read_smi_text(held_text)
held = held_typed["smiles"].tolist()
# benchmark splits a model will be judged on: a leak of one of their molecules would flatter every metric
splits = [f"{entry.name}:{split}" for entry in REGISTRY.values() if entry.is_available()
          for split in entry.splits if split != "train"]
held_splits = st.multiselect("Held-out dataset splits", splits, key="aug_held_splits", disabled=merging,
                             help="Every molecule of these splits is held out too, in any spelling or form "
                                  "(MOSES test holds 176,074 molecules: keying them takes about a minute the first time, then "
                                  "a few seconds, read back from the molgen cache).")
typed_held_out = ([ReferenceSet("molecules typed in the workbench", held, places_of(held_typed), names_of(held_typed))]
                  if held else [])
held_out_ok = True
held_file = None   # the held-out file as a result was made from it: its name, bytes and SMILES column
if held_upload is not None:   # read whatever the method, so that its column choice is drawn (and kept) each run
    held_frame, held_column = read_upload(held_upload, "aug_held")
    held_file = (held_upload[0], hashlib.sha256(held_upload[1]).hexdigest(), held_column)
    if held_frame is None:   # a held-out file not read guards nothing: Run waits for it to be read
        held_out_ok = merging
    elif not merging:
        molecules = held_frame["smiles"].fillna("").astype(str).tolist()
        typed_held_out.append(held_out_file(*held_file, molecules, places_of(held_frame), names_of(held_frame)))
        if not typed_held_out[-1].unreadable:   # else refused below: no claim that it holds them out (a review)
            st.caption(plain(f"Holding out the {len(molecules):,} molecules of {held_upload[0]} too, in any spelling "
                             "or form."))
for reference in typed_held_out:   # a typo in a test compound would leave it unguarded, unseen
    try:
        reference.require_readable()
    except ValueError as error:
        st.error(plain(error))
        held_out_ok = False
# rows hitting the alert sets or failing the rules chosen are removed, as --alerts and --rules remove them
# drawn greyed for replicates, which screens nothing, so that the choices are kept for the other methods
left, right = st.columns(2)
chosen_alerts = left.multiselect("Also remove rows hitting these alert sets", list(ALERT_SETS + tuple(ALIASES)),
                                 key="aug_alerts", disabled=merging, help="pains, brenk and nih are RDKit's catalogs; "
                                 "moses is the MOSES filters. Each removed row lists the alert it hit.")
chosen_rules = right.multiselect("... or failing these rules", list(RULES), key="aug_rules", disabled=merging)
if merging:
    chosen_alerts, chosen_rules = [], []
# new molecules (analogues, balance) are screened as the command line screens them; an input's spellings are
# matched exactly (no near-duplicate threshold), new molecules by similarity too
screen = [] if method == "enumerate" else list(GENERATED_ROW_ALERTS)
guard = Guard(held_out=[] if merging else   # replicates reads no held-out set: a split is not keyed for nothing
              (typed_held_out if held_out_ok else []) + [held_out_split(s) for s in held_splits],
              near_duplicate=None if method == "enumerate" else 0.95,
              alerts=list(dict.fromkeys(screen + chosen_alerts)), rules=chosen_rules)   # named as --alerts names them
if not merging and not guard.held_out:   # a forgotten choice: nothing written is checked against a test set
    st.caption("No held-out molecules: the rows made are checked against no test set (choose a split above, such as "
               "moses:test, or give the molecules to keep out).")
if method in ("analogues", "balance"):
    st.caption("New molecules with a strained or unusual ring system, a radical, no carbon atom or a halogen on N, O or "
               "S (a hypohalite, an N-halo amine; not a sulfonyl halide) are removed "
               f"({', '.join(GENERATED_ROW_ALERTS)}: the shipped profiles' hard filters), each listed with its reason.")

numbers_ok = True   # each number field below, within its bounds
if method == "enumerate":
    k = st.slider("Randomized SMILES per molecule", 1, 50, 10, key="aug_k")
    include_canonical = st.checkbox("Also keep each molecule's canonical SMILES", False, key="aug_canonical",
                                    help="Without it, a molecule with no other spelling (benzene) has no row.")
    settings = {"k": k, "include_canonical": include_canonical}   # for the manifest
elif method == "analogues":
    per_seed = st.slider("Analogues per seed", 1, 100, 10, key="aug_per_seed")
    window = st.slider("Similarity window (Tanimoto to the seed)", 0.0, 1.0, (0.4, 0.95), 0.05, key="aug_window")
    offered = ["prefix", "fine-tune"] + [m for m, family in (("latent", "graph-vae"), ("inpaint", "graph-diffusion"))
                                         if shipped_checkpoint(family)]
    methods = st.multiselect("Generators", offered, default=["prefix"], key="aug_methods")
    samples = st.slider("Samples per seed and generator (the sampling budget)", 20, 1000, 300, 20, key="aug_samples",
                        help="More finds more analogues inside the window, in proportionally more time.")
    # named as `molgen augment analogues` names them in its manifest, with the defaults the page leaves as they are
    # (a review: the page's manifest named neither the model nor the radius)
    defaults = {name: parameter.default for name, parameter in inspect.signature(analogues).parameters.items()}
    settings = {"per_seed": per_seed, "min_similarity": window[0], "max_similarity": window[1],
                "method": methods or ["prefix"], "samples_per_seed": samples,
                **{name: defaults[name] for name in ("model", "temperature")},
                **({"fine_tune_steps": defaults["fine_tune_steps"]} if "fine-tune" in (methods or []) else {}),
                **({"latent_radius": defaults["latent_radius"]} if "latent" in (methods or []) else {}),
                **({"diffusion_steps": defaults["diffusion_steps"]} if "inpaint" in (methods or []) else {})}
elif method == "replicates":
    from molgen.augment.replicates import AGGREGATES, GROUPINGS

    from molgen.augment.replicates import CHEMBL_RELATION, measured_columns
    from molgen.data.measurements import column_named

    # the measured columns of the uploaded file (mostly numbers; typed molecules carry names only), a pIC50 first
    measured = measured_columns(input_columns) if input_columns is not None else []
    labels = st.multiselect("Measured columns to merge", measured, default=measured[:1], key="aug_labels",
                            help="Each is aggregated over a compound's rows, beside its values, count and spread.")
    relation = column_named(input_columns.columns, CHEMBL_RELATION) if input_columns is not None else None
    if relation:
        st.caption(f"Each value's qualifier ('>', '<') is read from column {relation!r}, as ChEMBL writes it.")
    if not measured:
        st.caption("Upload a file with measured columns (pIC50, IC50, logD): the molecules typed above have none.")
    how = st.selectbox("Aggregate", AGGREGATES, key="aug_how",
                       help="geometric for concentrations (IC50 in nM): averaged and spread in log10 units.")
    by = st.selectbox("One compound is", GROUPINGS, key="aug_by",
                      format_func={"parent": "its parent (a salt or charge state merged; enantiomers apart)",
                                   "tautomer": "its parent's tautomers too (E and Z apart)",
                                   "molecule": "the identical molecule only"}.get)
    max_spread, numbers_ok = checked_number("Replicates disagree above a spread of", (0, None), 1.0, whole=False,
                                            key="aug_spread", help="Largest minus smallest, in the column's units "
                                                                   "(log10 units for geometric).")
    settings = {"labels": labels, "how": how, "by": by, "max_spread": float(max_spread), "relation": relation}
else:
    prop = st.selectbox("Property", list(PROPERTIES), key="aug_prop")
    bins = st.slider("Bins", 2, 20, 5, key="aug_bins")
    per_bin, per_bin_ok = checked_number("Target per bin (0 = the fullest bin's count)", (0, 100_000), 0, step=1,
                                         key="aug_per_bin")
    budget, budget_ok = checked_number("Sampling budget", (1000, 1_000_000), 20_000, step=1000, key="aug_budget")
    numbers_ok = per_bin_ok and budget_ok
    # named as `molgen augment balance` names them (per_bin None: the fullest bin's count)
    settings = {"property": prop, "bins": bins, "per_bin": int(per_bin) or None, "max_samples": int(budget),
                "model": inspect.signature(balance).parameters["model"].default}
settings |= {name: chosen for name, chosen in (("alerts", chosen_alerts), ("rules", chosen_rules),
                                              ("smiles_column", input_column)) if chosen}
# a merge draws nothing at random
seed, seed_ok = (0, True) if method == "replicates" else checked_number("Seed", (0, 2**31 - 1), 0, step=1,
                                                                         key="aug_seed")
numbers_ok = numbers_ok and seed_ok

if not smiles and upload is None:   # an uploaded file without molecules is an error above
    st.caption("Type or upload the molecules to augment: Run waits for them.")
if st.button("Run", type="primary", disabled=not smiles or not held_out_ok or not numbers_ok
             or (method == "replicates" and not labels),
             key="aug_go"):
    with st.spinner("augmenting"):
        histogram, repeats = None, None
        try:
            if method == "replicates":
                from molgen.augment.replicates import merge_replicates

                merged = merge_replicates(smiles, input_columns, labels, how=how, by=by, max_spread=float(max_spread),
                                          relation=relation)
                rows, removed, repeats = merged.merged, merged.removed, merged.notes   # one row per compound
            elif method == "enumerate":
                rows, removed = enumerate_smiles(smiles, k, seed=int(seed), include_canonical=include_canonical)
                short = short_enumerations(rows, k)
                rows, guarded = apply_guard(rows, guard)   # spellings of the inputs (method enumerate)
                # pairs the guard left both rows of: a row removed as a leak has no label left to compare
                repeats = [note for note in (repeated_inputs(rows), short) if note]
                removed = pd.concat([removed, guarded], ignore_index=True)
            elif method == "analogues":
                rows, removed = analogues(smiles, per_seed=per_seed, min_similarity=window[0], max_similarity=window[1],
                                          methods=methods or ["prefix"], samples_per_seed=samples, seed=int(seed),
                                          guard=guard, progress=False)   # the page's spinner says it works, not the server's log
            else:
                rows, removed, histogram = balance(smiles, prop, bins=bins, per_bin=int(per_bin) or None,
                                                   max_samples=int(budget), seed=int(seed), guard=guard)
        except ValueError as error:
            st.error(plain(error))
            st.stop()
    if input_columns is not None:
        removed = with_read_errors(removed, input_columns.attrs.get("read_errors"))
    # merged rows carry the input's columns already (each distinct value of the compound's rows)
    rows = rows if method == "replicates" else with_input_columns(rows, input_columns)
    removed = with_input_columns(removed, input_columns)
    rows, removed = with_seed_columns(rows, input_columns), with_seed_columns(removed, input_columns)
    removed = reason_first(removed)   # the reason beside the molecule
    if method == "enumerate" and len(removed):   # the page's checkbox, not the command line's flag (a review)
        from molgen.augment.enumerate import KEEP_CANONICAL

        removed = removed.assign(removed_because=removed["removed_because"].str.replace(
            KEEP_CANONICAL, "(\"Also keep each molecule's canonical SMILES\" keeps that one)", regex=False))
    # the files as the downloads give them, made once, so the manifest checksums the very bytes downloaded
    # written as the command line writes them (floats to 15 digits): the same result checksums alike
    files = {"rows": csv_text(rows), "removed": csv_text(removed),
             "histogram": None if histogram is None else csv_text(histogram_table(histogram, prop))}
    manifest = build_manifest(command=f"augment {method} (workbench)", settings={**settings, "seed": int(seed)},
                              input_name=input_name, input_sha256=hashlib.sha256(input_bytes).hexdigest(),
                              guard=Guard(near_duplicate=None) if method == "replicates" else guard,   # no guard applied
                              rows=len(rows), removed=removed, output_name=f"augmented-{method}.csv",
                              report_name=f"augmented-{method}.csv.removed.csv",
                              output_sha256=hashlib.sha256(files["rows"].encode()).hexdigest(),
                              report_sha256=hashlib.sha256(files["removed"].encode()).hexdigest())
    if files["histogram"] is not None:
        manifest["output"]["beside"] = [{"file": f"augmented-{method}.csv.histogram.csv",
                                         "sha256": hashlib.sha256(files["histogram"].encode()).hexdigest()}]
    st.session_state["aug_result"] = (rows, removed, histogram, method, manifest, repeats, files)
    st.session_state["aug_result_seeds"] = smiles
    st.session_state["aug_result_from"] = made_from(input_bytes, input_column, held, held_file, held_splits, merging)

if "aug_result" in st.session_state:
    # the method that made these rows, not the one the radio shows now
    rows, removed, histogram, made_by, manifest, repeats, files = st.session_state["aug_result"]
    # the molecules or the held-out set changed since: the rows are another input's, guarded against another set
    # (a molecule typed as held out since may be among them), so they are not offered for download; read as the
    # method that made them read it (a merge reads no held-out set, whatever the radio shows now)
    stale = st.session_state.get("aug_result_from") != made_from(input_bytes, input_column, held, held_file, held_splits,
                                                                 made_by == "replicates")
    made_with = manifest["augment"]["settings"]
    # no rows is no success (a review: a file whose one record was unreadable read "0 rows" in green)
    (st.success if len(rows) else st.warning)(f"{len(rows):,} rows; {len(removed):,} removed (each with its reason)")
    st.caption(plain(f"Made by {made_by} from {manifest['input']['file']} with "
                     + ", ".join(f"{k} {', '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in made_with.items()
                                 # unset settings, and a merge's seed (it draws nothing), say nothing
                                 if v is not None and not (made_by == "replicates" and k == "seed")))
               + ("" if made_by == method and made_with == {**settings, "seed": int(seed)} else
                  " · the form above has changed since: press Run for its result."))
    if stale:
        st.warning("The input molecules or the held-out molecules and splits above have changed since these rows "
                   "were made: press Run for rows from them (the downloads wait for it).")
    if len(removed):
        st.caption("Removed, by reason: " + plain("; ".join(reason_lines(removed))))
    for note in repeats or []:   # a merge's notes inform (how many merged, what was left out); the others warn
        (st.info if made_by == "replicates" else st.warning)(plain(note))
    if made_by == "analogues":
        from molgen.augment.analogues import (methods_without_analogues, scaffold_note, seeds_without_analogues,
                                              stereo_note)

        if empty := seeds_without_analogues(st.session_state["aug_result_seeds"], rows, removed):
            st.warning(plain(empty))
        if idle := methods_without_analogues(made_with.get("method", []), rows, removed):
            st.warning(plain(idle))
        # similar is not the same core, nor the same stereoisomer: said, as the command line says it
        for note in filter(None, (scaffold_note(rows), stereo_note(rows))):
            st.warning(plain(note))
    if histogram is not None:
        from molgen.augment.balance import balance_notes, filled_columns

        st.dataframe(histogram_table(histogram, made_with["property"]), hide_index=True)
        for note in balance_notes(histogram, removed, labels=filled_columns(input_columns)):
            st.caption(plain(note))
        st.download_button("Download the histogram (CSV)", files["histogram"],
                           file_name=f"augmented-{made_by}.csv.histogram.csv", mime="text/csv",
                           key="aug_histogram_download", disabled=stale)
    st.markdown("**Preview**")
    st.dataframe(rows.head(50), hide_index=True, width="stretch")
    left, right = st.columns(2)
    left.download_button("Download rows (CSV)", files["rows"], file_name=f"augmented-{made_by}.csv", mime="text/csv",
                         key="aug_download", disabled=stale)
    right.download_button("Download the manifest (JSON)", json.dumps(manifest, indent=2),
                          file_name=f"augmented-{made_by}.csv.manifest.json", mime="application/json",
                          key="aug_manifest_download", disabled=stale, help="settings, the input's checksum, the guard and the counts")
    if len(removed):
        with st.expander(f"Removed ({len(removed):,})"):
            st.dataframe(removed, hide_index=True, width="stretch")
            st.download_button("Download the removal report (CSV)", files["removed"], file_name=f"augmented-{made_by}.csv.removed.csv",
                               mime="text/csv", key="aug_removed_download", disabled=stale)
