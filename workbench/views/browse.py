"""Browse: a run's candidates as a grid and a table, filtered and sorted by any score; select; details."""

from __future__ import annotations

import functools
import math
import numbers as numbers_module
import re
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from molgen.scoring.profiles import stored_profile_label
from rdkit import Chem

from molgen.chem.parse import canonical_smiles
from molgen.chem.rdkit_log import quiet_rdkit
from molgen.runs.conditions import attachment_points, scaffold_query as filter_query
from molgen.runs.notes import training_sources
from molgen.runs.store import RunNotFound
from molgen.scoring.alerts import count_findings, describe_findings
from molgen.scoring.pipeline import drawn_alert_atoms
from molgen.scoring.properties import PROPERTIES
from molgen.scoring.rules import RULES
from molgen.scoring.similarity import nearest_neighbours, substructure_atoms, substructure_query
from workbench.common import (CONTINUABLE, KEY_SCORES, depict, file_states, nothing_valid, on_this_page, plain,
                              record_page_inputs, run_notes_of, run_picker, show_svg, status_shown, store,
                              training_neighbours)

FILTERABLE = ["score", "similarity_to_reference", "qed", "sa", "logp", "mw", "tpsa", "hbd", "hba", "rotatable_bonds",
              "log_likelihood"]   # a column a run never filled (no reference, no log-likelihood) gets no slider
LABELS = {**KEY_SCORES, "hbd": "H-bond donors", "hba": "H-bond acceptors", "rotatable_bonds": "rotatable bonds",
          "log_likelihood": "log-likelihood", "alerts": "structural alerts", "alert_names": "alerts found",
          "failed_conditions": "conditions missed", "similarity_to_reference": "similarity to the reference"}
LOWER_FIRST = ("rank", "sa", "alerts")   # sorted ascending by default: the best, the easiest, the cleanest first


@st.cache_data(show_spinner=False, max_entries=32)
def column_bounds(run_id: str, updated: float, ranked_only: bool, passing_only: bool) -> dict:
    """Slider ends over the molecules the page lists (the ranked ones, or all; those passing the hard filters): a
    full scan of the run, so done once per run version (``updated`` changes when it does)."""
    return store().column_bounds(run_id, FILTERABLE, ranked_only, passing_only)


def kept_range(chosen, low, high, old_bounds) -> tuple:
    """A kept slider range for a run's current bounds (low, high). An end that sat on the bound it was chosen
    against follows the bound (a run that grew shows its new molecules); the rest is moved inside the bounds,
    in the slider's own type (whole numbers for counts); the full range if nothing of it is left."""
    try:
        start, end = (float(v) for v in chosen)
        old_low, old_high = (float(v) for v in old_bounds) if old_bounds else (None, None)
    except (TypeError, ValueError):
        return low, high
    start = low if old_low is not None and start <= old_low else start
    end = high if old_high is not None and end >= old_high else end
    if end < low or start > high or start > end:   # nothing of it lies within the bounds
        return low, high
    start, end = max(low, min(high, start)), max(low, min(high, end))
    return type(low)(start), type(high)(end)


def scaffold_query(record: dict) -> list | None:
    """The run's kept substructure as queries to draw it by, or None (no scaffold, or one this RDKit no longer
    reads): as its filter reads it (with attachment points an R-group core, so the copy drawn is the one that meets
    it), then, for a molecule that missed the core, the same rings with groups anywhere."""
    text = (record.get("conditions") or {}).get("scaffold")
    try:
        if not text:
            return None
        loose = substructure_query(text)
        return [filter_query(text), loose] if attachment_points(loose) else [loose]
    except ValueError:
        return None


def scaffold_atoms(smiles: str, queries: list | None) -> tuple[int, ...]:
    """Where the run's kept scaffold lies in a molecule (drawn in blue), by the first of ``queries`` that matches;
    empty without one. An attachment point (``*``) matches the new group's first atom, which is not the scaffold's:
    it is left out (a wildcard inside the scaffold is drawn)."""
    mol = Chem.MolFromSmiles(smiles) if queries else None
    for query in queries or ():
        if mol is not None and (match := substructure_atoms(mol, query)):
            marks = set(attachment_points(query))
            return tuple(atom for index, atom in enumerate(match) if index not in marks)
    return ()


def find_candidate(run_id: str, text: str) -> tuple[pd.DataFrame, str]:
    """A candidate of the whole run (not only the page shown) by its rank (``12`` or ``#12``) or its SMILES
    (any way of writing it); (a one-row frame, '' or how it was found) when found, else (an empty frame, why not).
    A SMILES not stored as written finds the run's molecule of the same compound: its stereo left out or another,
    a salt or charged form by its neutral parent, an isotope label left out (:func:`same_compound`)."""
    text = text.strip()
    if re.fullmatch(r"#?[0-9]{1,9}", text):
        rank = int(text.lstrip("#"))
        if rank < 1:
            return pd.DataFrame(), "ranks start at #1 (unranked molecules have none: look them up by SMILES)"
        found = store().candidates(run_id, ranges={"rank": (rank, rank)}, limit=1)
        return found, "" if len(found) else f"this run has no #{rank} (it ranked {store().count(run_id, ranked_only=True):,})"
    smiles = canonical_smiles(text)
    if smiles is None:
        return pd.DataFrame(), f"{text!r} is neither a rank nor a valid SMILES"
    found = store().candidates(run_id, ranges={"smiles": (smiles, smiles)}, limit=1)
    if len(found):
        return found, ""
    same = same_compound(run_id, smiles)
    if not same:
        return pd.DataFrame(), f"{smiles} is not among this run's molecules, nor any of the same compound in another form"
    found = store().candidates(run_id, ranges={"smiles": (same[0], same[0])}, limit=1)
    others = f" ({len(same) - 1:,} more of this compound in the run)" if len(same) > 1 else ""
    return found, f"{smiles} is not stored as written: shown is the run's {same[0]}, the same compound{others}"


def same_compound(run_id: str, smiles: str) -> list[str]:
    """The run's stored SMILES of the compound ``smiles`` writes in another form, best ranked first: looked for
    among the molecules of its parent's weight and those stored as a salt, an ion or labelled (read from the
    store, so a run of any size answers at once, a run still sampling included)."""
    from molgen.augment.guards import parent_key, parent_molecule   # here: the augment package loads its models

    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return []
    with quiet_rdkit():   # the compound as the leak guard reads one: the neutral parent, no stereo or labels
        wanted = parent_key(mol)
        rows = store().compound_lookup_rows(run_id, PROPERTIES["mw"].function(parent_molecule(mol)))
        return [s for s in rows if (m := Chem.MolFromSmiles(s)) is not None and parent_key(m) == wanted]


def _show_details(smiles: str) -> None:
    """A card's Details button: that molecule in the details panel (the lookup field cleared, so it is shown)."""
    st.session_state["browse_detail"] = smiles
    st.session_state["browse_find"] = ""
    # the panel lies below the grid, out of sight: scrolled to on the next run (a count, so each click is new)
    st.session_state["browse_details_clicks"] = st.session_state.get("browse_details_clicks", 0) + 1
    st.session_state["browse_scroll_to_details"] = True


#: Browse's switches as the address writes them (a reload or a shared link opens the same view): parameter ->
#: (widget key, the value the address names; the other is the default and is left out).
ADDRESS_TOGGLES = {"all": ("browse_ranked", False), "passing": ("browse_passing", True),
                   "clean": ("browse_alerts", True), "lipinski": ("browse_lipinski", True),
                   "novel": ("browse_novel", True), "selected": ("browse_selected", True)}
VIEWS = ("Grid", "Table")
ADDRESS_KEYS = ("sort", "desc", "per", "page", "view", "tag", *ADDRESS_TOGGLES, *FILTERABLE)
ANY_TAG = ""   # the tag filter's first choice: no filter


def view_in_address() -> dict[str, str]:
    """The view the address asks for, read on a browser session's first visit to Browse (a reload, a shared
    link; after that the widgets hold it, and another run picked is not given this one's ranges):
    {parameter: text}."""
    if st.session_state.get("browse_address_read"):
        return {}
    st.session_state["browse_address_read"] = True
    return {k: st.query_params[k] for k in ADDRESS_KEYS if k in st.query_params}


def address_number(text: str | None) -> int | None:
    """A whole number written in the address ('3'), else None (a hand-edited '²' or '1e99' is ignored)."""
    return int(text) if text and re.fullmatch(r"[0-9]{1,6}", text) else None


def address_range(text: str) -> tuple[float, float] | None:
    """'0.5~0.93' -> (0.5, 0.93); None for anything else (a hand-edited address is ignored, not an error)."""
    try:
        low, high = (float(v) for v in text.split("~"))
    except ValueError:
        return None
    return (low, high) if low <= high else None


def write_address(view: dict[str, str]) -> None:
    """Put the view in the address (its defaults left out), keeping the run and anything else there."""
    for name in ADDRESS_KEYS:
        if name in view:
            if st.query_params.get(name) != view[name]:
                st.query_params[name] = view[name]
        elif name in st.query_params:
            del st.query_params[name]


@st.cache_data(show_spinner=False, max_entries=2_000)
def card_alerts(smiles: str, named: tuple[str, ...], alert_sets: list[str], ignored: list[str],
                shown: int = 2) -> tuple[str, list[int]]:
    """A grid card's alerts: the findings the row's ``alert_names`` make, by their short names, one catalog's two
    names for one group together ("acrylate / halo acrylate", as the card's count counts them), the first
    ``shown`` and how many more; and the atoms to draw red (the details panel says what each matches)."""
    mol = Chem.MolFromSmiles(smiles)
    hits = drawn_alert_atoms(mol, alert_sets, ignored) if mol is not None else {}
    findings = [re.sub(r" \[[^\]]*\]", "", finding) for finding in describe_findings(list(named), hits or None).split("; ")]
    more = f" and {len(findings) - shown} more" if len(findings) > shown else ""
    return ", ".join(findings[:shown]) + more, sorted({atom for atoms in hits.values() for atom in atoms})


def rank_text(rank) -> str:
    """'#3' for a ranked molecule; 'unranked' for one that missed a condition (rank 0) or a run still ranking (no rank)."""
    return f"#{int(rank)}" if pd.notna(rank) and rank else "unranked"


def empty_message(run_id: str, record: dict, ranked_only: bool, ranges: dict, tagged: str | None = None) -> str:
    """Why the page shows no molecule: a run still running (and how to see what it stored so far), a run whose
    samples were all invalid, a run that ranked none (and how to see what it sampled), or the filters."""
    stored = store().count(run_id)
    show_all = " Turn off \"Only molecules meeting the run's conditions\" to see the molecules it sampled."
    if record["status"] == "running":
        return ("This run is still running: its molecules are ranked when it stops. Reload the page then"
                + (f", or turn off \"Only molecules meeting the run's conditions\" to see the {stored:,} stored so far."
                   if ranked_only and stored else "."))
    if not stored and (none_valid := nothing_valid(record)):   # not a stop before the first chunk was stored
        return f"{none_valid}. What the model wrote, and why each was refused, is under \"Invalid samples\" above."
    if record["status"] in CONTINUABLE and not stored:   # a Ctrl-C before its first chunk was stored
        return (f"This run stopped ({status_shown(record['status'])}) before it stored a molecule. Continue it on Generate, under "
                "\"Continue a stopped run\".")
    if ranked_only and store().count(run_id, ranked_only=True) == 0:
        return f"This run has no ranked candidates: {on_this_page(record['message']).rstrip('.')}.{show_all * bool(stored)}"
    if tagged is not None and ranked_only and not store().count(run_id, ranked_only=True, tagged=tagged):
        return plain(f"No molecule tagged {tagged!r} meets the run's conditions: turn off \"Only molecules meeting "
                     "the run's conditions\" to see the tagged ones that missed one.")
    return "No candidate matches these filters." if ranges or tagged is not None else "This run stored no molecules: " + \
        on_this_page(record["message"])


#: How many of a run's invalid samples Browse lists (all are counted; the command line writes them all).
REJECTS_SHOWN = 1000


def show_rejects(run_id: str) -> None:
    """The samples a run did not store, with why (`molgen runs rejects` writes them to a file): what the model wrote
    that was no molecule, or a molecule the run refuses (a fragment). Counted in SQL; the first
    :data:`REJECTS_SHOWN` listed, and only when asked for (a table sent at every rerun otherwise)."""
    kinds = store().reject_kinds(run_id)
    if not kinds:
        return
    total = sum(kinds.values())
    with st.expander(f"Invalid samples: {total:,} ({', '.join(f'{n:,} {k}' for k, n in kinds.items())})"):
        shown = f"the first {REJECTS_SHOWN:,} " if total > REJECTS_SHOWN else ""
        st.caption(f"What the model wrote that the run did not store, each with why, {shown}in sampling order, "
                   f"listed while \"List them\" is on (the command line writes them all to a file: molgen runs "
                   f"rejects {run_id} -o rejects.csv).")
        if st.toggle("List them", key=f"browse_rejects_{run_id}"):   # a large table only when asked for
            rejects = store().rejects(run_id, limit=REJECTS_SHOWN)
            st.dataframe(rejects.rename(columns={"text": "sampled"}), hide_index=True, width="stretch")


def _unless_deleted(callback):
    """A widget's callback that does nothing when its run was deleted since the page was drawn (another tab, the
    command line): the rerun then says so, as the run picker does; it was a RunNotFound traceback (a review)."""
    @functools.wraps(callback)
    def guarded(*args, **kwargs):
        try:
            return callback(*args, **kwargs)
        except RunNotFound:
            return None
    return guarded


@_unless_deleted
def _select_matching(run_id: str, ranked_only: bool, ranges: dict, selected: bool, tagged: str | None = None) -> None:
    """Tick (or untick) every molecule the filters keep, on every page: a filtered set goes to Export as it is."""
    smiles = store().candidates(run_id, ranked_only=ranked_only, ranges=ranges, columns=["smiles"],
                                tagged=tagged)["smiles"]
    store().set_selected(run_id, smiles, selected)
    st.session_state["browse_table_version"] = st.session_state.get("browse_table_version", 0) + 1


@_unless_deleted
def _tag_selected(run_id: str, remove: bool = False) -> None:
    """Give every selected molecule of the run the tag typed, or take it off them (the tag filter and
    ``molgen export --tagged`` then find them)."""
    tag = st.session_state.get("browse_tag_text", "")
    chosen = store().candidates(run_id, ranges={"selected": (1, 1)}, columns=["smiles"])["smiles"]
    if not len(chosen):
        st.session_state["browse_tag_said"] = ("error", "No molecule of this run is selected: tick some first.")
        return
    molecules = f"selected molecule{'s' * (len(chosen) != 1)}"
    if remove:
        if not tag.strip():
            st.session_state["browse_tag_said"] = ("error", "Type the tag to take off the selected molecules.")
            return
        try:
            untagged = store().untag_candidates(run_id, chosen, tag)
        except ValueError as error:   # a comma: two tags
            st.session_state["browse_tag_said"] = ("error", str(error))
            return
        st.session_state["browse_tag_said"] = (
            ("success", f"Took {tag.strip()!r} off {untagged:,} of the {len(chosen):,} {molecules}.") if untagged else
            ("error", f"None of the {len(chosen):,} {molecules} is tagged {tag.strip()!r}: nothing to take off."))
    else:
        try:
            store().tag_candidates(run_id, chosen, tag)
        except ValueError as error:   # empty, or a comma (tags are stored joined by commas)
            st.session_state["browse_tag_said"] = ("error", str(error))
            return
        st.session_state["browse_tag_said"] = ("success", f"Tagged {len(chosen):,} {molecules} {tag.strip()!r}.")
    st.session_state["browse_table_version"] = st.session_state.get("browse_table_version", 0) + 1


@_unless_deleted
def _toggle_selected(run_id: str, smiles: str, key: str) -> None:
    store().set_selected(run_id, [smiles], bool(st.session_state[key]))
    # the table's edits were made against the old selection: it starts afresh from the store
    st.session_state["browse_table_version"] = st.session_state.get("browse_table_version", 0) + 1


def table_key(run_id: str, rows: list[str]) -> str:
    """The table editor's key: one editor per set of rows shown (its edits are by row; other filters, sort or
    page make another) and per grid change (a grid tick bumps the version)."""
    version = st.session_state.get("browse_table_version", 0)
    return f"browse_table_{run_id}_{version}_{zlib.crc32(chr(10).join(rows).encode())}"


@_unless_deleted
def apply_table_edits() -> None:
    """The last table's ``selected`` edits, written to the store and the grid's boxes before the page reads the run.

    The editor keeps every edit since it was drawn (ticks in quick succession arrive together); each row is
    mapped through the SMILES that editor showed, and only an edit that differs from what was last applied
    is written, so a selection changed elsewhere since (another tab, the CLI) is not undone. A cell ticked
    back to its first value drops out of the edits: it is applied as that value."""
    shown = st.session_state.get("browse_table_shown")
    if not shown or shown["key"] not in st.session_state:
        return   # no table yet, or its editor was not drawn last run (another page): Streamlit dropped its edits
    edits = st.session_state[shown["key"]].get("edited_rows", {})
    current = {int(row): bool(change["selected"]) for row, change in edits.items() if "selected" in change}
    for row in set(current) | set(shown["applied"]):
        chosen = current.get(row, shown["selected"][row])
        if shown["applied"].get(row, shown["selected"][row]) != chosen:
            smiles = shown["rows"][row]
            store().set_selected(shown["run"], [smiles], chosen)
            st.session_state[f"select_{shown['run']}_{smiles}"] = chosen
        shown["applied"][row] = chosen


#: What the details panel says a column is, where it is not a property (properties carry their own description).
COLUMN_MEANINGS = {
    "score": "the scoring profile's aggregate of the desirabilities, 0 to 1 (higher is better); 0 when a hard "
             "filter of the profile fails (the warning beside the drawing names it)",
    "rank": "rank in the run (1 is best; 0: missed a condition, unranked)",
    "alerts": "structural alerts matched",
    "similarity_to_reference": "Tanimoto similarity to the run's reference (Morgan radius 2, 2048 bits), 0 to 1; 1 is "
                               "the same fingerprint, not always the same molecule (a reversed amide can share it)",
    "log_likelihood": "the model's log-likelihood of this molecule (natural log; higher is more typical of its training)",
    "sampled_fragments": "disconnected pieces in the sampled graph (the largest, or the scaffold's, was kept)",
    "projected_bonds": "bonds the valence projection dropped or lowered (a correction)",
    "chunk": "the sampling chunk that produced it",
    "novel": "not in the model's training set (canonical SMILES)",
    "meets_conditions": "meets every condition of the run",
    "passes_filters": "passes the scoring profile's hard filters",
}


def column_meaning(name: str, alert_sets: list[str], rules: dict | None = None) -> str:
    """A column of the details panel in words, with its unit where it has one; ``rules``: the run profile's
    rules and the violations each allows."""
    rule = RULES.get(name.removesuffix("_pass")) if name.endswith("_pass") else None
    if rule is not None:
        allowed = rules.get(rule.name) if isinstance(rules, dict) else None   # a profile may list rules bare
        allowed = allowed if isinstance(allowed, int) else rule.allowed_violations
        limit = "no violation" if allowed == 0 else f"at most {allowed} violation{'s' * (allowed != 1)}"
        return (f"{rule.name.replace('_', ' ').capitalize()} rule ({', '.join(t.describe() for t in rule.terms)}): "
                f"passes with {limit} under the run's profile" + (f" ({rule.reference})" if rule.reference else ""))
    if name in PROPERTIES:
        return PROPERTIES[name].description
    if name == "d_alerts":
        return "desirability of the alert count under the scoring profile, 0 to 1 (1: no alert)"
    if name.startswith("d_") and name[2:] in PROPERTIES:
        return f"desirability of {name[2:]} under the scoring profile, 0 to 1"
    if name == "alerts":
        return f"structural alerts matched ({', '.join(alert_sets) or 'the run reports none'})"
    return COLUMN_MEANINGS.get(name, "")


def display_value(value) -> str:
    """yes/no for a pass or a flag; a count as a whole number; 100 and up with two decimals (MW 456.79, not
    456.8 or 4.568e+02); else 4 figures."""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, numbers_module.Integral):
        return f"{int(value)}"
    return f"{float(value):.2f}" if abs(value) >= 100 else f"{float(value):.4g}"


def details_order(names) -> list[str]:
    """Properties first (in the order molgen lists them), then desirabilities, then the run's own columns."""
    names = list(names)

    def position(name: str) -> tuple[int, int]:
        if name in PROPERTIES:
            return 0, list(PROPERTIES).index(name)
        if name.startswith("d_"):
            return 1, names.index(name)
        return 2, list(COLUMN_MEANINGS).index(name) if name in COLUMN_MEANINGS else len(COLUMN_MEANINGS)
    return sorted(names, key=position)


st.title("Browse")
run_id = run_picker()
if run_id:
    record = store().run(run_id)
    # what ranked it: the same molecules score differently under another profile
    st.caption(plain(f"{Path(record['checkpoint']).stem} · seed {record['seed']} · scored with the profile "
                     f"{stored_profile_label(record['profile'])} · {status_shown(record['status'])}"))
    if record["status"] != "running":   # as Generate and the command line say them: copies, the series, an alert
        for note in run_notes_of(run_id, record["updated"]):
            st.warning(plain(note))
    show_rejects(run_id)
    ranges = {}
    kept = scaffold_query(record)
    if kept is not None:
        st.caption(plain(f"The kept substructure {record['conditions']['scaffold']} is drawn in blue."))
    asked, view = view_in_address(), {}
    # a run scored without Lipinski's rule (lead-like) has no value to filter by: every molecule would be filtered out
    # (and a store in which no run has filled the column yet has none to ask for)
    has_lipinski = "lipinski" in (record["profile"].get("rules") or {}) and "lipinski_pass" in store()._columns()
    toggles = {name: toggle for name, toggle in ADDRESS_TOGGLES.items() if name != "lipinski" or has_lipinski}
    for name, (key, named) in toggles.items():
        if name in asked:
            st.session_state[key] = named if asked[name] == "1" else not named
    with st.sidebar:
        st.header("Filters")
        ranked_only = st.toggle("Only molecules meeting the run's conditions", key="browse_ranked",
                                **({} if "browse_ranked" in st.session_state else {"value": True}))
        # before the sliders: their ends follow it (a score slider from 0 would count the zeroed molecules)
        passing_only = st.toggle("Passes the profile's hard filters", key="browse_passing",
                                 help="hides the molecules scored 0 by a hard filter (in the shipped profiles: a "
                                      "strained or unusual ring system, a radical, no carbon, or a halogen on N, O or S (not a sulfonyl halide)), which are "
                                      "ranked last")
        if passing_only:
            ranges["passes_filters"] = (1, 1)
        bounds = column_bounds(run_id, record["updated"], ranked_only, passing_only)
        for column in FILTERABLE:
            low, high = bounds.get(column, (None, None))
            if low is None or high is None or not high > low:
                continue
            if column in PROPERTIES and PROPERTIES[column].integer:   # a count moves in whole steps
                low, high = int(math.floor(low)), int(math.ceil(high))
            else:
                low, high = math.floor(low * 100) / 100, math.ceil(high * 100) / 100
            key, bounds_key = f"browse_{column}_{run_id}", f"browse_bounds_{column}_{run_id}"
            kept_key = f"browse_kept_{column}_{run_id}"   # Streamlit forgets a slider another run's page replaced
            if column in asked and (from_address := address_range(asked[column])):
                st.session_state[key] = kept_range(from_address, low, high, None)
            elif key in st.session_state or kept_key in st.session_state:
                # kept from before the run grew or shrank, or before another run was looked at: fitted to its bounds now
                before = st.session_state[key] if key in st.session_state else st.session_state[kept_key]
                fitted = kept_range(before, low, high, st.session_state.get(bounds_key))
                if key not in st.session_state or tuple(fitted) != tuple(st.session_state[key]):   # written when it moves
                    st.session_state[key] = fitted
            # the default only for a new slider: one given beside a value set in the session is logged as a conflict
            chosen = st.slider(LABELS.get(column, column), low, high, key=key,
                               **({} if key in st.session_state else {"value": (low, high)}))
            st.session_state[bounds_key] = (low, high)   # what the range was chosen against (kept with it)
            st.session_state[kept_key] = chosen
            if chosen != (low, high):
                ranges[column] = chosen
                view[column] = f"{chosen[0]:g}~{chosen[1]:g}"
        if st.toggle("No structural alerts", key="browse_alerts"):
            ranges["alerts"] = (0, 0)
        if has_lipinski and st.toggle("Passes Lipinski", key="browse_lipinski"):
            ranges["lipinski_pass"] = (1, 1)
        if st.toggle("Novel only", key="browse_novel"):
            ranges["novel"] = (1, 1)
        if st.toggle("Selected only", key="browse_selected"):
            ranges["selected"] = (1, 1)
        tags = store().candidate_tags(run_id)
        listed = store().candidate_tags(run_id, ranked_only=ranked_only) if ranked_only else tags   # as the page lists
        if asked.get("tag") in tags:
            st.session_state["browse_tag_filter"] = asked["tag"]
        elif asked.get("tag"):   # a link to a tag taken off since: said, as a missing run is
            st.warning(plain(f"The address asks for the molecules tagged {asked['tag']!r}; no molecule of this run "
                             "carries that tag now, so the tag filter is off."))
        if st.session_state.get("browse_tag_filter", ANY_TAG) not in tags:   # a tag taken off, or another run's
            st.session_state["browse_tag_filter"] = ANY_TAG
        tagged = None
        if tags:
            tagged = st.selectbox("Tagged", [ANY_TAG, *tags], key="browse_tag_filter",
                                  format_func=lambda t: f"{t} ({listed.get(t, 0):,})" if t else "any molecule") or None
            view.update({"tag": tagged} if tagged else {})
    # a column this run has no value of (graph diffusion gives no log-likelihood) would sort in no order at all
    sort_columns = ["rank", *[c for c in FILTERABLE if bounds.get(c, (None, None))[0] is not None], "alerts"]
    page_sizes = [12, 24, 48, 96]
    sort_accepted = asked.get("sort", "rank") in sort_columns   # a desc named for a sort this run lacks is not the rank's
    if asked.get("sort") in sort_columns:
        st.session_state["browse_sort"] = asked["sort"]
    if address_number(asked.get("per")) in page_sizes:
        st.session_state["browse_page_size"] = address_number(asked["per"])
    c1, c2, c3 = st.columns([2, 1, 1])
    order_by = c1.selectbox("Sort by", sort_columns, key="browse_sort", format_func=lambda c: LABELS.get(c, c))
    desc_key, desc_default = f"browse_desc_{order_by}", order_by not in LOWER_FIRST
    if asked.get("desc") in ("0", "1") and sort_accepted:
        st.session_state[desc_key] = asked["desc"] == "1"
    descending = c2.toggle("Descending", key=desc_key, **({} if desc_key in st.session_state else {"value": desc_default}))
    page_size = c3.selectbox("Per page", page_sizes, key="browse_page_size")
    apply_table_edits()   # before the run is read: the count, the frame and the grid see the ticks
    total = store().count(run_id, ranked_only=ranked_only, ranges=ranges, tagged=tagged)
    pages = max(1, math.ceil(total / page_size))
    if address_number(asked.get("page")) is not None:
        st.session_state["browse_page"] = max(1, min(pages, address_number(asked["page"])))
    if "browse_page" in st.session_state and st.session_state["browse_page"] > pages:
        st.session_state["browse_page"] = pages   # the filters narrowed the list: its last page
    page = st.number_input(f"Page (of {pages:,})", 1, pages, key="browse_page",
                           **({} if "browse_page" in st.session_state else {"value": 1})) if pages > 1 else 1
    # "1": the switch is in the state the address names ("all=1": every molecule, the conditions switch off)
    view.update({name: "1" for name, (key, named) in toggles.items() if st.session_state.get(key, not named) == named})
    view.update({"sort": order_by} if order_by != "rank" else {})
    view.update({"desc": "1" if descending else "0"} if descending != desc_default else {})
    view.update({"per": str(page_size)} if page_size != page_sizes[0] else {})
    view.update({"page": str(page)} if page > 1 else {})
    if asked.get("view", "").capitalize() in VIEWS:
        st.session_state["browse_view"] = asked["view"].capitalize()
    view.update({"view": "table"} if st.session_state.get("browse_view") == "Table" else {})
    write_address(view)
    record_page_inputs("browse")   # the view the address set, kept for the way back from another page
    frame = store().candidates(run_id, ranked_only=ranked_only, order_by=order_by, descending=descending,
                               limit=page_size, offset=(page - 1) * page_size, ranges=ranges, tagged=tagged)
    # counted from the store: a run still sampling has no counts in its record yet
    st.markdown(f"**{total:,}** candidate{'s' * (total != 1)} match{'es' * (total == 1)} (of "
                f"{store().count(run_id, ranked_only=False):,} in run {plain(record['name'])}).")
    if frame.empty:
        st.info(empty_message(run_id, record, ranked_only, ranges, tagged))
    else:
        b1, b2, _ = st.columns([1, 1, 2])
        b1.button(f"Select all {total:,} matching", key="browse_select_all", on_click=_select_matching,
                  args=(run_id, ranked_only, ranges, True, tagged),
                  help="on every page, added to those selected already; Export can then write only the selected")
        b2.button(f"Unselect all {total:,} matching", key="browse_unselect_all", on_click=_select_matching,
                  args=(run_id, ranked_only, ranges, False, tagged))
        # a selection made under other filters stays: said, so that "21 matching" selected is not read as 21 exported
        # (a review's export held 25)
        chosen = store().count(run_id, ranges={"selected": (1, 1)})
        if chosen:
            here = store().count(run_id, ranked_only=ranked_only, ranges={**ranges, "selected": (1, 1)}, tagged=tagged)
            st.caption(f"{chosen:,} selected in this run" + (f", {here:,} of them among these" if here != chosen else
                                                             ", all among these")
                       + "; Export's \"Only the selected candidates\" writes all selected.")
        with st.expander("Tag the selected molecules"):
            st.text_input("Tag", key="browse_tag_text", placeholder="hinge-binders")
            t1, t2, _ = st.columns([1, 1, 2])
            t1.button("Tag them", key="browse_tag_go", on_click=_tag_selected, args=(run_id,))
            t2.button("Take this tag off them", key="browse_untag_go", on_click=_tag_selected, args=(run_id, True))
            if said := st.session_state.pop("browse_tag_said", None):
                (st.success if said[0] == "success" else st.error)(plain(said[1]))
        # keyed and stateful: an unkeyed st.tabs falls back to Grid whenever the elements above it change
        # (the page number appears or goes when a filter changes the count)
        grid_tab, table_tab = st.tabs(list(VIEWS), key="browse_view", on_change="rerun")
        alert_sets = (record["profile"] or {}).get("alerts", ["pains", "brenk", "rings"])  # [] is a choice: none
        ignored = (record["profile"] or {}).get("ignore_alerts", [])   # what the run's profile accepts
        with grid_tab:
            for i, row in enumerate(frame.itertuples()):
                if i % 4 == 0:   # a row of columns per four molecules: a long caption cannot push the next row down
                    columns = st.columns(4)
                with columns[i % 4]:
                    alerts = getattr(row, "alerts", 0)
                    # named, not only counted (a review: "2 alerts" sent the chemist to the details panel for each)
                    named = tuple(hit for hit in str(getattr(row, "alert_names", "") or "").split("; ") if hit)
                    said, lit = card_alerts(row.smiles, named, alert_sets, ignored) if named else ("", [])
                    flagged = f" · {alerts} alert{'s' * (alerts != 1)}" + (f": {said}" if said else "") \
                        if pd.notna(alerts) and alerts else ""
                    similarity = getattr(row, "similarity_to_reference", None)
                    if similarity is not None and pd.notna(similarity):   # the run kept near a reference
                        flagged = f" · similarity {similarity:.2f}" + flagged
                    if getattr(row, "failed_filters", None):   # why a molecule that looks fine scores 0
                        flagged += f" · fails {row.failed_filters}"
                    if getattr(row, "failed_conditions", None):   # unranked: which condition it missed
                        flagged += f" · misses {row.failed_conditions}"
                    sorted_by = getattr(row, order_by, None)   # the order shown needs the value it follows
                    if order_by not in ("rank", "score", "qed", "sa", "alerts") and pd.notna(sorted_by):
                        flagged = f" · {LABELS.get(order_by, order_by)} {sorted_by:.4g}" + flagged
                    place = rank_text(row.rank)
                    key = f"select_{run_id}_{row.smiles}"
                    if key in st.session_state and st.session_state[key] != bool(row.selected):
                        st.session_state[key] = bool(row.selected)   # ticked in the table since
                    # the value comes from the store the first time, from the widget's state after that;
                    # unranked molecules all have rank 0, so their boxes are told apart by place on the page
                    label = f"select {place}" if place != "unranked" else \
                        f"select (unranked, {(page - 1) * page_size + i + 1})"
                    # the box above the drawing, so the boxes of a row line up whatever the captions' lengths
                    st.checkbox(label, key=key, on_change=_toggle_selected, args=(run_id, row.smiles, key),
                                **({} if key in st.session_state else {"value": bool(row.selected)}))
                    show_svg(depict(row.smiles, highlight=lit or None,
                                    scaffold=scaffold_atoms(row.smiles, kept)),
                             f"{place} · score {row.score:.3f} · QED {row.qed:.2f} · SA {row.sa:.2f}{flagged}")
                    st.button("details", key=f"details_{run_id}_{row.smiles}", on_click=_show_details,
                              args=(row.smiles,), help="show this molecule in the details panel below (the page scrolls to it)")
        with table_tab:
            table_columns = ["selected", "rank", "smiles", "similarity_to_reference", *KEY_SCORES, "alerts", "alert_names",
                             "novel", "log_likelihood", "tags"]
            if not ranked_only:  # unranked rows (#0) say which condition they missed
                table_columns.insert(3, "failed_conditions")
            # a run without a reference has no similarity to show (the store's column is another run's)
            table = frame[[c for c in table_columns if c in frame.columns
                           and not (c == "similarity_to_reference" and frame[c].isna().all())]].reset_index(drop=True)
            if "alert_names" in table:   # as the details panel words them, not the catalogs' raw names
                table["alert_names"] = [describe_findings([hit for hit in str(text or "").split("; ") if hit])
                                        for text in table["alert_names"]]
            st.caption("Tick **selected** here or in the grid; Export can write only the selected molecules.")
            # The editor's data stays as first shown, its edits on top: new data would reset the editor, and
            # with it the table's scroll and sort, after every tick.
            editor = table_key(run_id, table["smiles"].tolist())
            shown = st.session_state.get("browse_table_shown")
            if not shown or shown["key"] != editor or editor not in st.session_state:
                shown = st.session_state["browse_table_shown"] = {
                    "key": editor, "run": run_id, "rows": table["smiles"].tolist(),
                    "selected": table["selected"].fillna(False).astype(bool).tolist(), "applied": {}}
            table["selected"] = shown["selected"]
            st.data_editor(table, hide_index=True, width="stretch", key=editor,
                           disabled=[c for c in table.columns if c != "selected"],
                           column_config={c: st.column_config.Column(LABELS[c]) for c in table.columns if c in LABELS})

        st.subheader("Details", anchor="details")
        if st.session_state.pop("browse_scroll_to_details", False):
            # brought into view once, after a card's button; the click's number makes each click's element new,
            # so that a second click scrolls again
            st.html(f"<script>/* click {st.session_state['browse_details_clicks']} */ setTimeout(() => "
                    "document.getElementById('details')?.scrollIntoView({block: 'start'}), 50);</script>",
                    unsafe_allow_javascript=True)
        d1, d2 = st.columns([3, 2])
        # the page's molecules by their place; any molecule of the run by rank or SMILES, whatever the filters
        page_smiles = frame["smiles"].tolist()
        if page_smiles and st.session_state.get("browse_detail") not in page_smiles:
            # a molecule of another page (a page turned, a sort, a filter, another run): the page's first instead, set,
            # not dropped: the browser kept showing the one dropped and sent it back with the next change, which read
            # as a pick and cleared the lookup typed (a review: "#50" wiped on every Enter)
            st.session_state["browse_detail"] = page_smiles[0]
        places = dict(zip(page_smiles, (rank_text(r) for r in frame["rank"])))
        if st.session_state.get("browse_find_run") != run_id:   # a lookup typed for another run is not this run's
            st.session_state["browse_find"], st.session_state["browse_find_run"] = "", run_id
        picked = d1.selectbox("Candidate on this page", page_smiles, key="browse_detail",
                              format_func=lambda smiles: f"{places[smiles]} {smiles}",
                              on_change=lambda: st.session_state.update(browse_find=""))   # the one picked is shown
        wanted = d2.text_input("Or any molecule of the run", key="browse_find", placeholder="#12 or a SMILES",
                               help="by rank or SMILES, whatever the filters and the page")
        row = frame.iloc[page_smiles.index(picked)]
        if wanted.strip():
            found, why = find_candidate(run_id, wanted)
            if not len(found):   # no details of another molecule under the error, to be read as the answer
                d2.error(plain(why))
                st.stop()
            row = found.iloc[0]
            if why:   # found as another form of the compound typed
                d2.info(plain(why))
            d1.caption(plain(f"Showing {rank_text(row['rank'])}, looked up; clear the lookup to pick from the page."))
        mol = Chem.MolFromSmiles(row["smiles"])
        if mol is None:  # the store only holds parsed molecules; a hand-edited store could hold anything
            st.error(plain(f"{row['smiles']} does not parse with this RDKit; no details to show"))
            st.stop()
        alert_sets = (record["profile"] or {}).get("alerts", ["pains", "brenk", "rings"])  # [] is a choice: none
        ignored = (record["profile"] or {}).get("ignore_alerts", [])   # what the run's profile accepts
        hits = drawn_alert_atoms(mol, alert_sets, ignored)   # as scoring found them, numbered for the drawing
        left, right = st.columns([2, 3])   # the table's meanings need the room more than the drawing
        with left:
            st.markdown(f"**{plain(rank_text(row['rank']))}** {plain(row['smiles'])}")   # which one, looked up or picked
            highlight = sorted({a for atoms in hits.values() for a in atoms})
            in_scaffold = scaffold_atoms(row["smiles"], kept)
            said = [*(["alert atoms in red"] if highlight else []), *(["kept substructure in blue"] if in_scaffold else [])]
            show_svg(depict(row["smiles"], (520, 400), highlight, in_scaffold), ", ".join(said))
            # the run's findings (every set it reports, MOSES's rules too), each once, as the grid counts them
            named = [hit for hit in str(row.get("alert_names") or "").split("; ") if hit] or list(hits)
            if named:
                st.warning(plain(f"Alerts ({count_findings(named, hits)}): {describe_findings(named, hits)}"))
            if row.get("failed_filters"):
                st.warning(plain(f"Score set to 0 by the profile's hard filters: {row['failed_filters']} "
                                 "(a hard filter on an alert set fails when the molecule raises one of its alerts)"))
            if row.get("failed_conditions"):
                st.warning(plain(f"Missed the run's conditions (unranked): {row['failed_conditions']}"))
        with right:
            # numpy scalars too: a count column (Int64) gives numpy.int64, which is not an int
            numbers = {k: v for k, v in row.items() if isinstance(v, (numbers_module.Real, np.bool_))
                       and k not in ("id", "selected") and not pd.isna(v)}
            names = details_order(numbers)
            # a static table: its meanings wrap, where a data grid cut them at the column's width
            st.table(pd.DataFrame({"property": names,
                                   "value": [display_value(numbers[n]) for n in names],
                                   "meaning": [column_meaning(name, alert_sets, (record["profile"] or {}).get("rules"))
                                               for name in names]}).set_index("property"))
        if sources := training_sources(record):
            fps, smiles, note = training_neighbours(sources, file_states(s[0] for s in sources))
            st.markdown(f"**Nearest training-set neighbours** (Morgan Tanimoto, among {note})")
            for column, (neighbour, similarity) in zip(st.columns(3), nearest_neighbours(mol, fps, smiles, 3)):
                with column:
                    show_svg(depict(neighbour, (240, 180)), f"{similarity:.2f} · {neighbour}")
