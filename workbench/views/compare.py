"""Compare: the shipped models side by side on the MOSES metrics, with published baselines, and property distributions."""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from molgen.data.files import stem_of
from molgen.data.registry import REGISTRY
from molgen.metrics.ceiling import ceiling_at, ceiling_rows
from molgen.metrics.report import PUBLISHED, metrics_frame, published_rows
from molgen.metrics.samples_file import evaluate_samples, read_samples
from molgen.models.base import PRETRAINED_DIR
from molgen.runs.store import passes_hard_filters
from workbench.common import (NO_RUNS, current_run, kept_upload, missing_run_note, plain, read_upload, run_labels,
                              status_shown, store, training_properties)

MAX_RUNS = 6
METRICS_CAP = 10_000
SMALL_SAMPLE = 1_000   # under this, FCD and Scaf say more about n than about the model
MISSING = "—"   # a metric not published, or not measured (rather than Streamlit's "None")
PLOTTED = {"qed": "QED (0 to 1)", "sa": "SA score (1 easy to 10 hard)", "logp": "logP (Crippen)", "mw": "MW (g/mol)"}
MEANS = {"qed": "QED (mean)", "sa": "SA (mean)", "logp": "logP (mean)", "mw": "MW (mean, g/mol)"}



def run_names(records: dict) -> dict:
    """Each run's name, with its id where two runs share one."""
    names = [record["name"] for record in records.values()]
    return {run_id: record["name"] if names.count(record["name"]) == 1 else f"{record['name']} ({run_id})"
            for run_id, record in records.items()}


def summary_row(name: str, record: dict, ranked: pd.DataFrame, passing: pd.DataFrame) -> dict:
    from molgen.runs.generate import validity_note
    from molgen.scoring.profiles import stored_profile_label

    # a run still sampling has no counts of its own yet (they are written as it ends): those stored so far
    counts = record["counts"] or store().tally(record["id"], record["n_requested"])
    return {"run": name, "model": Path(record["checkpoint"]).stem, "seed": record["seed"],
            "profile": stored_profile_label(record["profile"]), "conditions": conditions_text(record["conditions"]),
            "status": status_shown(record["status"]), "sampled": counts.get("sampled"), "validity": counts.get("validity"),
            "validity as": counts.get("validity_note") or validity_note(record, counts),
            "unique": counts.get("unique"), "novelty": counts.get("novelty"), "ranked": len(ranked),
            "failing hard filters": len(ranked) - len(passing),
            **{label: passing[prop].mean() if len(passing) else None for prop, label in MEANS.items()}}


def conditions_text(conditions: dict) -> str:
    """A run's conditions in a few words, so runs compared under different ones are not read as like for like."""
    from molgen.runs.conditions import ConditionFilter, conditions_from_dict

    return "; ".join(ConditionFilter(conditions_from_dict(conditions)).describe()) or "none"


def passing_hard_filters(ranked: pd.DataFrame) -> pd.DataFrame:
    """The ranked molecules the profile's hard filters keep: those a chemist takes forward (the rest score 0)."""
    return ranked[passes_hard_filters(ranked)].drop(columns="passes_filters")


@st.cache_data(show_spinner=False, max_entries=16)
def run_metrics(run_id: str, updated: float, sampled: int) -> dict:
    """The MOSES metrics of a run's first :data:`METRICS_CAP` stored molecules (``updated`` changes when the run
    does, each chunk stored included, so a resumed run is measured again; ``sampled``, its samples now, says it
    too), as `molgen evaluate --run` measures them."""
    from molgen.runs.metrics import measure_run

    record = store().run(run_id)
    return measure_run(store(), record, range(min(METRICS_CAP, store().count(run_id))), n_jobs=1)


def readable(frame: pd.DataFrame):
    """A metrics table as read: n with thousands separators, metrics to four decimals (a number not published or
    not measured is shown as :data:`MISSING`, through st.dataframe's placeholder: Streamlit ignores the styler's)."""
    return frame.astype(float).style.format(precision=4).format("{:,.0f}", subset=["n"])


st.title("Compare")
st.subheader("MOSES metrics")
rows = {}
for card_path in sorted(PRETRAINED_DIR.glob("*.json")):
    card = json.loads(card_path.read_text())
    if card.get("metrics"):
        rows[f"molgen {card_path.stem} (ours)"] = card["metrics"]
known = pd.read_csv(PUBLISHED)["model"].tolist()
baselines = st.multiselect("Published baselines", known, default=[m for m in ("CharRNN", "VAE", "DiGress") if m in known],
                           key="compare_baselines")
published = published_rows(tuple(baselines)) if baselines else {}
if rows:
    # a dataframe, not a markdown table: twenty metric columns scroll inside it rather than run off the page
    st.dataframe(readable(metrics_frame({**rows, **published})), width="stretch", placeholder=MISSING)
    st.caption(f"{MISSING}: not published (baselines) or not measured. Ours: the samples counted in column n, seed 0, no valence "
               "correction, against MOSES test and scaffold-test; the measurement is in each checkpoint's model card. "
               "FCD depends on n: read it beside n. logP, SA, QED and weight are Wasserstein distances between the "
               "samples' and MOSES test's distributions of that property (0 is identical), not property values.")
else:
    st.info("No shipped checkpoint has measured metrics in its model card yet.")

st.subheader("Samples of your own model")
st.caption("A file of molecules another model wrote (REINVENT, a MOSES baseline, a colleague's), one sample a row in "
           "sampling order, measured as `molgen evaluate FILE` measures it: against MOSES test and scaffold-test, "
           f"novelty against MOSES train, every row a sample (a blank line or an unreadable record counted invalid, "
           f"no correction); a file of more than {METRICS_CAP:,} rows is measured on {METRICS_CAP:,} drawn at random "
           "(seed 0).")
samples_upload = kept_upload(st.file_uploader("Samples (CSV, TSV, SMI, SDF, Parquet)", key="compare_file"), "compare",
                             "Stop measuring this file")
moses_fetched = REGISTRY["moses"].is_available()   # the reference statistics and the MOSES filters come with it
if samples_upload is not None:
    samples_frame, samples_column = read_upload(samples_upload, "compare")
    samples_sha256 = hashlib.sha256(samples_upload[1]).hexdigest()
    measured = st.session_state.get("compare_file_metrics")
    if st.button("Measure", key="compare_go_file", disabled=samples_frame is None or not moses_fetched,
                 help="about 12 s per thousand molecules on 2 cores"):
        name, content = samples_upload
        with tempfile.TemporaryDirectory() as folder, st.spinner(f"measuring {name}"):
            path = Path(folder) / name
            path.write_bytes(content)
            read = read_samples(path, smiles_column=samples_column, sample=METRICS_CAP)
            metrics = evaluate_samples(read, "moses", file=name, sha256=samples_sha256, train="moses", n_jobs=1)
        measured = {"key": (samples_upload[0], samples_sha256, samples_column), "name": stem_of(name), "notes": read.notes,
                    "metrics": metrics}
        st.session_state["compare_file_metrics"] = measured
    if not moses_fetched:
        st.caption("The metrics need MOSES's reference statistics and filters: `molgen data fetch moses` (or "
                   "`make data`).")
    if measured is not None and measured["key"] == (samples_upload[0], samples_sha256, samples_column):
        for note in measured["notes"]:
            st.caption(plain(note))
        metrics = measured["metrics"]
        label = f"{measured['name']} (your file)"
        st.dataframe(readable(metrics_frame({label: metrics, **ceiling_rows({label: metrics}), **rows, **published})),
                     width="stretch", placeholder=MISSING)
        used = metrics["input"]
        st.caption(plain(f"{used['used']:,} of the file's {used['rows']:,} rows measured ({used['rows_used']}); "
                         "the ceiling row: what MOSES's own training molecules score at about that n."))
        for note in metrics["notes"]:
            st.warning(plain(note))

st.subheader("Runs side by side")
labels = run_labels()
if not labels:
    st.info(NO_RUNS)
    st.stop()
if "compare_runs" in st.session_state:   # a run deleted since (in another tab, or by molgen runs delete): said
    if gone := [run_id for run_id in st.session_state["compare_runs"] if run_id not in labels]:
        st.info(plain(f"No longer in the run store, left out of the comparison: {', '.join(gone)} (deleted after "
                      "being picked)."))
        st.session_state["compare_runs"] = [run_id for run_id in st.session_state["compare_runs"] if run_id in labels]
current = current_run()
if "compare_runs" not in st.session_state and (note := missing_run_note(current, list(labels))):
    st.warning(note)
chosen = st.multiselect("Runs", list(labels), max_selections=MAX_RUNS, key="compare_runs",
                        format_func=lambda run_id: labels.get(run_id, run_id),
                        help="Each run's ranked candidates (the molecules meeting its conditions, deduplicated).",
                        **({} if "compare_runs" in st.session_state else
                           {"default": [current if current in labels else next(iter(labels))]}))
if not chosen:
    st.info("Pick one or more runs to compare.")
    st.stop()
if st.session_state.get("run_id") not in chosen:   # Browse and Export then open a compared run, not the newest
    st.session_state["run_id"] = chosen[0]
records = {run_id: store().run(run_id) for run_id in chosen}
names = run_names(records)
ranked = {run_id: store().candidates(run_id, ranked_only=True, columns=[*PLOTTED, "passes_filters"]) for run_id in records}
passing = {run_id: passing_hard_filters(frame) for run_id, frame in ranked.items()}
st.dataframe(pd.DataFrame([summary_row(names[run_id], record, ranked[run_id], passing[run_id])
                           for run_id, record in records.items()]),
             hide_index=True, width="stretch", placeholder=MISSING,
             column_config={**{c: st.column_config.NumberColumn(format="%.1f" if c == MEANS["mw"] else "%.3f")
                               for c in ("validity", "novelty", *MEANS.values())},
                            # read whole: what makes two runs comparable, or not
                            "conditions": st.column_config.TextColumn(width="large"),
                            "status": st.column_config.TextColumn(width="medium")})
st.caption("validity: the share of sampled molecules RDKit accepts, as each run's model reached it (validity as: "
           "no correction for the SMILES models, by construction for the graph VAE, the largest fragment for graph "
           "diffusion); a run still sampling: its counts so far, ranked as it ends; unique: distinct "
           "valid molecules stored; novelty: the share of those not in the model's training set; ranked: those "
           "meeting the run's conditions; the means and the plots below describe the ranked molecules that pass the "
           "run's profile's hard filters (those failing one score 0 and are ranked last).")
drawn = {run_id: frame for run_id, frame in passing.items() if len(frame)}
if len(drawn) < len(passing):
    st.info(plain("No ranked candidates passing the hard filters to draw for "
                  + ", ".join(names[r] for r in passing if r not in drawn) + "."))
if drawn:
    reference = training_properties()
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 4, figsize=(16, 3.4))
    for axis, (prop, label) in zip(axes, PLOTTED.items()):
        values = np.concatenate([reference[prop].to_numpy(), *(f[prop].dropna().to_numpy() for f in drawn.values())])
        smallest = min(len(f) for f in drawn.values())
        # about two bins per square root of the smallest set, 10 to 40: spiky bars from a few dozen molecules
        # read as structure that is not there
        bins = np.linspace(np.nanmin(values), np.nanmax(values), int(np.clip(2 * np.sqrt(smallest), 10, 40)) + 1)
        axis.hist(reference[prop], bins=bins, density=True, alpha=0.35, color="grey",
                  label=f"MOSES train sample ({len(reference):,})")
        for run_id, frame in drawn.items():
            axis.hist(frame[prop].dropna(), bins=bins, density=True, histtype="step", linewidth=1.8,
                      label=f"{names[run_id]} ({len(frame):,})")
        axis.set_xlabel(label)
        axis.set_ylabel("density")
    figure.legend(*axes[0].get_legend_handles_labels(), loc="upper center", ncol=min(4, len(drawn) + 1), fontsize=9,
                  frameon=False)
    figure.tight_layout(rect=(0, 0, 1, 0.86))   # the legend above the plots, clear of the bars
    st.pyplot(figure)
    st.caption("Each run's ranked candidates passing its hard filters (n in the legend) against 2,000 molecules of the committed MOSES "
               "training sample. The reference is MOSES whatever a run's model was trained on: for a fine-tuned "
               "model, read the shift as a shift from MOSES, not from its own training set.")

st.markdown("**MOSES metrics of these runs**")
fetched = moses_fetched
if not fetched:
    st.caption("The metrics need MOSES's reference statistics and filters: `molgen data fetch moses` (or `make data`).")
if st.button("Compute", key="compare_go_metrics", disabled=not fetched,
             help="FCD, SNN, Frag, Scaf, IntDiv and Filters of each run's stored molecules against MOSES test and "
                  f"scaffold-test, on at most {METRICS_CAP:,} molecules a run: about 12 s per thousand molecules "
                  "on 2 cores (30,000 took 346 s, benchmarks/RESULTS.md), so a run of 10,000 takes two minutes; "
                  "the first press after the app starts also loads MOSES's reference and ChemNet (20 s or more on a "
                  "busy machine). A run measured once is not measured again until it changes."):
    # a run that stored no molecule has nothing to measure: its row read n = 0 beside a ceiling row of n = 100
    empty = [run_id for run_id in records if not store().count(run_id)]
    with st.spinner("computing the metrics"):
        st.session_state["compare_metrics"] = {
            "runs": list(records), "empty": [names[run_id] for run_id in empty],
            "rows": {names[run_id]: run_metrics(run_id, record["updated"], int(store().chunks(run_id)["size"].sum()))
                     for run_id, record in records.items() if run_id not in empty}}
result = st.session_state.get("compare_metrics")
if result:
    if result["runs"] != list(records):
        st.caption("The runs picked have changed since: press Compute again for theirs.")
    if result.get("empty"):
        st.info(plain(f"Nothing to measure for {', '.join(result['empty'])}: no valid molecule stored."))
if result and result["rows"]:
    # beside each run, what the training molecules themselves score at about its n: FCD is read against that
    st.dataframe(readable(metrics_frame({**result["rows"], **ceiling_rows(result["rows"])}).rename_axis("run")),
                 width="stretch", placeholder=MISSING)
    small = {name: int(metrics.get("n") or 0) for name, metrics in result["rows"].items()
             if int(metrics.get("n") or 0) < SMALL_SAMPLE}
    if small:
        size, ceiling, _ = ceiling_at(min(small.values()))
        st.warning(plain(f"Measured on few molecules ({', '.join(f'{name}: {n:,}' for name, n in small.items())}): "
                         f"at n = {size:,} even a sample of MOSES's own training molecules scores FCD/Test "
                         f"{ceiling['FCD/Test']:.2f} and Scaf/Test {ceiling['Scaf/Test']:.2f} (against 0.05 and "
                         "0.95 at 30,000; fewer molecules than the row's n read worse still on average, and one small sample can read "
                         "above it on Scaf or SNN by chance: a reference, not a bound). Read each run against the "
                         "ceiling row at its n, and generate more to rank models. A run kept to a scaffold or a "
                         "reference is not meant to match MOSES test: its FCD measures the condition, not the model."))
    st.caption(f"Against MOSES test and scaffold-test, over the first {METRICS_CAP:,} molecules a run stored (those "
               "that missed its conditions too, unlike the summary and the plots above: the model's output, not the "
               "ranked set). A run stores each valid molecule once, so valid comes from the run's count of every "
               "sample (validity as in the table above: the largest fragment for graph diffusion), novelty is that "
               "of the molecules measured (against the model's "
               f"training set), and unique@k is not measured ({MISSING}). n: the molecules measured. FCD depends on n: "
               "compare runs of similar size, and a few hundred molecules read higher than the shipped cards' 30,000.")
