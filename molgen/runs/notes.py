"""What a run's numbers do not say by themselves, in sentences the command line and the workbench both show.

How many molecules copy the model's training data (a fine-tuned model writes its series back), how many keep a
scaffold or the common ring system of the series it was fine-tuned on, and which alert most of them raise (likely the series' own
group, which a profile can accept). Each note is computed from the run's record and its stored molecules.
"""

from __future__ import annotations

import shlex
from collections import Counter
from pathlib import Path
from typing import Callable

import pandas as pd

from molgen.models.training import is_fine_tune
from molgen.runs.generate import changed_training_files, copies_of_own_data, series_scaffold_counts
from molgen.scoring.alerts import WHAT_IT_MATCHES


def run_notes(record: dict, candidates: Callable[..., pd.DataFrame], on_page: bool = False) -> list[str]:
    """Every note on a finished run: its training data's share, then an alert most of its ranked molecules raise.
    ``candidates``: the run's molecules, called with ``RunStore.candidates``'s keywords (``Run.candidates``);
    ``on_page``: what to do named as the workbench's controls, not as commands."""
    notes = training_data_notes(record, lambda: candidates(ranked_only=False, columns=["smiles", "novel", "rank"]),
                                on_page)
    return notes + common_alert_notes(candidates(ranked_only=True, columns=["alert_names"])["alert_names"],
                                      "ranked molecules", on_page=on_page, generated=True)


def training_data_notes(record: dict, candidates, on_page: bool = False) -> list[str]:
    """What a run's molecules owe to its model's training data: how many copy it (a fine-tuned model writes its
    series back, and those rank beside new molecules unless looked for), how many of the series' own; for a
    fine-tuned model, how many keep a series member's Murcko scaffold and how many its common ring system (a
    chemist's export of the best 50 may hold few).
    ``candidates``: reads the run's molecules (smiles, novel, rank), only when needed."""
    counts, notes, stored = record["counts"] or {}, [], None
    if counts.get("novel") is None:
        if counts.get("unique") and (changed := changed_training_files(record.get("model_training") or {})):
            notes.append(f"novelty unknown: {', '.join(Path(c).name for c in changed)} "
                         f"{'has' if len(changed) == 1 else 'have'} changed since the model learned "
                         f"{'it' if len(changed) == 1 else 'them'} (the sha256 differs from the card's), so the "
                         "molecules it saw cannot be read from it (a run made with the file as it was counts them)")
        elif counts.get("unique"):
            notes.append(f"novelty unknown: the model's training data ({trained_on(record)}) cannot be read from here")
    elif copies := counts["unique"] - counts["novel"]:
        stored = candidates()
        own = copies_of_own_data(record, stored.loc[stored["novel"].eq(False), "smiles"])
        series = (f", {own:,} of them from {Path(record['model_training']['data']).name}" if own is not None else "")
        notes.append(f"{copies:,} of the {counts['unique']:,} unique molecules {'is' if copies == 1 else 'are'} in the model's training data "
                     f"({trained_on(record)}){series}: column novel is False for them; "
                     + ("Browse's \"Novel only\" or Export's filter novel == True leaves them out" if on_page else
                        f"`molgen export {shlex.quote(record['name'])} --where 'novel == True' -o new.csv` leaves them out"))
    if not is_fine_tune(record.get("model_training") or {}) or not counts.get("unique"):
        return notes   # not a fine-tuned model's run: no series to be near
    stored = candidates() if stored is None else stored
    # rank 0: stored but missing a condition (unranked), not the best of the run
    ranked = stored[stored["rank"].fillna(0) > 0].sort_values("rank") if "rank" in stored else stored
    kept = series_scaffold_counts(record, ranked["smiles"].tolist(), top=50) if len(ranked) else None
    if kept is not None:   # none ranked: "0 of the 0" says nothing
        core = kept["core"]
        held = ("" if core is None else f"; {kept['with_core']:,} hold its ring system {core.smiles} (that of "
                f"{core.share:.0%} of the series), {kept['top_with_core']} of the best {kept['top']}")
        notes.append(f"{kept['on_scaffold']:,} of the {len(ranked):,} ranked molecules keep a whole Murcko scaffold "
                     f"of {Path(record['model_training']['data']).name}, {kept['top_on_scaffold']} of the best "
                     f"{kept['top']}{held}: the profile ranks by its own terms, not by closeness to the series "
                     + ("(on Generate, a kept substructure keeps a core; a molecule to stay near keeps close to it)"
                        if on_page else "(--scaffold keeps a core; --similar-to stays near a molecule)"))
    return notes


def training_sources(record: dict) -> tuple[tuple[str, str | None, str | None], ...]:
    """What a run's model learned from, nearest first, as (data, SMILES column, the file's sha256 as learned)
    triples: its record's lineage, else (a run stored before lineages were kept) its checkpoint's, read again; ()
    where neither can be read."""
    from molgen.runs.generate import lineage_reading, model_lineage

    lineage = record.get("model_training") or {}
    if not lineage.get("data"):
        from molgen.models.base import load_checkpoint

        try:
            lineage = model_lineage(load_checkpoint(record["checkpoint"]).get("training") or {})
        except Exception:  # noqa: BLE001 -- a checkpoint moved or damaged since the run: nothing to say
            return ()
    return tuple(lineage_reading(lineage))


def trained_on(record: dict) -> str:
    """The data a run's model learned from, as its record keeps it: a fine-tune's series, then what it started from."""
    lineage = record.get("model_training") or {}
    sources = [lineage.get("data")] + [parent.get("data") for parent in lineage.get("started_from", [])]
    named = [Path(s).name if Path(s).suffix else s for s in reversed([s for s in sources if s])]
    # a run continued on its own data names it once: "moses, then series.csv", not "moses, then moses, ..."
    return ", then ".join(n for i, n in enumerate(named) if i == 0 or n != named[i - 1]) or "not recorded"


#: Alert sets no series' molecules raise as their own: no ignore_alerts is offered for them (a review's tiny model
#: wrote Cl, N and F, and was told a profile could accept "inorganic:no carbon atom").
NO_SERIES_OWN = frozenset({"inorganic", "radicals"})


def common_alert_notes(alert_names: pd.Series, what: str = "valid molecules", share: float = 0.25,
                       least: int = 5, on_page: bool = False, generated: bool = False) -> list[str]:
    """An alert raised by a quarter or more of a table's molecules (``alert_names``, one cell each; five at least)
    is likely the series' own group (a solubilising chain, a warhead): say so, and how a profile accepts it,
    rather than let it push the whole series down. ``generated``: the molecules are a run's, so an alert no series
    raises as its own (:data:`NO_SERIES_OWN`) is the model's doing, and said so."""
    # by name: brenk:aldehyde and nih:aldehyde are one finding, and only the bare name accepts both
    per_molecule = [dict.fromkeys(hit.partition(":")[2] or hit for hit in names.split("; ") if hit)
                    for names in alert_names.fillna("")]
    counts = Counter(name for names in per_molecule for name in names)
    sets: dict[str, set[str]] = {}
    for names in alert_names.fillna(""):
        for hit in filter(None, names.split("; ")):
            sets.setdefault(hit.partition(":")[2] or hit, set()).add(hit.partition(":")[0])
    notes = []
    for name, count in counts.most_common():
        if count >= least and count >= share * len(alert_names):
            accepted = name if len(sets[name]) > 1 else f"{next(iter(sets[name]))}:{name}"
            meaning = f" ({WHAT_IT_MATCHES[name]})" if name in WHAT_IT_MATCHES else ""
            if sets[name] <= NO_SERIES_OWN:   # accepting it would lift a hard filter (Br2 ranked first in a review)
                notes.append(f"{accepted} is raised by {count:,} of the {len(alert_names):,} {what}: no series' own "
                             "group" + (", but molecules a model writes before it has learned its chemistry (train it "
                                        "longer, or use another model)" if generated else
                                        ", and a hard filter of the shipped profiles: these are no drug candidates"))
                continue
            notes.append(f"{accepted}{meaning} is raised by {count:,} of the {len(alert_names):,} {what}: if it is the "
                         f"series' own, a profile can accept it with ignore_alerts = [\"{accepted}\"] "
                         + ("(in the profile's TOML, edited on Generate)" if on_page else
                            "(a copy of --profile's TOML; see README, scoring)"))
    return notes
