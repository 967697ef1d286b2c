"""The Generate form filled from a stored run: the chemist starts from yesterday's run and changes a seed, n or
a condition. Only what the form can hold is filled; whatever it cannot (a model that is not shipped, a value
beyond a slider, a condition it has no field for) is said, never dropped silently."""

from __future__ import annotations

import re
from pathlib import Path

from molgen.models.graph_diffusion.model import FLOW_DEFAULTS
from molgen.runs.generate import DEFAULT_BUDGET_FACTOR, LARGE_RUN, default_chunk_size
from molgen.scoring.profiles import (ProfileError, differs_from_shipped, load_profile, marked_as_stored, shipped_profiles,
                                     stored_profile)

#: Property sliders of the form: (label, low, high, default window, step).
SLIDERS = {"qed": ("QED", 0.0, 1.0, (0.5, 1.0), 0.01), "sa": ("SA score", 1.0, 10.0, (1.0, 4.0), 0.1),
           "logp": ("logP", -5.0, 10.0, (0.0, 5.0), 0.1), "mw": ("MW (g/mol)", 0.0, 800.0, (200.0, 500.0), 5.0),
           "tpsa": ("TPSA (Å²)", 0.0, 250.0, (20.0, 140.0), 1.0)}

#: The form's sampling-option fields (session key ``gen_<option>``) and their (low, high): the form draws its
#: widgets with them, and a run's value beyond them is said rather than set.
OPTION_BOUNDS = {"candidates": (2, 50), "beam_width": (2, 500), "top_k": (0, 100), "top_p": (0.05, 1.0),
                 "temperature": (0.2, 2.0), "guidance": (0.0, 2.0), "target_guidance": (0.0, 2.0),
                 "stochasticity": (0.0, 50.0), "step_spacing": (1.0, 3.0)}
STEP_CHOICES = (10, 25, 50, 100, 250, 500)
BUDGET = (100, 2_000_000)
#: The form's molecules and seed fields (a run from the command line may have asked for more).
N_RANGE = (1, LARGE_RUN)
SEED_RANGE = (0, 2**31 - 1)


def open_ends(prop: str, window: tuple[float, float]) -> tuple[float | None, float | None]:
    """A slider's window as a condition: an end left at the slider's limit is no bound. "MW up to 450" is
    ``mw <= 450``, as on the command line, not ``0 <= mw <= 450``, which a model steering towards ranges reads as
    a window centred on 225."""
    _, low, high, _, _ = SLIDERS[prop]
    return (None if window[0] <= low else float(window[0]), None if window[1] >= high else float(window[1]))


def target_label(prop: str) -> str:
    """The form's radio choice for a target on ``prop`` (it names the tolerance)."""
    from molgen.scoring.properties import tolerance

    return f"target (+/- {tolerance(prop):g})"


def form_from_run(record: dict, checkpoints: dict[str, Path], current_profile: str | None = None) -> tuple[dict, list[str]]:
    """The Generate form's session values that repeat run ``record``, and the notes on what they cannot hold.

    ``checkpoints``: the form's model choices (label -> path). ``current_profile``: the profile picked now,
    whose text box holds the run's profile when that is no shipped one (edited, or a file of the chemist's)."""
    values: dict = {"gen_name": ""}
    notes: list[str] = []
    # a number past the field's bounds is left out and said here (the page would refuse it, and Generate wait)
    for key, name, value, bounds in (("gen_n", "molecules asked for", int(record["n_requested"]), N_RANGE),
                                     ("gen_seed", "seed", int(record["seed"]), SEED_RANGE)):
        if _within(name, value, *bounds, notes, like=record["id"]):
            values[key] = value
    checkpoint = Path(record["checkpoint"]).resolve()
    label = next((label for label, path in checkpoints.items() if Path(path).resolve() == checkpoint), None)
    if label is None:
        notes.append(f"its model {checkpoint.name} is among neither the shipped checkpoints nor the files on this "
                     f"machine ({checkpoint} is gone): `molgen generate --like {record['id']} --model NEW.pt` runs "
                     "its settings with another")
    else:
        values["gen_model"] = label
    params = record["params"]
    n = int(record["n_requested"])
    budget = int(params["max_samples"])
    if budget == DEFAULT_BUDGET_FACTOR * n:
        values["gen_budget"] = None
    elif _within("sampling budget", budget, *BUDGET, notes):
        values["gen_budget"] = budget
    if params["chunk_size"] != default_chunk_size(n):
        notes.append(f"it sampled in chunks of {params['chunk_size']:,}, this form in chunks of "
                     f"{default_chunk_size(n):,}: the same seed gives other molecules "
                     f"(`molgen generate --like {record['id']}` keeps its chunks)")
    elif params.get("chunk_plan"):   # its budget was raised on a resume, after a chunk the old one cut short
        planned = len(params["chunk_plan"])
        notes.append(f"its budget was changed when it was resumed, which left its first "
                     f"{f'{planned:,} chunks' if planned != 1 else 'chunk'} sized as the old budget allowed; this form "
                     "sizes them afresh, so the same seed may give other molecules "
                     f"(`molgen generate --like {record['id']}` keeps its chunks)")
    options = dict(params["sample_options"])
    conditions = record["conditions"] or {}
    if record["model"] == "graph-diffusion" and conditions.get("targets") and not conditions.get("scaffold") \
            and "num_atoms" not in options and not options.get("target_sizes", False):
        # a run stored before targeted graphs drew their atom counts near the targets (no key), or told not to
        why = "told so" if "target_sizes" in options else "an older molgen"
        notes.append(f"it drew its graphs' atom counts from the whole training set, not near its targets ({why}): "
                     "this form draws them near the targets where the model carries a label prior (`molgen "
                     "generate --like` keeps the run's way)")
    options.pop("target_sizes", None)
    _sampling_options(record["model"], options, values, notes, conditions.get("scaffold"))
    _conditions(record["conditions"], record.get("native") or {}, values, notes)
    _profile(record["profile"], values, current_profile, notes)
    return values, notes


def _within(name: str, value, low, high, notes: list[str], like: str | None = None) -> bool:
    """Whether ``value`` fits the form's field (``low`` to ``high``); if not, noted as left out (``like``: the run
    whose settings `molgen generate --like` repeats whole)."""
    if low <= value <= high:
        return True
    def shown(number) -> str:   # counts with thousands separators, whole (a budget of 2,000,000, not 2e+06)
        return f"{number:,}" if isinstance(number, int) else f"{number:g}"

    notes.append(f"its {name} {shown(value)} lies beyond this form's {shown(low)} to {shown(high)}: left as the form had it"
                 + (f" (`molgen generate --like {like}` runs it as it was)" if like else ""))
    return False


def _sampling_options(family: str, options: dict, values: dict, notes: list[str], scaffold: str | None = None) -> None:
    """The run's options over the form's defaults: an option a run did not set was sampled at its default, so
    a field the chemist changed since goes back to it."""
    from molgen.models.graph_vae.sample import DEFAULT_DECODING, MOST_LIKELY_CANDIDATES, MOST_LIKELY_TEMPERATURE

    values.update({"smiles-lm": {"gen_strategy": "sample", "gen_temperature": 1.0, "gen_top_k": 0, "gen_top_p": 1.0,
                                 "gen_beam_width": 10, "gen_bf16": False},
                   "graph-vae": {"gen_decoding": DEFAULT_DECODING, "gen_candidates": MOST_LIKELY_CANDIDATES,
                                 "gen_temperature": 1.0, "gen_temperature_most_likely": MOST_LIKELY_TEMPERATURE},
                   "graph-diffusion": {"gen_guidance": 0.0, "gen_projection": False}}.get(family, {}))
    for key in ("decoding", "strategy"):
        if key in options:
            values[f"gen_{key}"] = options.pop(key)
    if "bf16" in options:
        values["gen_bf16"] = bool(options.pop("bf16"))
    if "projection" in options:
        values["gen_projection"] = bool(options.pop("projection"))
    if "temperature" in options:
        temperature = options.pop("temperature")
        key = "gen_temperature_most_likely" if values.get("gen_decoding") == "most-likely" else "gen_temperature"
        if _within("temperature", temperature, *OPTION_BOUNDS["temperature"], notes):
            values[key] = float(temperature)
    if "steps" in options:
        from molgen.models.graph_diffusion.model import sampler_options

        steps = options.pop("steps")
        if steps in STEP_CHOICES:
            values["gen_steps"] = int(steps)
            # the form puts the sampler back to the default of the step count and scaffold when they change: note
            # that default as already seen, so the run's own sampler stays
            values["gen_sampler_default"] = sampler_options(steps=int(steps), scaffold=scaffold or None)["sampler"]
        else:
            notes.append(f"its {steps} diffusion steps are not among this form's "
                         f"{', '.join(map(str, STEP_CHOICES))}: left as the form had it")
    if "sampler" in options:
        values["gen_sampler"] = options.pop("sampler")
        if values["gen_sampler"] != "flow":
            # pinned as 0 because the ancestral sampler has none: the flow sliders take their defaults (set, not
            # left: the page keeps hidden fields' values, which would bring back ones from before, a review)
            for key in FLOW_DEFAULTS:
                options.pop(key, None)
                values[f"gen_{key}"] = FLOW_DEFAULTS[key]
    for option, value in options.items():
        if option in OPTION_BOUNDS:
            if _within(option.replace("_", " "), value, *OPTION_BOUNDS[option], notes):
                values[f"gen_{option}"] = value
        else:
            notes.append(f"its sampling option {option} = {value} has no field on this form: "
                         "left out (`molgen generate --like` keeps it)")


def _conditions(conditions: dict, native: dict, values: dict, notes: list[str]) -> None:
    targets, ranges = dict(conditions.get("targets") or {}), dict(conditions.get("ranges") or {})
    for prop, (label, low, high, _, _) in SLIDERS.items():
        values[f"gen_on_{prop}"] = prop in targets or prop in ranges
        if prop in targets:
            values[f"gen_kind_{prop}"] = target_label(prop)
            if _within(f"{label} target", targets[prop], low, high, notes):
                values[f"gen_target_{prop}"] = float(targets[prop])
            else:
                values[f"gen_on_{prop}"] = False
            if prop in ranges:
                notes.append(f"its {label} range {_window(ranges[prop])} beside the target: this form holds one or "
                             "the other, and keeps the target")
        elif prop in ranges:
            values[f"gen_kind_{prop}"] = "range"
            lo, hi = ranges[prop]
            window = (low if lo is None else lo, high if hi is None else hi)
            if (lo is not None and lo < low) or (hi is not None and hi > high):
                notes.append(f"its {label} window {_window(ranges[prop])} reaches beyond this form's slider "
                             f"({low:g} to {high:g}): left out")
                values[f"gen_on_{prop}"] = False
            else:
                values[f"gen_range_{prop}"] = (float(window[0]), float(window[1]))
                if open_ends(prop, window) != (lo, hi) and f"range {prop}" in native:
                    # a run from before the slider's ends meant "no bound": the same filter, another steer
                    notes.append(f"its {label} window {_window(ranges[prop])} was closed at the slider's end, which "
                                 "this form reads as no bound: the filter keeps the same molecules, but the model, "
                                 "which steered towards the window, aims elsewhere (`molgen generate --like` keeps it)")
    for prop in sorted((set(targets) | set(ranges)) - set(SLIDERS)):
        notes.append(f"its condition on {prop} has no field on this form: left out "
                     "(`molgen generate --like` keeps it)")
    if conditions.get("prefix") or conditions.get("prefixes"):
        notes.append("its SMILES prefix has no field on this form: left out")
    values["gen_scaffold"] = conditions.get("scaffold") or ""
    values["gen_avoid"] = "\n".join(conditions.get("avoid") or [])
    values["gen_reference"] = conditions.get("similar_to") or ""
    if conditions.get("similar_to"):
        values["gen_min_sim"] = float(conditions.get("min_similarity") or 0.0)


def _window(window) -> str:
    lo, hi = window
    return f"{'-inf' if lo is None else f'{lo:g}'} to {'inf' if hi is None else f'{hi:g}'}"


def _profile(profile: dict, values: dict, current: str | None, notes: list[str]) -> None:
    """A shipped profile as the run used it is picked by name; any other (edited on this page, or the chemist's
    own file) goes into the text box of the shipped one it was edited from, else of the profile picked now."""
    shipped = shipped_profiles()
    name = profile.get("name", "")
    if name in shipped and not differs_from_shipped(profile):
        values["gen_profile"] = name
        values[f"gen_toml_{name}"] = load_profile(name).to_toml()   # not an edit left there by an earlier fill
        return
    # "drug-like (edited D)" (edited on this page) or "drug-like (not as shipped now, D)" (an older molgen's, repeated)
    base = re.sub(r" \((?:edited \w+|not as shipped now(?:, \w+)?)\)$", "", name)
    picked = base if base in shipped else (current if current in shipped else shipped[0])
    try:
        as_stored = marked_as_stored(stored_profile(profile, "the run"))   # named as a run from it records it
        toml = as_stored.to_toml()
    except ProfileError as error:   # a check added since the run refuses its profile: the form keeps its own
        notes.append(f"its profile is not filled in: {error}")
        return
    values["gen_profile"] = picked
    values[f"gen_toml_{picked}"] = toml
    if name in shipped:   # the shipped name with other content: a run by an older molgen, or an edit kept the name
        notes.append(f"its profile, named {name}, is not the {name} this molgen ships (an older molgen's, or one "
                     f"edited under its name): it is in {name}'s box as the run had it, and a run from it is recorded "
                     f"as {as_stored.name!r}")
