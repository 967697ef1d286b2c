"""A stored run's settings, read back as the arguments of :func:`molgen.runs.generate`: a chemist generates
again from yesterday's run, the same, with another seed, more molecules or one condition changed."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path, PureWindowsPath

from molgen.data.moses import sha256_of as file_sha256
from molgen.models.base import family_class, shipped_checkpoints
from molgen.runs.conditions import conditions_from_dict
from molgen.runs.store import RunStore
from molgen.scoring.profiles import marked_as_stored, stored_profile


def run_settings(run: str, *, store: RunStore | None = None, model: str | None = None, profile=None) -> dict:
    """The settings run ``run`` (id or name) started with, as keyword arguments of ``generate``.

    ``generate(**run_settings("hits"))`` samples the molecules run "hits" sampled: the same checkpoint,
    seed, chunk size, sampling options (each family's defaults as the run pinned them), conditions and
    profile; for a run whose budget was raised on a resume, the sizes its chunks had (``chunk_plan``: the old budget
    cut one short). Change any for a variation, e.g. ``{**run_settings("hits"), "seed": 2}``; with another ``n``,
    set ``max_samples`` too (``None``: 20 x n), since the stored budget was sized for the run's own n, and leave out
    ``chunk_plan``.
    A run stored before a molecule failing a hard filter stopped counting towards ``n`` is repeated
    under today's counting, so it may stop at another molecule; one stored before a kept scaffold's stereocentres
    were set on its molecules is repeated with them set; a graph VAE run that decoded around a reference given
    without a threshold is repeated sampling the prior (a reference alone is now a similarity column,
    ``generate.to_steer``). The run's name is not carried: names are
    unique. ``FileNotFoundError`` when its checkpoint is gone and no ``model`` is given in its place;
    :func:`checkpoint_changed` tells whether the file at its path is still the one the run sampled.
    ``model``: another checkpoint (or shipped model name) for the run's other settings. ``run`` may also be
    the path of a run's export manifest (``best.csv.manifest.json``), which holds its record: a run repeated
    from another store or machine. ``profile``: another scoring profile (the run's own is then not read, so a
    stored profile a later check refuses can be replaced)."""
    record = run_record(run, store=store)
    checkpoint = Path(record["checkpoint"])
    if model is None and not checkpoint.is_file():
        raise FileNotFoundError(f"run {record['id']} ({record['name']}): its checkpoint {checkpoint} is gone, so "
                                "its settings cannot be used again; choose a model")
    params = record["params"]
    # options a run stored before they were pinned were sampled with the values the family lists for them
    pinned_later = getattr(family_class(record["model"]), "OPTIONS_BEFORE_PINNED", {})
    return {"model": str(checkpoint) if model is None else model, "n": int(record["n_requested"]),
            "conditions": conditions_from_dict(record["conditions"]),
            # a stored profile under a shipped name with other content (an older molgen's) is the run's, and is
            # recorded as such (marked_as_stored), not passed off as the shipped one
            "profile": profile if profile is not None
            else marked_as_stored(stored_profile(record["profile"], f"run {record['id']}")),
            "seed": int(record["seed"]), "max_samples": int(params["max_samples"]),
            "chunk_size": int(params["chunk_size"]),
            # a run whose budget was raised on a resume: its first chunks' sizes, which the old budget shaped
            **({"chunk_plan": list(params["chunk_plan"])} if params.get("chunk_plan") else {}),
            "sample_options": {**pinned_later, **params["sample_options"]}}


#: What a run's record needs for its settings to be read back.
RECORD_KEYS = ("id", "name", "model", "checkpoint", "checkpoint_sha256", "seed", "n_requested", "params", "conditions",
               "profile")


def run_record(run: str, *, store: RunStore | None = None) -> dict:
    """The record of run ``run``: an id or name in the store, or the path of a run's export manifest (``FILE
    .manifest.json``, which holds the record whole). A run from another machine whose checkpoint path does not
    exist here is pointed at the shipped checkpoint of the same name and sha256, when this molgen ships it."""
    path = Path(run)
    if not path.is_file():
        if run.endswith(".manifest.json"):   # a manifest meant, not a run's name: say the file is missing
            raise FileNotFoundError(f"{path}: no such manifest file (an export writes FILE.manifest.json beside FILE)")
        return (store or RunStore()).run(run)
    if not run.endswith(".json"):   # an exported table: its manifest beside it holds the run
        raise ValueError(f"{path} is a file, not a run: give a run's id or name, or its export's manifest "
                         f"({path.name}.manifest.json)")
    try:
        manifest = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: not a readable manifest ({error})") from None
    record = manifest.get("run") if isinstance(manifest, dict) else None
    if not isinstance(record, dict) or any(key not in record for key in RECORD_KEYS):
        raise ValueError(f"{path}: not the manifest of a run's export (molgen export writes one beside the file it "
                         "exports); a scored table's manifest holds no run")
    # its times as the store keeps them, seconds since 1970 (the export wrote them as ISO text for reading)
    record = dict(record)
    for key in ("created", "updated"):
        if isinstance(record.get(key), str):
            try:
                record[key] = datetime.fromisoformat(record[key]).timestamp()
            except ValueError:   # a time edited by hand: not worth refusing the run for
                del record[key]
    checkpoint = Path(record["checkpoint"])
    # the file's name from a path written on any system (C:\\...\\smiles-lm-lstm.pt read on Linux)
    stem = PureWindowsPath(record["checkpoint"]).stem if "\\" in record["checkpoint"] else checkpoint.stem
    shipped = shipped_checkpoints().get(stem)
    if not checkpoint.is_file() and shipped is not None and file_sha256(shipped) == record["checkpoint_sha256"]:
        record = {**record, "checkpoint": str(shipped)}
    return record


def checkpoint_changed(run: str | dict, *, store: RunStore | None = None) -> bool:
    """Whether the file at a run's checkpoint path differs from the one the run sampled (retrained or replaced
    since): the same settings then give other molecules. ``run``: an id, a name or a run's record."""
    record = run if isinstance(run, dict) else run_record(run, store=store)
    checkpoint = Path(record["checkpoint"])
    return not checkpoint.is_file() or file_sha256(checkpoint) != record["checkpoint_sha256"]
