"""Export: the selection or the filtered ranked set of any run as CSV, TSV, SDF or Parquet, with its manifest."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import streamlit as st

from molgen.data.with_manifest import manifest_path_of
from molgen.runs import RunStore
from molgen.runs.export import (ExportError, export_run, failing_hard_filters, never_exported, never_exported_said,
                                picked_by_hand, select_candidates)
from molgen.runs.store import ranked_count
from workbench.common import (CONTINUABLE, ExportPair, address_number, checked_number, export_file_name, nothing_valid,
                              plain, read_address, record_page_inputs, run_notes_of, run_picker, say_failed_download,
                              status_shown, store, write_address)

#: Export's choices as the address writes them, so that a reload or a shared link gives the same cut (a review's
#: typed filter and SDF were lost on a reload): parameter -> (widget key, its default, how the address reads).
FORMATS = ["csv", "tsv", "sdf", "parquet"]
ADDRESS = {"selected": ("export_selected", False, lambda t: t == "1"),
           "tag": ("export_tagged", "", str),
           "top": ("export_top", 0, lambda t: int(t) if re.fullmatch(r"[0-9]{1,7}", t) else None),
           "diverse": ("export_diverse", None, address_number(0.0, 1.0, whole=False, step=0.05)),
           "where": ("export_where", "", str),
           "format": ("export_format", "csv", lambda t: t if t in FORMATS else None),
           "passing": ("export_passing", False, lambda t: t == "1"),
           "unranked": ("export_unranked", False, lambda t: t == "1")}


def _read_export_address() -> None:
    first = not st.session_state.get("_export_address_read")
    read_address(ADDRESS, "export")
    if first and "export_diverse" in st.session_state and "diverse" in st.query_params:   # a cut named: on
        st.session_state["export_diverse_on"] = True
        record_page_inputs("export")


def _write_export_address() -> None:
    """The choices that are not the defaults, in the address (the run's own parameter left as it is); the
    diversity cut only while its toggle is on."""
    write_address({name: field for name, field in ADDRESS.items()
                   if name != "diverse" or st.session_state.get("export_diverse_on")})
    if not st.session_state.get("export_diverse_on") and "diverse" in st.query_params:
        del st.query_params["diverse"]


st.title("Export")
_read_export_address()
say_failed_download("export")   # a click whose file could not be made (a run deleted meanwhile)
run_id = run_picker()
if run_id:
    record = store().run(run_id)
    if record["status"] != "running":   # before the choices they bear on (novel == True leaves the copies out)
        for note in run_notes_of(run_id, record["updated"]):
            st.warning(plain(note))
    c1, c2 = st.columns(2)
    with c1:
        selected_only = st.toggle("Only the selected candidates", key="export_selected")
        tags = store().candidate_tags(run_id)
        if st.session_state.get("export_tagged", "") not in tags:   # a tag taken off since, or another run's
            st.session_state["export_tagged"] = ""
        tagged = st.selectbox("Only the molecules tagged", ["", *tags], key="export_tagged", disabled=not tags,
                              format_func=lambda t: f"{t} ({tags[t]:,})" if t else "any molecule",
                              help="tags given on Browse (a tagged molecule is exported ranked or not, as a selected "
                                   "one is)" if tags else "no molecule of this run is tagged: tag them on Browse") or None
        top, top_ok = checked_number("Best N (0 = all)", (0, 1_000_000), 0, step=1, key="export_top")
        diverse_on = st.toggle("Diverse: no two more similar than ...", key="export_diverse_on")
        diverse = st.slider("Tanimoto", 0.0, 1.0, 0.6, 0.05, key="export_diverse", disabled=not diverse_on)
    with c2:
        where = st.text_input("Filter (any column)", placeholder="qed > 0.6 and alerts == 0", key="export_where",
                              help="column names in any case (QED, logP, MW), and, or, not, ==, !=, <, <=, >, >=, "
                                   "in [...], a column's isna(), between(), str.contains(), and maths such as abs(); "
                                   "e.g. qed > 0.6 and mw < 400 and alerts == 0")
        fmt = st.radio("Format", FORMATS, horizontal=True, key="export_format")
        passing_only = st.toggle("Leave out molecules failing the profile's hard filters", key="export_passing",
                                 help="a strained or unusual ring system, a radical, no carbon, or a halogen on N, O or S (not a sulfonyl halide) "
                                      "(a hypohalite, an N-halo amine), in the shipped profiles: they "
                                      "score 0 and are ranked last, so Best N reaches them once it passes the rest")
        include_unranked = st.toggle("Also the molecules that missed a condition", key="export_unranked",
                                     help="no rank (an empty cell in the file), after the ranked ones; each says which "
                                          "condition it missed")
    _write_export_address()
    where = where.strip()   # spaces alone are no filter, and no "-filtered" in the file's name
    if not top_ok:   # said under the field; no preview nor file of another N than the one shown
        st.stop()
    options = {"top": int(top) or None, "diverse": diverse if diverse_on else None, "where": where or None,
               "selected_only": selected_only, "passing_only": passing_only, "include_unranked": include_unranked,
               "tagged": tagged}
    try:
        preview = select_candidates(store(), run_id, **options)
    except ExportError as error:
        st.error(plain(error))
        st.stop()
    st.markdown(f"**{len(preview):,}** candidate{'s' * (len(preview) != 1)} will be exported from run "
                f"{plain(record['name'])}.")
    if not len(preview):   # say why, and what would give rows
        ranked = ranked_count(record["counts"])
        if record["status"] == "running":   # ranks are set when a run ends
            st.info("This run is still sampling: its molecules are ranked, and can be exported, when it ends.")
        elif (picked := picked_by_hand(store(), run_id, selected_only, tagged))[0]:
            st.info(plain(f"None of the {picked[0]:,} {picked[1]} candidates passes the filters: loosen them or clear "
                          "them."))
        elif selected_only and tagged:
            st.info(plain(f"No selected candidate of this run is tagged {tagged!r}."))
        elif selected_only:
            st.info("No candidate of this run is selected: tick molecules on **Browse** (in its grid or "
                    "table), or turn off \"Only the selected candidates\".")
        elif not store().count(run_id) and (none_valid := nothing_valid(record)):
            st.info(plain(f"{none_valid}: there is nothing to export.") + " **Browse** lists what the model wrote, "
                    "with why each was refused.")
        elif not store().count(run_id) and record["status"] in CONTINUABLE:   # a Ctrl-C before its first chunk was stored
            st.info(f"This run stopped ({status_shown(record['status'])}) before it stored a molecule: there is nothing to export. Continue "
                    "it on **Generate**, under \"Continue a stopped run\".")
        elif not ranked and record["counts"] and record["counts"].get("accepted"):   # settled after its process died
            st.info(f"This run's {record['counts']['accepted']:,} molecules meeting every condition are ranked, and can "
                    "be exported, when it is continued (on **Generate**, under \"Continue a stopped run\").")
        elif not ranked:
            st.info("This run has no ranked molecules (none met every condition): turn on \"Also the molecules that "
                    "missed a condition\" to export them, each with the condition it missed (**Browse** shows them too).")
        else:
            st.info(f"None of the {ranked:,} ranked molecules passes the filter: loosen it or clear it.")
    else:
        # the file holds none of these, whatever the filters (its manifest counts them)
        if never := never_exported_said(
                never_exported(store(), run_id, include_unranked or selected_only or tagged is not None),
                "**Browse** lists them, with why", "\"Also the molecules that missed a condition\" adds them"):
            st.caption("Not in the file: " + "; ".join(never) + ".")
        if failing := failing_hard_filters(preview):
            st.warning(f"{failing:,} of these {'fails' if failing == 1 else 'fail'} the profile's hard filters "
                       "(score 0, ranked last): "
                       "\"Leave out molecules failing the profile's hard filters\" drops them.")
        # as the file writes it: an unranked molecule's rank is an empty cell, not "None"
        st.dataframe(preview.head(20), hide_index=True, width="stretch", placeholder="")
        if len(preview) > 20:
            st.caption(f"The first 20 of {len(preview):,} rows; the file holds them all.")
    if len(preview):
        name = export_file_name(record["name"], fmt, options)

        database = store().path   # read here: the download runs on a worker thread, outside this session

        def written() -> tuple[bytes, bytes]:
            """The export and its manifest as the store holds them at the click, not at the last rerun."""
            with tempfile.TemporaryDirectory() as folder, RunStore(database) as clicked:
                path = export_run(clicked, run_id, Path(folder) / name, **options)
                return path.read_bytes(), manifest_path_of(path).read_bytes()

        pair = ExportPair(written, "export")   # the two buttons give the two halves of one export

        # written only when a button is clicked: an SDF of thousands of molecules on every rerun slowed every widget
        # on_click="ignore": a click does not rerun the page, so a second click right after the first is not lost
        st.download_button(f"Download {fmt.upper()}", lambda: pair.half(manifest=False), file_name=name, key="export_download",
                           on_click="ignore")
        st.download_button("Download the manifest (JSON)", lambda: pair.half(manifest=True), file_name=name + ".manifest.json",
                           mime="application/json", key="export_manifest", on_click="ignore")
