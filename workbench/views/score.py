"""Score: a chemist's own molecules (a file, or typed) scored and ranked with a profile, as `molgen score` does; the
best picked, the structures shown with their alerts, the table and its manifest downloaded."""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
from pathlib import Path

import pandas as pd
import streamlit as st
from rdkit import Chem

from molgen.data.files import IDENTITY, FileFormatError, header_words, read_molecules, reading_notes, stem_of
from molgen.data.with_manifest import manifest_path_of, write_with_manifest
from molgen.runs.export import unranked_empty
from molgen.runs.notes import common_alert_notes
from molgen.scoring.alerts import check_alert_data, explained_alert_names
from molgen.scoring.file_scoring import (hard_filter_note, mixture_note, score_read_molecules, scoring_manifest,
                                         summary, uncharged_counter_ions_note, with_picks)
from molgen.scoring.pipeline import described_alerts, drawn_alert_atoms
from molgen.scoring.profiles import ProfileError
from workbench.common import (ExportPair, checked_number, depict, file_name, kept_upload, plain, profile_editor,
                              profile_file_stem, read_upload, say_failed_download, show_svg, shown_table)

#: What the page calls scoring a salt by its parent (the command line's --largest-fragment).
PARENT_TOGGLE = "Score salts by their parent"
#: The best molecules drawn above the table.
SHOWN = 8
TYPED = "molecules typed in the workbench"

st.title("Score")
st.caption("Your own molecules, scored and ranked with a profile as `molgen score FILE -o OUT` does: every row kept "
           "(an invalid one with its reason), your columns (ids, activities) beside the scores.")
text = st.text_area("Molecules (one SMILES per line, a name after it if you like, as in a .smi file)",
                    "CC(=O)Nc1ccc(O)cc1 paracetamol\nCC(C)Cc1ccc(cc1)C(C)C(=O)O ibuprofen\n"
                    "CN1CCC[C@H]1c1cccnc1 nicotine", height=120, key="score_input")
upload = kept_upload(st.file_uploader("... or a file (CSV, TSV, SMI, SDF, Parquet)", key="score_file"), "score",
                     "Score the typed molecules instead")


def _read() -> tuple[pd.DataFrame | None, str, bytes, str | None]:
    """The molecules to score as ``read_molecules`` gives them (None after saying why not), the input's name, its
    bytes (for the manifest's checksum) and the SMILES column chosen for it (None when its header names it). Typed
    molecules are read as a .smi file, so their lines and names are a file's."""
    if upload is not None:
        name, content = upload
        st.caption(plain(f"Scoring the uploaded file {name}; the molecules typed above are ignored."))
        frame, column = read_upload(upload, "score")
        return frame, name, content, column
    content = text.encode()
    if not text.strip():
        st.info("No molecules to score: type some above, or upload a file.")
        return None, TYPED, content, None
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "typed.smi"
        path.write_bytes(content)
        try:
            return read_molecules(path), TYPED, content, None
        except FileFormatError as error:
            st.error(plain(str(error).replace(str(path), "the typed molecules")))
            return None, TYPED, content, None


def _label_column(scored: pd.DataFrame, own: list[str]) -> int | None:
    """The position of the file's column that names a molecule on its drawing: one whose header names an identity
    (an id, a name), else its first column of text; None when it has none (a bare pIC50 says nothing of which
    molecule it is). By position: a file may repeat a column's name (two "id" columns), and the first is taken."""
    names = list(map(str, scored.columns))
    first = [names.index(c) for c in dict.fromkeys(own) if c in names]
    named = [i for i in first if IDENTITY.search(header_words(names[i]))]
    text = [i for i in first if not pd.api.types.is_numeric_dtype(scored.iloc[:, i])]
    return next(iter(named or text), None)


frame, input_name, input_bytes, input_column = _read()
if frame is not None:
    for note in reading_notes(frame):   # blank lines, decimal commas, numbers kept as text: as the CLI says them
        (st.warning if "kept as text" in note else st.caption)(plain(note))

st.markdown("**Scoring profile**")
profile, profile_ok = profile_editor("score")
if profile_ok:
    try:
        check_alert_data(profile.alerts)
    except ProfileError as error:
        st.error(plain(error))
        profile_ok = False

left, right = st.columns(2)
with left:
    parent = st.toggle(PARENT_TOGGLE, key="score_parent",
                       help="a salt or mixture is scored by its parent: the largest organic fragment, by heavy atoms, "
                            "that is no known counter-ion or solvent, neutralized; an ion given alone is neutralized. "
                            "Off, a salt is scored whole (a counter-ion moves QED and logP); the fragments column "
                            "keeps the input's count either way")
    passing_only = st.toggle("Picks leave out molecules failing the profile's hard filters", key="score_passing")
with right:
    top, top_ok = checked_number("Pick the best N (0 = no picking)", (0, 1_000_000), 0, step=1, key="score_top",
                                 help="column pick numbers the best N distinct molecules 1..N in rank order; every "
                                      "row is still in the table")
    diverse_on = st.toggle("Picks no two more similar than ...", key="score_diverse_on")
    diverse = st.slider("Tanimoto (Morgan)", 0.0, 1.0, 0.6, 0.05, key="score_diverse", disabled=not diverse_on)

settings = {"largest_fragment": parent, "smiles_column": input_column, "top": int(top) or None,
            "diverse": diverse if diverse_on else None, "passing_only": passing_only}
# what a result was made from: a result of other molecules, another profile or other settings is not shown as this one's
made_from = hashlib.sha256(json.dumps([input_name, hashlib.sha256(input_bytes).hexdigest(), settings,
                                       profile.to_dict() if profile_ok else None], sort_keys=True,
                                      default=str).encode()).hexdigest()
ready = frame is not None and profile_ok and top_ok
if st.button("Score", key="score_go", type="primary", disabled=not ready):
    started = time.perf_counter()
    with st.spinner(f"scoring {len(frame):,} row{'s' * (len(frame) != 1)}"):
        # one process, as every page: a pool spawned from the app's server costs more than it saves here
        scored = score_read_molecules(frame, profile, largest_fragment=parent, n_jobs=1)
        window_notes = scored.attrs.get("window_notes", [])
        notes: list[tuple[str, str]] = []   # (how it is said: warning or caption, what)
        if settings["top"] is not None or settings["diverse"] is not None or passing_only:
            scored, picked, short = with_picks(scored, settings["top"], settings["diverse"], passing_only,
                                               "the toggle \"Picks leave out molecules failing the profile's hard "
                                               "filters\" leaves them out")
            notes.append(("warning" if short else "caption", picked))
        scored["rank"] = unranked_empty(scored["rank"])   # an invalid row has no rank: empty, sorted last
    seconds = time.perf_counter() - started
    valid_alerts = scored.loc[scored["valid"], "alert_names"]
    others = [str(c) for c in frame.columns if c not in ("smiles", "line", "read_error")]
    own = scored.attrs.get("own_columns", [])
    if len(scored) and not scored["valid"].any() and input_column is not None and others:
        notes.append(("warning", f"no row of column {input_column!r} is a molecule: does it hold the SMILES? The "
                                 f"table's other columns: {', '.join(others)}"))
    if note := hard_filter_note(scored):
        notes.append(("warning", note))
    notes += [("warning", note) for note in window_notes]
    notes += [("warning", note) for note in common_alert_notes(valid_alerts, on_page=True)]
    if explained := explained_alert_names(valid_alerts):
        notes.append(("caption", "what some alert names match: " + "; ".join(f"{name}: {what}"
                                                                             for name, what in explained.items())))
    hint = f'turn on "{PARENT_TOGGLE}" to score the parent molecule'
    if note := mixture_note(scored, parent, hint):
        notes.append(("caption" if parent else "warning", note))
    if not parent and (note := uncharged_counter_ions_note(scored.loc[scored["fragments"] > 1], hint)):
        notes.append(("warning", note))
    st.session_state["score_result"] = {"made_from": made_from, "table": scored, "notes": notes, "seconds": seconds,
                                        "profile": profile, "settings": settings, "input": input_name,
                                        "input_sha256": hashlib.sha256(input_bytes).hexdigest(), "label": _label_column(scored, own),
                                        "blank_lines": frame.attrs.get("blank_lines", [])}

result = st.session_state.get("score_result")
if result is not None and result["made_from"] != made_from:
    st.info("The molecules, the profile or the settings changed since the last scoring: press Score to score them "
            "as they are now.")
elif result is not None:
    scored, chosen = result["table"], result["profile"]
    st.success(plain(f"Scored {summary(scored)} with {chosen.name} in {result['seconds']:.1f} s."))
    for how, note in result["notes"]:
        getattr(st, how)(plain(note))
    # the best first: the picks when picking, else the ranked; distinct molecules only
    order = "pick" if "pick" in scored.columns else "rank"
    best = scored[scored[order].notna() & ~scored["duplicate"].astype(bool)].sort_values(order).head(SHOWN)
    if len(best):
        st.markdown(f"**The best {len(best)}** ({'picked' if order == 'pick' else 'by rank'}; alerts in red)")
        named = result["label"]
        cells = st.columns(4)
        for i in range(len(best)):
            row = best.iloc[i]   # by position: a file may repeat a column's name
            # on the molecule depict draws, in its atom order (a CXSMILES racemate's differs from the parsed one's)
            mol = Chem.MolFromSmiles(row["smiles"]) if row["alerts"] else None
            atoms = sorted({atom for hit in drawn_alert_atoms(mol, chosen.alerts, chosen.ignore_alerts).values()
                            for atom in hit}) if mol is not None else []
            said = [f"rank {row['rank']}", f"score {row['score']:.3f}", f"QED {row['qed']:.2f}", f"SA {row['sa']:.2f}"]
            if named is not None and pd.notna(row.iloc[named]):
                said.insert(0, str(row.iloc[named]))
            if row["alerts"]:
                said.append("alerts: " + described_alerts(row["smiles"], row["alert_names"], chosen))
            if not row["passes_filters"]:
                said.append(f"fails {row['failed_filters']}")
            with cells[i % 4]:
                show_svg(depict(row["smiles"], (240, 180), atoms), " · ".join(said))
    # the table as the file holds it, best first: ranked rows by rank, then the unranked (invalid) with their reason
    st.dataframe(shown_table(scored.sort_values([order, "rank"], na_position="last")), hide_index=True,
                 width="stretch", placeholder="")
    fmt = st.radio("Format", ["csv", "tsv", "sdf", "parquet"], horizontal=True, key="score_format")
    stem = "typed" if result["input"] == TYPED else stem_of(result["input"])
    # scored by parents, or with another profile (an edited one too), another result: another name (a review's
    # downloads of two results took one name)
    name = (f"{file_name(stem)}-scored-{profile_file_stem(chosen)}"
            f"{'-by-parent' if result['settings']['largest_fragment'] else ''}.{fmt}")

    def written() -> tuple[bytes, bytes]:
        """The scored table and its manifest, as `molgen score` writes them."""
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / name
            write_with_manifest(scored, path, lambda sha256: scoring_manifest(
                scored, input_file=result["input"], input_sha256=result["input_sha256"], output_name=name,
                sha256=sha256, profile=chosen, settings=result["settings"], blank_lines=result["blank_lines"],
                command="molgen workbench, Score page"))
            return path.read_bytes(), manifest_path_of(path).read_bytes()

    say_failed_download("score")
    pair = ExportPair(written, "score")   # the two buttons give the two halves of one write
    st.download_button(f"Download {fmt.upper()}", lambda: pair.half(manifest=False), file_name=name,
                       key="score_download", on_click="ignore")
    st.download_button("Download the manifest (JSON)", lambda: pair.half(manifest=True),
                       file_name=name + ".manifest.json", mime="application/json", key="score_manifest",
                       on_click="ignore")
