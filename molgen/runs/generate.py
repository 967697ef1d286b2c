"""A generation is a run: sample in chunks, canonicalize, deduplicate, mark novelty, apply the
conditions, score with a profile, rank, and keep it all in the run store.

Every chunk is sampled with its own seed (derived from the run's seed and the chunk's index)
and stored in one transaction with its record, so a run killed at any moment resumes after
its last whole chunk (:func:`resume`) and ends with exactly the molecules an uninterrupted run
would have: none missing, none twice.
"""

from __future__ import annotations

import inspect
import math
import platform
import re
import sys
import time
import warnings
from contextvars import ContextVar
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from rdkit import Chem

from molgen.chem.parse import (FRAGMENT_REASON, has_dummy_atom, misplaced_attachment_point, parse_smiles,
                               problem_in_words)
from molgen.chem.rdkit_log import quiet_rdkit
from molgen.data.moses import sha256_of as file_sha256
from molgen.models.base import FAMILIES, Conditions, load_checkpoint, whole_number
from molgen.models.training import is_fine_tune, training_of
from molgen.progress import progress_bar
from molgen.runs.conditions import (ConditionError, ConditionFilter, build_conditions, check_new_conditions,
                                    conditions_from_dict, conditions_to_dict, missed_most)
from molgen.runs.store import LeaseLost, RunStore, new_owner, passes_hard_filters, run_ranks
from molgen.scoring.profiles import ScoringProfile, load_profile, stored_profile
from molgen.scoring.similarity import written_as_smarts

#: With no ``max_samples``, a run may draw this many times the molecules asked for before it gives up.
DEFAULT_BUDGET_FACTOR = 20
#: Runs above this many molecules are large: the workbench's form stops here, the command line says so.
LARGE_RUN = 100_000
MIN_CHUNK = 32


@dataclass
class Run:
    """A handle on one stored run: ``Run("my-run")`` opens a run of the default store by its name or id (its
    ``id`` is then the stored id, as the candidates' ``run_id`` column holds it; a review read the name back)."""

    id: str
    store: RunStore | None = None

    def __post_init__(self) -> None:
        if self.store is None:
            self.store = RunStore()
        self.id = self.store.resolve(self.id)   # RunNotFound, naming the stored runs, for one that is not there

    @property
    def record(self) -> dict:
        return self.store.run(self.id)

    @property
    def status(self) -> str:
        return self.record["status"]

    @property
    def message(self) -> str:
        """The run's message, its advice in Python's words (the stored one names command-line flags)."""
        return in_python(self.record["message"])

    @property
    def counts(self) -> dict:
        return self.record["counts"]

    def candidates(self, ranked_only: bool = True, **options) -> pd.DataFrame:
        """The ranked set (molecules meeting every condition, best first); ``ranked_only=False`` for all.
        Columns as a chemist reads them: rank, SMILES and score first; the store's row keys last."""
        frame = self.store.candidates(self.id, ranked_only=ranked_only, **options)
        first = [c for c in ("rank", "smiles", "score") if c in frame.columns]
        last = [c for c in ("id", "run_id") if c in frame.columns]
        return frame[first + [c for c in frame.columns if c not in first + last] + last]

    def export(self, path, **options) -> Path:
        """Write the run's candidates to ``path`` (.csv, .tsv, .sdf or .parquet; .csv.gz and .tsv.gz too) with a
        manifest beside it (FILE.manifest.json), replacing files there, as `molgen export` does: the ranked set, or
        with ``selected_only`` or ``tagged`` the molecules picked on Browse, ranked or not. ``options``: ``top`` (the
        best N), ``diverse`` (no two above this Tanimoto), ``where`` (a filter on the columns, e.g. "qed > 0.7 and
        alerts == 0"), ``selected_only``, ``tagged``, ``passing_only`` (leave out molecules failing the profile's
        hard filters), ``include_unranked`` and ``format`` (a path without an ending gets the format's). Returns the
        file's path (a filter that keeps nothing writes a file of no rows); ``ExportError`` for a path or option it
        cannot take."""
        from molgen.runs.export import export_run

        return export_run(self.store, self.id, path, **options)

    def notes(self) -> list[str]:
        """What ``molgen generate`` says of a run beside its message, for a script: how validity was counted, the
        conditions the model steered and those the filter alone met, a property window few training molecules
        reach, the training molecules and alerts its ranked set holds (a review: from Python, nothing said that
        the graph VAE keeps no scaffold)."""
        from molgen.runs.conditions import FEW_TRAINING_MOLECULES, ConditionFilter, conditions_from_dict, training_share
        from molgen.runs.notes import run_notes

        record = self.record
        said = [f"how validity is counted: {validity_note(record)}"]
        steered = [what.split(" ", 1)[1] for what in record["native"] if what.startswith(("target ", "range "))]
        share = training_share(ConditionFilter(conditions_from_dict(record["conditions"])).windows(), steered,
                               say_windows=True)   # read apart from the conditions: "lie inside it" named nothing
        if share is not None and share[0] < FEW_TRAINING_MOLECULES:
            said.append(share[1])
        said += [f"{what}: steered natively by {how}" for what, how in record["native"].items()]
        if alone := filter_alone_note(record):
            said.append(alone)
        return [in_python(note) for note in said + run_notes(record, self.candidates)]


#: The command-line advice a run's message and notes give, as a script calling molgen.generate would follow it
#: (the workbench's ``on_this_page`` says it as the page's controls). A review: from Python, the notes said
#: `molgen generate --resume ...`.
_IN_PYTHON = [
    (r"\(more: molgen generate --resume (\S+) --max-samples N\)", r"(more: molgen.runs.resume('\1', max_samples=N))"),
    (r"continue with `molgen generate --resume (\S+)`", r"continue with `molgen.runs.resume('\1')`"),
    (r"`molgen export (.+?) --where '([^']+)' -o ([^`]+)`", r"`run.export('\3', where='\2')`"),
    (r"--scaffold '([^']+)'", r"scaffold='\1'"),
    (r"\(--model (\S+) or (\S+)\)", r"(model='\1' or '\2')"),
    (r"nother --model", r"nother model="),   # before the next: "another --model or a model fine-tuned ..."
    (r"--model ([a-z][\w-]*)", r"model='\1'"),
    (r"--decoding sampled with a higher --temperature",
     r"sample_options={'decoding': 'sampled', 'temperature': ...} with a higher temperature"),
    (r"([Aa]) higher --temperature", r"\1 higher sample_options={'temperature': ...}"),   # sentence-first too
    (r"More --steps", r"More sample_options={'steps': ...}"),
    (r"\(--scaffold keeps a core; --similar-to stays near a molecule\)",
     r"(scaffold= keeps a core; similar_to= stays near a molecule)"),
    (r"\(a copy of --profile's TOML; see README, scoring\)",
     r"(a copy of the profile's TOML, its path given as profile=; see README, scoring)"),
]


def in_python(text: str) -> str:
    """``text`` (a run's message or note) with its command-line advice as a Python caller follows it."""
    for pattern, replacement in _IN_PYTHON:
        text = re.sub(pattern, replacement, text)
    return text


class SampleOptionError(ValueError):
    """Sampling options the chosen model does not take; ``accepted`` are those it does, so a caller
    (the command line) can name them in its own terms."""

    def __init__(self, family: str, foreign: list[str], accepted: list[str]):
        self.family, self.foreign, self.accepted = family, foreign, accepted
        super().__init__(f"a {family} model takes no {', '.join(foreign)}; its sampling options are {', '.join(accepted)}")


def resolve_checkpoint(model: str) -> tuple[str, Path]:
    """(family, checkpoint path) for a family name (its shipped default), the name of a shipped
    checkpoint (``smiles-lm-transformer``) or a checkpoint path."""
    from molgen.models.base import checkpoint_path, shipped_checkpoint

    if model in FAMILIES:
        path = shipped_checkpoint(model)
        if path is None:
            raise FileNotFoundError(f"molgen ships no {model} checkpoint yet; give a checkpoint path")
        return model, path
    path = checkpoint_path(model)
    return load_checkpoint(path).get("family"), path


def package_versions() -> dict:
    """The versions a run's, a table's or an export's numbers depend on; molgen's source commit too when it runs
    from a git checkout (:func:`source_commit`)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("molgen", "rdkit", "torch", "torch-geometric", "numpy", "pandas", "pyarrow"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    if commit := source_commit():
        out["molgen_commit"] = commit
    return out


@lru_cache(maxsize=1)
def source_commit() -> str | None:
    """The git commit molgen's source is at when it runs from a checkout (an editable install), "+changes" when its
    files differ from it: the version number stays 0.1.0 across commits whose scoring differs (a review). None
    outside a checkout, or without git."""
    import subprocess

    root = Path(__file__).resolve().parents[2]
    if not (root / ".git").exists():
        return None
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10)
        changed = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no", "--",
                                  "molgen"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    if head.returncode or changed.returncode:
        return None
    return head.stdout.strip() + ("+changes" if changed.stdout.strip() else "")


def default_chunk_size(n: int) -> int:
    """A run's chunk size unless one is given, the same from the command line, the API and the web app (the
    molecules depend on it): n, within 100 (a chunk's overhead) to 1,000 (progress is stored, and shown, at least
    that often)."""
    return min(1000, max(100, n))


def chunk_seed(seed: int, index: int) -> int:
    """Each chunk's own seed: independent of how many chunks ran before in this process."""
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])


def changed_since_learned(data: str, sha256: str | None) -> bool:
    """Whether a user's file ``data`` is here but no longer the one a model learned (its sha256, as the card
    recorded it, differs): its molecules would be another set's. False for a dataset, a file not here or not
    readable (said as such), or no sha256 recorded (a card older than the record)."""
    from molgen.data.registry import REGISTRY

    if not sha256 or data in REGISTRY:
        return False
    try:
        stat = Path(data).stat()
    except OSError:
        return False
    found = _file_sha256(data, stat.st_mtime_ns, stat.st_size)
    return found is not None and found != sha256


def lineage_reading(lineage: dict) -> list[tuple[str, str | None, str | None]]:
    """What a run's model learned from (``model_lineage``'s record: its own data, then each parent's) as
    :func:`nearest_reading` gives it: (data, SMILES column, sha256 as learned), nearest first."""
    sources = [lineage] + [p for p in lineage.get("started_from", []) if isinstance(p, dict)]
    return nearest_reading((str(s["data"]), s.get("smiles_column"), s.get("data_sha256"))
                           for s in sources if s.get("data"))


def changed_training_files(lineage: dict) -> list[str]:
    """The files a run's model learned from that are here but changed since they were learned, each named once."""
    return list(dict.fromkeys(data for data, _, sha256 in lineage_reading(lineage)
                              if changed_since_learned(data, sha256)))


def nearest_reading(sources) -> list[tuple[str, str | None, str | None]]:
    """(data, SMILES column, sha256 as learned) sources, nearest first, each file (and column) once, as the nearest
    model learned it: a series fine-tuned on again after rows were added holds every molecule the newer model saw,
    and the older version its parent learned, gone, must not make novelty unknown for good (the rows taken out of
    the file between the two are then not counted, the one thing no longer readable)."""
    sources = list(sources)
    learned: dict[str, str | None] = {}   # each file as the nearest model read it, whichever column it read
    for data, _, sha256 in sources:
        learned.setdefault(data, sha256)
    return list(dict.fromkeys((data, column, learned[data]) for data, column, _ in sources))


@lru_cache(maxsize=8)
def _file_sha256(path: str, mtime_ns: int, size: int) -> str | None:
    """A file's sha256, read once while it is unchanged (``mtime_ns``, ``size``); None when it cannot be read."""
    try:
        return file_sha256(Path(path))
    except OSError:
        return None


def data_molecules(data: str, smiles_column: str | None = None, sha256: str | None = None) -> frozenset[str] | None:
    """A training set's molecules as canonical SMILES: a registered dataset's train split (stored canonical), or a
    user's file (its recorded SMILES column), each molecule as written and as a model was taught it (its neutral
    parent, with and without stereo: ``models.series``), so that no member of a series reads as novel. A file's
    are read once while it is unchanged (a run's notes ask for its series twice: copies, then ring systems).
    ``sha256``: the file's as the model's card recorded it; a file changed since is not read (None: novelty
    measured against molecules the model never saw, or without those it did, would be a wrong number)."""
    from molgen.data.registry import REGISTRY

    if data not in REGISTRY:
        try:
            stat = Path(data).stat()
        except OSError:   # moved or never here: novelty is then unknown
            return None
        if changed_since_learned(data, sha256):
            return None
        return _file_molecules(data, smiles_column, stat.st_mtime_ns, stat.st_size)
    return _dataset_molecules(data, smiles_column)


@lru_cache(maxsize=4)
def _dataset_molecules(data: str, smiles_column: str | None) -> frozenset[str] | None:
    """:func:`data_molecules` of a registered dataset's train split, read once (a file is cached by its state
    instead: one cache of both kept a file's molecules from before an edit for as long as the app ran)."""
    from molgen.data.registry import load_smiles

    try:
        return frozenset(load_smiles(data, "train", smiles_column=smiles_column))
    except Exception:  # noqa: BLE001 -- a dataset not fetched: novelty is then unknown
        return None


@lru_cache(maxsize=8)
def _file_molecules(path: str, smiles_column: str | None, mtime_ns: int, size: int) -> frozenset[str] | None:
    """:func:`data_molecules` of a user's file, cached by its path and state (``mtime_ns``, ``size``)."""
    from molgen.chem.parse import parse_smiles
    from molgen.chem.standardize import neutral_parent, without_stereo
    from molgen.data.registry import load_smiles

    try:
        smiles = load_smiles(path, "train", smiles_column=smiles_column)
    except Exception:  # noqa: BLE001 -- an unreadable file: novelty is then unknown
        return None
    forms = set()
    for text in smiles:
        parsed = parse_smiles(text)
        if parsed.ok:
            parent = neutral_parent(parsed.mol)
            forms.update((Chem.MolToSmiles(parsed.mol), Chem.MolToSmiles(parent),
                          Chem.MolToSmiles(without_stereo(parent))))
    return frozenset(forms)


def model_lineage(record: dict) -> dict:
    """What a checkpoint learned from, as a run keeps it: its data (with the data's fingerprint and steps) and, for a
    fine-tuned model, each checkpoint it started from (path, sha256, data), nearest first."""
    keep = ("data", "data_fingerprint", "steps")
    out = {k: record[k] for k in keep if k in record}
    if prepared := record.get("data_preparation"):
        out["rows_left_out"] = len(prepared.get("left_out", []))
        if prepared.get("smiles_column"):
            out["smiles_column"] = prepared["smiles_column"]
        if prepared.get("sha256"):   # the file as it was learned: one edited since is not read as the series
            out["data_sha256"] = prepared["sha256"]
    parents, parent = [], record.get("started_from")
    while isinstance(parent, dict):
        parents.append({k: parent[k] for k in ("checkpoint", "sha256", *keep) if k in parent})
        prepared = parent.get("data_preparation") or {}
        if column := prepared.get("smiles_column"):   # a series fine-tuned again
            parents[-1]["smiles_column"] = column
        if prepared.get("sha256"):
            parents[-1]["data_sha256"] = prepared["sha256"]
        parent = parent.get("started_from")
    if parents:
        out["started_from"] = parents
    return out


def copies_of_own_data(record: dict, smiles) -> int | None:
    """How many of ``smiles`` (canonical) are molecules of the data a fine-tuned model was last trained on (its
    series, apart from what it started from), from a run's record; None when that is not a file read here."""
    lineage = record.get("model_training") or {}
    if not is_fine_tune(lineage):   # a model continued on its own data has no series apart from it
        return None
    own = data_molecules(str(lineage["data"]), lineage.get("smiles_column"), lineage.get("data_sha256"))
    if own is None:
        return None
    # a molecule whose scaffold stereo the run set is the series' when its form as sampled (flat) is
    return sum(s in own or _flat(s) in own for s in smiles)


def _flat(smiles: str) -> str:
    from molgen.chem.standardize import without_stereo

    mol = Chem.MolFromSmiles(smiles)
    return Chem.MolToSmiles(without_stereo(mol)) if mol is not None else smiles


def series_scaffold_counts(record: dict, ranked_smiles: list[str], top: int = 50) -> dict | None:
    """For a fine-tuned model's run: how many of ``ranked_smiles`` (best first) keep a series member's whole Murcko
    scaffold (``on_scaffold``; ``top_on_scaffold`` of the first ``top``), and how many hold the ring system most of
    the series shares (``core``, a :class:`~molgen.models.fine_tune_report.SeriesCore` or None; ``with_core``,
    ``top_with_core``); ``top``: that top's size. None for a model that is not fine-tuned or whose series cannot be
    read here."""
    from molgen.data.registry import REGISTRY
    from molgen.models.fine_tune_report import holds_core, on_scaffolds, series_core, series_scaffolds

    lineage = record.get("model_training") or {}
    if not is_fine_tune(lineage) or lineage["data"] in REGISTRY:
        return None   # a dataset is no series to keep near (and its scaffolds would take minutes)
    own = data_molecules(str(lineage["data"]), lineage.get("smiles_column"), lineage.get("data_sha256"))
    if own is None:
        return None
    kept = on_scaffolds(ranked_smiles, series_scaffolds(own))
    core = series_core(own)
    held = holds_core(ranked_smiles, core) if core is not None else []
    return {"on_scaffold": sum(kept), "top_on_scaffold": sum(kept[:top]), "top": min(top, len(kept)), "core": core,
            "with_core": sum(held), "top_with_core": sum(held[:top])}


def training_molecules(record: dict) -> frozenset[str] | None:
    """Every molecule a model learned from, as canonical SMILES: its own training data and, for a fine-tuned model,
    the data of the model it started from (a molecule of MOSES is not new from a model fine-tuned on a series
    after MOSES). None when any of them cannot be read (novelty is then unknown, not measured against part)."""
    def read_as(of: dict) -> tuple[str | None, str | None]:   # the SMILES column and sha256 the card names
        prepared = of.get("data_preparation") or {}
        return prepared.get("smiles_column"), prepared.get("sha256")

    sources, parent = [(record.get("data"), *read_as(record))], record.get("started_from")
    seen = {record.get("data_fingerprint")} - {None}
    while isinstance(parent, dict):
        # a parent that learned the very molecules already counted (a run continued on its file moved or renamed)
        # adds none, and its old path, gone, must not make novelty unknown
        if parent.get("data_fingerprint") not in seen:
            sources.append((parent.get("data"), *read_as(parent)))
        seen |= {parent.get("data_fingerprint")} - {None}
        parent = parent.get("started_from")
    sets = [data_molecules(data, column, sha256)
            for data, column, sha256 in nearest_reading((str(s[0]), s[1], s[2]) for s in sources if s[0])]
    if not sets or any(s is None for s in sets):
        return None
    return frozenset().union(*sets)


def generate(model: str = "smiles-lm", n: int = 1000, *, conditions: Conditions | list[str] | None = None,
             scaffold: str | None = None, avoid: list[str] | None = None, similar_to: str | None = None,
             profile: str | ScoringProfile = "drug-like", seed: int = 1, name: str | None = None,
             max_samples: int | None = None, chunk_size: int | None = None, sample_options: dict | None = None,
             chunk_plan: list[int] | None = None, store: RunStore | None = None, n_jobs: int = 1, progress: bool = True,
             on_chunk: Callable[[int, int, int], None] | None = None,
             on_start: Callable[[str], None] | None = None) -> Run:
    """Generate ``n`` valid, unique molecules meeting ``conditions``, score and rank them, and store the run.

    At least ``n``: a chunk usually samples 32 molecules or more and is kept whole, so the ranked set can hold more than
    ``n`` (``run.export(path, top=n)`` or ``run.candidates().head(n)`` keeps the best ``n``).

    Args:
        model: a family (``"smiles-lm"``: its shipped checkpoint) or a checkpoint path.
        n: distinct valid molecules to collect that meet every condition and pass the profile's hard filters
            (those failing one are kept and ranked last, but do not count towards ``n``).
        conditions: what to meet (a :class:`Conditions`, or expressions such as ``["qed>=0.7"]``);
            the family steers towards what it can, a filter enforces all.
        scaffold: a substructure every molecule keeps (SMILES, which a model can build on, or SMARTS), as
            ``--scaffold``; ``avoid``: substructures none may hold; ``similar_to``: ``"SMILES:0.4"``, a reference
            and the least Morgan Tanimoto to it (a SMILES alone asks only for the ``similarity_to_reference``
            column: it filters nothing). With expressions only; a :class:`Conditions` carries its own.
        profile: scoring profile (name, TOML path or object).
        seed: the run's seed; the same seed gives the same molecules (1 by default, as on the
            command line and in the workbench).
        max_samples: the sampling budget (default ``20 * n``); the run stops there and says so.
        chunk_size: molecules sampled per stored chunk (the unit of resuming); by default n, within 100 to 1,000
            (:func:`default_chunk_size`). The chunks' seeds and sizes decide the molecules, so a run is repeated
            with the same chunk size.
        chunk_plan: the sizes of the first chunks, as a run sampled them whose budget was raised when it was
            resumed (the old budget cut a chunk short): :func:`~molgen.runs.settings.run_settings` gives it, so
            that its settings sample its molecules again. Later chunks are sized as usual.
        sample_options: passed to the generator (``temperature``, ``top_k``, ``top_p``, ...).
        store: the run store (default: ``$MOLGEN_HOME/runs.sqlite``).
        on_chunk: called after every stored chunk with (molecules accepted, n, sampled), for
            progress bars outside a terminal (the web app).
        on_start: called with the run's id once it is stored, before any sampling (the web app notes it
            then: a page stopped mid-run cannot count on its exception handlers).
    """
    n = whole_number("n", n, least=1)
    chunk_size = default_chunk_size(n) if chunk_size is None else whole_number("chunk_size", chunk_size, least=1)
    if max_samples is not None:  # 0 must not quietly become the default budget
        max_samples = whole_number("max_samples", max_samples, least=1)
    n_jobs = whole_number("n_jobs", n_jobs, least=1)
    if chunk_plan is not None:
        if isinstance(chunk_plan, (str, bytes)) or not hasattr(chunk_plan, "__iter__"):
            raise ValueError(f"chunk_plan is a list of chunk sizes, got {chunk_plan!r}")
        chunk_plan = [whole_number("each size of chunk_plan", size, least=1) for size in chunk_plan]
    # a run's seed decides its molecules, so it is stored: a whole number of 0 or more (None, -1 and 1.5 were
    # stored with a failed run, then a numpy error)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a whole number of 0 or more, got {seed!r}")
    store = store or RunStore()
    conditions = _conditions(conditions, scaffold, avoid, similar_to)
    check_new_conditions(conditions)   # what a stored run is still read with (a NaN, a salt): a new one is refused
    ConditionFilter(conditions)  # bad SMILES/SMARTS fail here, before anything is stored
    family, checkpoint = resolve_checkpoint(model)
    from molgen.models.base import SAMPLE_OPTIONS
    from molgen.scoring.profiles import check_new_profile

    foreign = sorted(set(sample_options or {}) - SAMPLE_OPTIONS.get(family, set()))
    if foreign:
        raise SampleOptionError(family, foreign, sorted(SAMPLE_OPTIONS.get(family, set())))
    profile = load_profile(profile)
    # a pattern written as a salt, in a profile built in Python or read from JSON too (a stored one is still read)
    check_new_profile(profile, profile.source or repr(profile.name))
    generator = _load_generator(family, checkpoint)
    options = dict(sample_options or {})
    check = getattr(generator, "check_sample_options", None)  # option values, where a family checks them
    if check is not None:
        # The family's defaults come back written in: a run resumed after a default changed samples
        # the way it started.
        # graph diffusion's default sampler depends on the scaffold held (a scaffold is a condition, not an option)
        by_scaffold = {"scaffold": conditions.scaffold} if "scaffold" in inspect.signature(check).parameters else {}
        options = check(**options, **by_scaffold) or options
    if "batch_size" in options:   # every family's: refused here, not by sample() once a run is stored (a review)
        options["batch_size"] = whole_number("batch_size", options["batch_size"], least=1)
    steer, native = _native(generator, to_steer(conditions), options)
    refuse_a_scaffold_out_of_reach(generator, conditions)
    if options.get("guidance") and not any(how.startswith("target ") for how in native):
        # guidance scales the pull towards a target; without one it would be recorded and change nothing
        raise ValueError(f"guidance {options['guidance']} acts on a property target this model is conditioned on "
                         "(qed=0.8), and none was given: give one, or leave guidance out (ranges steer through the "
                         "label prior, not guidance)")
    params = {"chunk_size": chunk_size, "max_samples": DEFAULT_BUDGET_FACTOR * n if max_samples is None else max_samples,
              "sample_options": options, "n_jobs": n_jobs, "count_hard_filter_failures": False,
              "scaffold_stereo_carried": True, **({"chunk_plan": chunk_plan} if chunk_plan else {})}
    if unsteered := getattr(generator, "unsteered", lambda conditions: {})(to_steer(conditions)):
        params["unsteered"] = unsteered   # why a condition the model steers elsewhere is filtered for here
    # an absolute path: a run resumed from another working folder finds its checkpoint
    owner = new_owner()
    run_id = store.create_run(name=name, model=family, checkpoint=str(Path(checkpoint).resolve()),
                              checkpoint_sha256=file_sha256(checkpoint),
                              seed=seed, n_requested=n, params=params, conditions=conditions_to_dict(conditions),
                              native=native, profile=profile.to_dict(), versions=package_versions(), owner=owner,
                              model_training=model_lineage(training_of(generator)))
    with store.lease(run_id, owner):
        run = _execute(store, run_id, generator, progress, on_chunk, owner, on_start)
    warn_if_short(run)
    return run


class FewerThanAsked(UserWarning):
    """A run ended with fewer molecules than asked for (its sampling budget used up): ``run.message`` says how many
    and what continues it. A script read ``len(run.candidates())`` as n without a word (a review)."""


#: Off where the caller says a shortfall itself (the command line, the web app): a context variable, so that one
#: Streamlit session's run leaves another's warnings as they are (warnings.catch_warnings is process-wide).
_SAY_SHORTFALL: ContextVar[bool] = ContextVar("molgen_say_shortfall", default=True)


def warn_if_short(run: "Run") -> None:
    """:class:`FewerThanAsked`, for a caller in Python, at the caller's own line (the first outside molgen)."""
    if run.status != "budget_exhausted" or not _SAY_SHORTFALL.get():
        return
    level, frame = 2, sys._getframe(1)   # stacklevel 2 is this function's caller
    while frame is not None and frame.f_globals.get("__name__", "").split(".")[0] == "molgen":
        level, frame = level + 1, frame.f_back
    warnings.warn(run.message, FewerThanAsked, stacklevel=level)   # Run.message: its advice in Python's words


def without_shortfall_warning(function):
    """``function`` (:func:`generate`, :func:`resume`) for a caller that says a shortfall itself."""
    import functools

    @functools.wraps(function)
    def quiet(*args, **kwargs):
        token = _SAY_SHORTFALL.set(False)
        try:
            return function(*args, **kwargs)
        finally:
            _SAY_SHORTFALL.reset(token)
    return quiet


def refuse_a_scaffold_out_of_reach(generator, conditions: Conditions) -> None:
    """``ConditionError`` for a scaffold (written as SMILES) holding an element the model cannot write: no molecule
    it writes keeps it, and a run spent its whole budget to say "lacks scaffold" (a review: [Se] with the LSTM)."""
    vocabulary = getattr(generator, "vocabulary", None)
    if not conditions.scaffold or not hasattr(vocabulary, "elements"):
        return
    with quiet_rdkit():
        scaffold = Chem.MolFromSmiles(conditions.scaffold)
    if scaffold is None:   # SMARTS: [#34] or [Se,S] may be met another way; the filter says what it missed
        return
    writes = vocabulary.elements()
    missing = sorted({atom.GetSymbol() for atom in scaffold.GetAtoms() if atom.GetAtomicNum() > 1} - writes)
    if missing:
        raise ConditionError(f"no molecule this model writes can keep the scaffold {conditions.scaffold}: it holds "
                             f"{', '.join(missing)}, which the model cannot write (it writes "
                             f"{', '.join(sorted(writes - {'H'}))})")
    # a charged atom the model never writes (a nitro group's N+ and O-: MOSES holds no charged atom) keeps a run
    # sampling to the end of its budget for nothing, as an element does (a review: 386 of 400 lacked the scaffold)
    charged = sorted({(atom.GetSymbol(), atom.GetFormalCharge()) for atom in scaffold.GetAtoms()
                      if atom.GetFormalCharge()} - vocabulary.charged_forms())
    if charged:
        written = sorted(vocabulary.charged_forms())
        raise ConditionError(f"no molecule this model writes can keep the scaffold {conditions.scaffold}: it holds "
                             f"{', '.join(_charged_atom(*form) for form in charged)}, which the model never writes "
                             + (f"(its charged atoms: {', '.join(_charged_atom(*form) for form in written)})" if written
                                else "(it writes no charged atom: its training molecules held none)"))
    # a graph model builds at most max_atoms heavy atoms: a larger scaffold was sampled for to the end of the budget
    # by the graph VAE (a review: 34 atoms against its 29); graph diffusion refused it already
    largest = getattr(getattr(generator, "config", None), "max_atoms", None)
    heavy = sum(atom.GetAtomicNum() > 1 for atom in scaffold.GetAtoms())
    if isinstance(largest, int) and heavy > largest:
        raise ConditionError(f"no molecule this model writes can keep the scaffold {conditions.scaffold}: it has "
                             f"{heavy} heavy atoms, and the model builds molecules of at most {largest}")


def _charged_atom(symbol: str, charge: int) -> str:
    """An atom with its charge as SMILES writes it: N+, O-, Fe+2."""
    return f"{symbol}{'+' if charge > 0 else '-'}{abs(charge) if abs(charge) > 1 else ''}"


def _conditions(conditions, scaffold: str | None, avoid: list[str] | None, similar_to: str | None) -> Conditions:
    """What :func:`generate` was given to meet, as one checked :class:`Conditions`."""
    structural = bool(scaffold or avoid or similar_to)   # an empty avoid list asks for nothing
    if isinstance(conditions, str):   # one expression, not its characters
        conditions = [conditions]
    if isinstance(conditions, Conditions):
        if structural:
            raise ValueError("give scaffold, avoid and similar_to with expressions (conditions=['qed>=0.6']), or "
                             "inside the Conditions object, not both")
        return conditions
    if isinstance(avoid, str):   # one pattern, not its characters
        avoid = [avoid]
    if conditions is None or isinstance(conditions, (list, tuple)):
        return build_conditions(list(conditions or []), scaffold=scaffold, avoid=avoid, similar_to=similar_to)
    example = "conditions=['qed>=0.6', '300<=mw<=450', 'logp=3'], scaffold='c1ccncc1', avoid=['[N+](=O)[O-]']"
    raise TypeError(f"conditions: expressions as on the command line ({example}) or a Conditions object "
                    f"(molgen.runs.build_conditions), not {type(conditions).__name__}")


def resume(run: str, *, store: RunStore | None = None, progress: bool = True, max_samples: int | None = None,
           n_jobs: int | None = None, on_chunk: Callable[[int, int, int], None] | None = None) -> Run:
    """Continue a run that was interrupted, or one its budget stopped (give a larger ``max_samples``);
    ``n_jobs`` changes the scoring processes (which change no result). ``RunBusy`` if another live process
    is sampling it."""
    store = store or RunStore()
    run_id = store.run(run)["id"]
    with store.lease(run_id) as owner:   # before anything changes: the run may be live elsewhere
        run = _resume_leased(store, run_id, owner, progress, max_samples, n_jobs, on_chunk)
    warn_if_short(run)
    return run


def _resume_leased(store: RunStore, run_id: str, owner: str, progress: bool, max_samples: int | None,
                   n_jobs: int | None, on_chunk) -> Run:
    record = store.run(run_id)
    if n_jobs is not None and n_jobs < 1:
        raise ValueError(f"n_jobs must be at least 1, got {n_jobs}")
    sampled = int(store.chunks(run_id)["size"].sum())
    if max_samples is not None and max_samples < sampled:
        raise ValueError(f"max_samples {max_samples:,} is below the {sampled:,} molecules run {run_id} has sampled "
                         f"already: give more to sample on (or {sampled:,} to rank what is stored and end it)")
    if n_jobs is not None:
        store.update_run(record["id"], params={**record["params"], "n_jobs": n_jobs})
        record = store.run(record["id"])
    if max_samples is not None:
        if max_samples < 1:
            raise ValueError(f"max_samples must be at least 1, got {max_samples}")
        params = {**record["params"], "max_samples": max_samples}
        if max_samples != record["params"]["max_samples"]:
            params.update(chunk_plan_kept(record["params"], [int(size) for size in store.chunks(run_id)["size"]]))
        store.update_run(record["id"], params=params)
    checkpoint = Path(record["checkpoint"])
    if not checkpoint.is_file():
        raise FileNotFoundError(f"run {record['id']}: its checkpoint {checkpoint} is gone; it cannot be resumed")
    if file_sha256(checkpoint) != record["checkpoint_sha256"]:
        raise ValueError(f"run {record['id']}: {checkpoint} changed since the run started (sha256 differs); "
                         "resuming would mix two models")
    generator = _load_generator(record["model"], checkpoint)
    return _execute(store, record["id"], generator, progress, on_chunk, owner)


def chunk_plan_kept(params: dict, sizes: list[int]) -> dict:
    """What a resume that changes the budget records of the chunks so far (``sizes``): where the old budget was
    reached, its last chunk may have been cut short, which a run started with the new budget would not do, so the
    sizes are kept (``chunk_plan``) for the run's settings to sample its molecules again (run_settings); a plan the
    run started with keeps the part not sampled yet (a code review: a repeated run cut its plan short). Empty when
    the run has nothing to keep: the budget not reached (an interrupted run), and no plan."""
    earlier = list(params.get("chunk_plan") or [])
    if sum(sizes) < params["max_samples"] and not earlier:
        return {}
    return {"chunk_plan": sizes + earlier[len(sizes):]}


def _load_generator(family: str, checkpoint: Path):
    from molgen.models.base import family_class

    return family_class(family).load(checkpoint)


def _native(generator, conditions: Conditions, options: dict | None = None) -> tuple[Conditions, dict[str, str]]:
    """What ``generator`` steers of ``conditions`` under the sampling ``options`` it reads there (graph
    diffusion's range steering depends on its label_prior and num_atoms options)."""
    if not hasattr(generator, "native_conditions"):
        return Conditions(), {}
    taken = inspect.signature(generator.native_conditions).parameters
    return generator.native_conditions(conditions, **{k: v for k, v in (options or {}).items() if k in taken})


def to_steer(conditions: Conditions) -> Conditions:
    """What a new run asks its model to steer: a reference without a threshold asks only for each molecule's
    similarity to it (a column), so it is not steered towards (a review: the graph VAE narrowed such a run to
    acetanilides). A run that steered one before resumes as it began (:func:`recorded_native`)."""
    if conditions.similar_to and conditions.min_similarity <= 0:
        return replace(conditions, similar_to=None)
    return conditions


def recorded_native(conditions: Conditions, native: dict[str, str]) -> Conditions:
    """The part of ``conditions`` a run recorded as steered natively when it started: a run resumed after a
    model learned to steer more (a range through graph diffusion's label prior) or refuses what it
    steered before goes on as its record says it began; the filter holds the rest either way."""
    return Conditions(targets={k: v for k, v in conditions.targets.items() if f"target {k}" in native},
                      ranges={k: v for k, v in conditions.ranges.items() if f"range {k}" in native},
                      prefix=conditions.prefix if "prefix" in native else None,
                      scaffold=conditions.scaffold if "scaffold" in native else None,
                      similar_to=conditions.similar_to if "similar_to" in native else None,
                      min_similarity=conditions.min_similarity if "similar_to" in native else 0.0)


def _execute(store: RunStore, run_id: str, generator, progress: bool, on_chunk, owner: str, on_start=None) -> Run:
    """Sample the run's missing chunks, then rank and record it. Everything after the lease is taken is inside
    the try, so a stop at any moment (even while setting up or ranking) leaves a record that says so; every
    write of the record or the ranks checks the lease (``owner``), so a process that lost the run to another
    (frozen past the lease, then woken) writes nothing more to it."""
    record, profile = store.run(run_id), None
    # the run's time over every session that worked on it, each from its start (reading the training set for novelty
    # included; loading the model, before, not) to its end: a review found a resumed run's total below its sampling
    # time, and a killed session's time lost. "sessions" counts them, 1 for a run never stopped; a run stored before
    # the count with timings or chunks had one at least.
    timings = dict(record["timings"] or {})
    earlier = timings["sessions"] if "sessions" in timings else int(bool(timings) or len(store.chunks(run_id)) > 0)
    timings["sessions"] = earlier + 1
    total_before, session_started = timings.get("total", 0.0), time.perf_counter()

    def clocked() -> dict:
        timings["total"] = round(total_before + time.perf_counter() - session_started, 3)
        return timings

    bar = None
    try:
        if on_start is not None:   # inside: a stop raised by the caller's own code (a web page's) is recorded as one
            on_start(run_id)
        params, n, seed = record["params"], record["n_requested"], record["seed"]
        conditions = conditions_from_dict(record["conditions"])
        check = ConditionFilter(conditions)
        steer, _ = _native(generator, recorded_native(conditions, record["native"]), params.get("sample_options"))
        profile = stored_profile(record["profile"], f"run {record['id']}")
        train = training_molecules(training_of(generator))
        origin = f"{record['model']}:{Path(record['checkpoint']).name}"
        chunks = store.chunks(run_id)
        index = len(chunks)
        sampled = int(chunks["size"].sum())
        accepted = counted_towards_n(store.candidates(run_id, columns=["meets_conditions", "passes_filters"]), params)
        known = store.known_smiles(run_id)
        store.update_run(run_id, owner=owner, status="running", message="", timings=clocked())
        bar = progress_bar(total=n, initial=min(accepted, n), desc=f"run {record['name']}", unit="mol", disable=not progress)
        # An option added after a run pinned its options is absent from it: resume it the way it started.
        sample_options = {**getattr(generator, "OPTIONS_BEFORE_PINNED", {}), **params["sample_options"]}
        while accepted < n and sampled < params["max_samples"]:
            size = _next_chunk_size(n - accepted, accepted, sampled, params, index)
            t0 = time.perf_counter()
            samples = generator.sample(size, conditions=steer, seed=chunk_seed(seed, index), **sample_options)
            t1 = time.perf_counter()
            table, rejects, n_valid, n_duplicate = _process_chunk(samples, known, check, profile, train, origin, index,
                                                                  params["n_jobs"],
                                                                  params.get("scaffold_stereo_carried", False))
            t2 = time.perf_counter()
            timings["sampling"] = round(timings.get("sampling", 0.0) + t1 - t0, 3)
            timings["scoring"] = round(timings.get("scoring", 0.0) + t2 - t1, 3)
            # the timings with the chunk, in its transaction: a killed session keeps the time of every chunk it stored
            store.add_chunk(run_id, index, len(samples), table, rejects, n_valid, n_duplicate, round(t2 - t0, 3), owner,
                            n_bare_scaffold=bare_scaffolds(samples), n_mostly_dropped=mostly_dropped(samples),
                            timings=clocked())
            known.update(table["smiles"])
            new_accepted = counted_towards_n(table, params)
            sampled, accepted = sampled + len(samples), accepted + new_accepted
            index += 1
            bar.update(min(new_accepted, max(0, n - bar.n)))
            if on_chunk is not None:
                on_chunk(accepted, n, sampled)
        t0 = time.perf_counter()
        failing = _rank(store, run_id, profile, owner)
        timings["ranking"] = round(time.perf_counter() - t0, 3)
        clocked()
        counts = store.tally(run_id, n)
        counts["validity_note"] = validity_note(record, counts)
        status, message = _outcome(store, run_id, record, check, profile, accepted, counts["accepted"], failing,
                                   counts.get("mostly_dropped"))
        store.update_run(run_id, owner=owner, status=status, message=message, timings=timings, counts=counts)
        return Run(run_id, store)
    except LeaseLost:
        raise   # the run is another process's now: its record is not this one's to write
    except BaseException as error:
        written = _record_the_stop(store, run_id, record, profile, clocked, owner, error)
        error.molgen_run_id = run_id   # which run it stopped, for a caller that shares the store with others
        if isinstance(error, KeyboardInterrupt) and written is not None:   # a script's Ctrl-C: what is kept (a review)
            ranked = "its molecules so far ranked" if written else "its molecules so far could not be ranked"
            if written and not (counts := store.run(run_id).get("counts") or {}).get("valid"):
                ranked = kept_nothing(counts)
            error.add_note(f"molgen: run {record['name']} is kept as interrupted, {ranked}; "
                           f"molgen.runs.resume({run_id!r}) continues it")
        raise
    finally:
        if bar is not None:
            bar.close()


def _record_the_stop(store: RunStore, run_id: str, record: dict, profile: ScoringProfile | None, clocked,
                     owner: str, error: BaseException) -> bool | None:
    """What is stored is ranked and counted, so the partial run can be browsed and exported as it stands; the
    record says whether it was stopped (resumable as it is) or failed (with the error). ``clocked``: the run's timings
    with this session's time added, once the ranking is done. Returns whether what is stored was ranked; None when
    the record is another process's now (nothing written)."""
    try:
        _rank(store, run_id, profile or stored_profile(record["profile"], f"run {run_id}"), owner)
        counts = store.tally(run_id, record["n_requested"])
        counts["validity_note"] = validity_note(record, counts)
    except LeaseLost:
        return None   # lost while it stopped: the record is the new holder's
    except Exception:  # noqa: BLE001 -- the interruption is what gets reported, not a failure to rank
        counts = None
    ranked = "are ranked" if counts is not None else "could not be ranked (see the error)"
    if isinstance(error, Exception):   # an error, which resuming would likely meet again: say which
        status, message = "failed", f"failed: {type(error).__name__}: {error}; the molecules stored before it {ranked}"
    else:   # Ctrl-C, a kill, a page left mid-run: nothing is wrong with the run
        stored = f"the molecules stored so far {ranked}"
        if counts is not None and not counts.get("valid"):   # "ranked" of nothing read as molecules kept (a review)
            stored = kept_nothing(counts)
        status, message = "interrupted", (f"interrupted; {stored}; continue with `molgen generate --resume {run_id}`")
    try:
        store.update_run(run_id, owner=owner, status=status, message=message, timings=clocked(),
                         **({"counts": counts} if counts else {}))
    except LeaseLost:
        return None
    return counts is not None


#: Samples after which a run that wrote nothing valid is told a larger budget is unlikely to help.
NOTHING_VALID_AFTER = 200


def nothing_valid_said(store: RunStore, run_id: str, record: dict, sampled: int) -> str:
    """A run's budget spent without one valid sample: why (the rejects' kinds), and what may help, for its model
    and conditions (a review: "no molecule met every condition" was said of such a run)."""
    kinds = store.reject_kinds(run_id)
    said = f"none of its {sampled:,} samples was a valid molecule" + (
        " (" + ", ".join(f"{kind}: {count:,}" for kind, count in list(kinds.items())[:3]) + ")" if kinds else "")
    conditions = record.get("conditions") or {}
    helps = (["targets nearer the model's training molecules"] if conditions.get("targets") or conditions.get("ranges")
             else []) + {"smiles-lm": ["a lower --temperature"], "graph-diffusion": ["more --steps"]}.get(
        record.get("model"), []) + ["another --model"]
    helps_said = ", ".join(helps[:-1]) + " or " + helps[-1] if len(helps) > 1 else helps[0]
    if sampled < NOTHING_VALID_AFTER:   # a few dozen samples say little: more of them may yet give some
        return (f"{said}; more samples (molgen generate --resume {run_id} --max-samples N), {helps_said} may give "
                "some")
    return f"{said}; a larger budget is unlikely to change that: {helps_said} may"


def kept_nothing(counts: dict) -> str:
    """What an interrupted run that holds no valid molecule keeps, as its message and a script's note say it."""
    if not counts.get("sampled"):
        return "before its first chunk was stored, so it holds no molecule yet"
    return f"none of its {counts['sampled']:,} samples so far was a valid molecule"


def counted_towards_n(frame: pd.DataFrame, params: dict) -> int:
    """How many of ``frame``'s molecules count towards the n a run asked for: those meeting every condition and
    passing the profile's hard filters. A molecule failing one (a strained ring, no carbon) scores 0 and is ranked
    last, so it is not one of the n a chemist asked for; runs stored before this rule (no
    ``count_hard_filter_failures`` in their params) counted it, and are resumed as they began."""
    if not len(frame):
        return 0
    counted = frame["meets_conditions"].fillna(False).astype(bool)
    if not params.get("count_hard_filter_failures", True):
        counted &= passes_hard_filters(frame)
    return int(counted.sum())


def counted_of(record: dict) -> int:
    """How many of a stored run's molecules count towards its n (as :func:`counted_towards_n`), from its counts."""
    counts = record["counts"] or {}
    failing = 0 if record["params"].get("count_hard_filter_failures", True) else counts.get("failing_hard_filters", 0)
    return counts.get("accepted", 0) - failing


#: The share of a run's latest valid samples repeating an earlier one above which a run out of budget says so: its
#: model knows few distinct molecules that fit (the shipped LSTM on a fluoxetine scaffold: 9,690 of 9,927 valid
#: samples repeated, 237 distinct molecules; benchmarks/RESULTS.md).
SATURATED = 0.8
#: Graph diffusion below this many steps: where most of a run's graphs come apart, the step count is the cause
#: (the shipped model kept under half of most graphs at 1 and 2 steps, of few at 5, of none at 10).
FEW_STEPS = 10


def trained_on_a_file(record: dict) -> bool:
    """Whether a run's model learned from a user's file rather than a registered dataset (MOSES)."""
    from molgen.data.registry import REGISTRY

    data = (record.get("model_training") or {}).get("data")
    return bool(data) and data not in REGISTRY


def saturation_note(chunks: pd.DataFrame, missing: int, conditioned: bool = True, fine_tuned: bool = False,
                    conditions: dict | None = None, family: str | None = None, options: dict | None = None,
                    dropped: int | None = None, own_data: bool = False) -> str:
    """For a run out of budget whose latest chunks (up to three) mostly repeated earlier molecules
    (:data:`SATURATED`): how many of them repeated, how many more samples the ``missing`` molecules would take at
    that rate, and what gives more than a larger budget, for the run's ``conditions`` (its stored dict), model
    ``family`` and sampling ``options`` (``fine_tuned``: the model is one already; ``dropped``: the run's valid
    samples that kept under half their graph, where most did the cause; ``own_data``: the model was trained from
    scratch on a user's file, and a fine-tune on it is no new advice); else ''."""
    valid_in_run = int(chunks["n_valid"].sum())
    latest = chunks.tail(3)
    valid, repeated = int(latest["n_valid"].sum()), int(latest["n_duplicate"].sum())
    if missing <= 0 or not valid or repeated / valid < SATURATED:
        return ""
    strategy = (options or {}).get("strategy")
    if family == "smiles-lm" and strategy in ("greedy", "beam"):
        # no rate to extrapolate: every chunk decodes the same strings, whatever its seed (a review was told 3,800
        # more samples would give the 19 missing, and to raise a temperature greedy decoding does not use); a beam
        # search keeps as many beams as its chunk asks, so a larger chunk decodes more of them
        larger = " or, for beams, a larger chunk size (each chunk keeps as many)" if strategy == "beam" else ""
        return (f"; {repeated:,} of the latest {valid:,} valid samples ({repeated / valid:.0%}) repeated an earlier one: "
                f"{strategy} decoding writes the same molecules whatever the seed, so no budget gives the {missing:,} "
                f"still missing. Sampling (strategy 'sample', the default){larger} gives more")
    counted, size = int(latest["n_accepted"].sum()), int(latest["size"].sum())
    at_rate = (f"at that rate the {missing:,} still missing would take about {math.ceil(missing * size / counted):,} "
               f"more samples" if counted else f"they added none of the {missing:,} still missing")
    steps = (options or {}).get("steps")
    fell_apart = dropped is not None and valid_in_run and dropped >= SATURATED * valid_in_run
    if fell_apart and steps is not None and steps < FEW_STEPS:
        # the sampler's step count, not the model: a graph that fell apart leaves a small piece (methane at 1 step)
        return (f"; {repeated:,} of the latest {valid:,} valid samples ({repeated / valid:.0%}) repeated an earlier "
                f"one, and {at_rate}: {dropped:,} of the run's {valid_in_run:,} valid samples kept under half the "
                f"atoms of their graph, which fell apart into pieces at {steps} step{'s' * (steps != 1)}. More "
                f"--steps ({FEW_STEPS} or more) give whole molecules")
    what = "molecules that meet the conditions" if conditioned else "molecules"
    conditions = conditions or {}
    # why so few, from what the run asked (a web review: a graph VAE's similarity run was told of scaffolds)
    causes = []
    if scaffold := conditions.get("scaffold"):
        causes.append("an attachment point leaves little to add" if "*" in scaffold else
                      "a scaffold near the size of its training molecules leaves little to add")
    if conditions.get("similar_to") and (conditions.get("min_similarity") or 0) > 0:
        causes.append(f"few molecules lie within Tanimoto {conditions['min_similarity']:g} of the reference: a lower "
                      "threshold gives more")
    if fell_apart:   # at enough steps, the model's own graphs come apart (a tiny model's at 100)
        causes.append(f"{dropped:,} of the run's {valid_in_run:,} valid samples kept under half the atoms of their "
                      "graph, the rest in pieces apart")
    if fine_tuned:
        causes.insert(0, "a fine-tune narrows what a model writes: the repeats are its own favourite molecules, not "
                         "only its series'")
    remedies = {"smiles-lm": "a higher --temperature (sampling)", "graph-vae": "--decoding sampled with a higher --temperature"}
    ways = [remedies[family]] if family in remedies else []
    ways += ["a shorter fine-tune", "the model it started from"] if fine_tuned else \
        ["another --model", "a model fine-tuned on your series"] if not own_data else \
        ["training on more molecules", "a shipped model fine-tuned on them"]   # a model made from a user's file
    advice = ", ".join(ways[:-1]) + " or " + ways[-1]
    return (f"; {repeated:,} of the latest {valid:,} valid samples ({repeated / valid:.0%}) repeated an earlier one, "
            f"and {at_rate}: this model knows few distinct {what}" + (f" ({'; '.join(causes)})" if causes else "")
            + f". {advice[0].upper()}{advice[1:]} gives more")


def _outcome(store: RunStore, run_id: str, record: dict, check: ConditionFilter, profile: ScoringProfile,
             accepted: int, ranked: int, failing: int, dropped: int | None = None) -> tuple[str, str]:
    """The status and message of a run that sampled to its end: complete, or stopped by its budget. ``accepted``
    molecules count towards n; ``ranked`` meet every condition, ``failing`` of them fail a hard filter; ``dropped``
    valid samples kept under half their graph (:func:`mostly_dropped`)."""
    n, params = record["n_requested"], record["params"]
    excluded = failing and not params.get("count_hard_filter_failures", True)
    # a run without conditions keeps every valid molecule once: its count is not of molecules meeting conditions
    # ("unique", not "new": novelty against the training set is counted apart)
    def meeting(count: int) -> str:   # what the counted molecules are, the verbs agreeing with the count
        def verb(one: str, more: str) -> str:
            return one if count == 1 else more

        parts = [verb("meets", "meet") + " every condition"] if check.describe() else [verb("is", "are") + " valid", "unique"]
        if excluded:
            parts.append(verb("passes", "pass") + " the profile's hard filters")
        return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]

    if accepted >= n:
        status, message = "complete", f"{accepted:,} molecule{'s' * (accepted != 1)} {meeting(accepted)} ({n:,} asked for)"
        if accepted > n or excluded:  # the last chunk's molecules are all kept: sampled, scored, and ranked
            asked = "the 1 asked for as rank 1" if n == 1 else f"the {n:,} asked for as ranks 1 to {n:,}"
            message += f"; all {ranked:,} are ranked (1 to {ranked:,}), {asked}"
    else:
        status = "budget_exhausted"
        got = (f"{accepted:,} of the {n:,} molecules asked for {meeting(accepted)}" if accepted else
               ("no molecule met every condition" if check.describe() else "no valid molecule was sampled")
               + ", so the ranked set is empty")
        if not accepted and excluded:   # some were sampled and ranked, but failed a hard filter
            got = ("no molecule met every condition and passed" if check.describe() else "no molecule passed") + \
                " the profile's hard filters"
        message = (f"sampling budget of {params['max_samples']:,} used up: {got} "
                   f"(more: molgen generate --resume {run_id} --max-samples N)")
        chunks = store.chunks(run_id)
        if not accepted and len(chunks) and not int(chunks["n_valid"].sum()):
            # nothing valid at all: no condition was missed (a review's MW 600 target for a model whose training
            # molecules stop near 350: 198 of 200 samples cut off at its length)
            message = f"sampling budget of {params['max_samples']:,} used up: " + nothing_valid_said(
                store, run_id, record, int(chunks["size"].sum()))
            return status, message
        missed = missed_most(store.candidates(run_id, columns=["failed_conditions"])["failed_conditions"].fillna(""))
        if missed:   # which condition cut them, so a chemist knows which to loosen
            message += "; missed most often: " + ", ".join(f"{what} ({count:,} molecule{'s' * (count != 1)})"
                                                           for what, count in missed)
            if missed[0][0].startswith("similarity") and "similar_to" in filtered_only(record):
                # the reference was only filtered for: a model that steers towards it, or its core kept, gives more
                core = "" if record["conditions"].get("scaffold") else core_hint(record["conditions"]["similar_to"],
                                                                                 record["model"])
                if record["model"] == "graph-vae":
                    why = params.get("unsteered", {}).get("similar_to", "an atom type it never saw")
                    message += f"; the graph VAE could not encode the reference ({why.rstrip('.')}), so it was only filtered for"
                elif (why := shipped_graph_vae_cannot_encode(record["conditions"]["similar_to"])) is None:
                    message += ("; this model does not steer towards the reference: the graph VAE does (--model "
                                "graph-vae decodes around its encoding)")
                else:   # sending the chemist to a model that cannot steer either is a dead end
                    message += f"; this model does not steer towards the reference, nor could the graph VAE ({why})"
                message += core
            if (missed[0][0].startswith("more than one group at an attachment point") and record["model"] == "smiles-lm"
                    and shipped_diffusion_can_inpaint(record["conditions"]["scaffold"])):
                message += ("; a SMILES model continues the scaffold as written and often puts a second group on the "
                            "attachment point's atom (an amide or sulfonamide NH made tertiary, or a ring), which a "
                            "larger budget does not change: graph diffusion (--model graph-diffusion) holds the "
                            "scaffold's hydrogens by inpainting")
        message += saturation_note(store.chunks(run_id), n - accepted, bool(check.describe()),
                                   fine_tuned=is_fine_tune(record.get("model_training") or {}),
                                   conditions=record.get("conditions"), family=record.get("model"),
                                   options=params.get("sample_options"),
                                   dropped=dropped, own_data=trained_on_a_file(record))
    if failing:   # the filters these molecules failed, most often first, not every filter of the profile
        failed = store.candidates(run_id, ranked_only=True, columns=["failed_filters"])["failed_filters"].fillna("")
        named = pd.Series([f for text in failed for f in text.split("; ") if f]).value_counts()
        filters = ", ".join(f"{name}: {count:,}" for name, count in named.items()) or ", ".join(profile.filters_applied)
    if excluded:
        also = "meets every condition but fails" if failing == 1 else "meet every condition but fail"
        if not check.describe():
            also = "fails" if failing == 1 else "fail"
        more = " more" if accepted else ""   # beside "no molecule passed", not "more"
        message += (f"; {failing:,}{more} {also} the profile's hard filters ({filters}): score 0, ranked after the "
                    "rest, not counted")
    elif failing:
        verb = "fails" if failing == 1 else "fail"
        message += (f"; {failing:,} of the ranked molecules {verb} the profile's hard filters ({filters}): score 0, "
                    "ranked after the rest")
    return status, message


def _next_chunk_size(missing: int, accepted: int, sampled: int, params: dict, index: int = 0) -> int:
    """Enough to finish at the acceptance rate seen so far (plus 20%), within the chunk size and the budget; the
    size a chunk had in the run being repeated where the run recorded one (``chunk_plan``)."""
    plan = params.get("chunk_plan") or []
    if index < len(plan):
        return max(min(plan[index], params["max_samples"] - sampled), 1)
    rate = accepted / sampled if sampled else 1.0
    wanted = math.ceil(missing / max(rate, 0.01) * 1.2)
    size = min(max(wanted, MIN_CHUNK), params["chunk_size"], params["max_samples"] - sampled)
    return max(size, 1)


# What a sampler did to a molecule, from ``Sample.meta``, kept as a candidate column so exports carry it:
# the fragments of the sampled graph (graph diffusion keeps the largest) and the bonds the diffusion
# projection dropped or lowered in it. Absent from runs whose model reports neither.
SAMPLE_META_COLUMNS = {"fragments": "sampled_fragments", "projected_bonds": "projected_bonds"}


def bare_scaffolds(samples) -> int | None:
    """How many samples are a scaffold with nothing grown on it (graph diffusion says so per sample: its new atoms
    formed a piece apart, which is dropped); None when the sampler does not say."""
    grown = [sample.meta["added_atoms"] for sample in samples if sample.smiles and "added_atoms" in (sample.meta or {})]
    return sum(added == 0 for added in grown) if grown else None


def mostly_dropped(samples) -> int | None:
    """How many valid samples kept under half the atoms of their sampled graph (graph diffusion keeps the largest
    piece of a graph that came apart: at 1 step, a lone atom of a graph without bonds); None when the sampler does
    not say (nor does graph diffusion under a scaffold, whose piece is the scaffold's: ``bare_scaffolds``)."""
    kept = [(sample.meta["kept_atoms"], sample.meta["atoms"]) for sample in samples
            if sample.smiles and "kept_atoms" in (sample.meta or {})]
    return sum(2 * held < atoms for held, atoms in kept) if kept else None


def _process_chunk(samples, known: set[str], check: ConditionFilter, profile: ScoringProfile, train, origin: str,
                   index: int, n_jobs: int, carry_stereo: bool = False):
    """A chunk's samples parsed, deduplicated against the run, scored and checked. ``carry_stereo``: a kept
    scaffold's stereocentres set on the molecules holding it unassigned (runs stored before this keep theirs as
    sampled, so a resumed run stores no second form of a molecule it has)."""
    from molgen.scoring.pipeline import mixtures_said_elsewhere, score, windows_said_elsewhere

    rejects: list[tuple[str, str]] = []
    new: dict[str, float | None] = {}
    meta: dict[str, dict] = {}
    mols, as_sampled = {}, {}
    n_valid = n_duplicate = 0
    with quiet_rdkit():
        for sample in samples:
            if (sample.meta or {}).get("truncated"):   # a string cut off at max_len: no molecule, whatever parses
                rejects.append((sample.meta.get("unfinished", ""), f"unfinished: the model had not ended it within "
                                f"max_len {sample.meta.get('max_len', '')} tokens (a higher max_len lets it finish)"))
                continue
            parsed = parse_smiles(sample.smiles)
            if not parsed.ok and (sample.meta or {}).get("error"):   # a graph RDKit could not sanitize: its reason
                reason = sample.meta.get("reason") or f"other: {problem_in_words(sample.meta['error'])}"
                rejects.append((sample.meta.get("graph", ""), f"{reason} (as sampled, before any correction)"))
                continue
            if not parsed.ok:
                rejects.append((sample.smiles, f"{parsed.failure.value}: {parsed.message}"))
                continue
            if has_dummy_atom(parsed.mol):   # a scaffold's * left unfilled: no molecule, and no row score() can fill
                rejects.append((sample.smiles, FRAGMENT_REASON))
                continue
            n_valid += 1
            mol = check.with_scaffold_stereo(parsed.mol) if carry_stereo else parsed.mol
            canonical = Chem.MolToSmiles(mol)
            if canonical in known or canonical in new:
                n_duplicate += 1
                continue
            new[canonical] = sample.log_likelihood
            meta[canonical] = sample.meta or {}
            mols[canonical] = mol
            if mol is not parsed.mol:   # its stereo set by the run: the molecule as sampled is what novelty asks of
                as_sampled[canonical] = Chem.MolToSmiles(parsed.mol)
    if not new:
        return pd.DataFrame(columns=["smiles", "meets_conditions"]), rejects, n_valid, n_duplicate
    # what a model wrote: a mixture is in its row's fragments; one chunk of a run says nothing of a window
    with mixtures_said_elsewhere(), windows_said_elsewhere():
        table = score(list(new), profile, n_jobs=n_jobs, progress=False)
    table["alert_names"] = table["alert_names"].fillna("")
    table["alerts"] = table["alerts"].astype(int)
    table["chunk"] = index
    table["origin"] = origin
    table["log_likelihood"] = [new[s] for s in table["smiles"]]
    table["novel"] = [None if train is None else s not in train and as_sampled.get(s, s) not in train
                      for s in table["smiles"]]
    for key, column in SAMPLE_META_COLUMNS.items():
        if any(key in m for m in meta.values()):
            table[column] = pd.array([meta[s].get(key) for s in table["smiles"]], dtype="Int64")
    if check.conditions.similar_to:
        # unrounded, as the condition reads it: a file and a filter on it agree at the threshold (a review)
        table["similarity_to_reference"] = [check.similarity(mols[s]) for s in table["smiles"]]
    with quiet_rdkit():
        missed = [check.failures(mols[s], row) for s, row in zip(table["smiles"], table.to_dict("records"))]
    table["meets_conditions"] = [not m for m in missed]
    table["failed_conditions"] = ["; ".join(m) for m in missed]
    table["rank"] = 0  # ranks are set over the whole run once sampling ends
    return table, rejects, n_valid, n_duplicate


def _rank(store: RunStore, run_id: str, profile: ScoringProfile, owner: str | None = None) -> int:
    """Rank the molecules meeting every condition; returns how many of them fail a hard filter (ranked last)."""
    ids, ranks, failing, fronts = run_ranks(store.candidates(run_id, order_by="id"), profile)
    store.set_ranks(run_id, ids, ranks, owner, fronts)
    return failing


def shipped_graph_vae_cannot_encode(smiles: str) -> str | None:
    """Why the shipped graph VAE cannot steer towards ``smiles`` (too many heavy atoms, an element it never saw), or
    None when it can, or when it cannot be loaded to ask (nothing is then said of it)."""
    from molgen.models.base import shipped_checkpoints

    try:
        model = _shipped_generator("graph-vae", str(shipped_checkpoints()["graph-vae"]))
    except Exception:  # noqa: BLE001 -- no shipped VAE here: the hint is then left as it was
        return None
    reason = model.unsteered(conditions_from_dict({"similar_to": smiles})).get("similar_to")
    return reason.rstrip(".") if reason else None


def core_hint(reference: str, family: str) -> str:
    """The run message's advice to keep the reference's ring core, its Murcko scaffold named (", and --scaffold
    keeps its core" left the chemist to work out which); the graph VAE keeps no scaffold, so a model that does is
    named. Nothing for an acyclic reference, or a core the shipped models cannot write (an element outside their
    training data, as in a selenophene): that advice was a dead end; nor for a lone benzene (paracetamol's), which
    nearly every molecule holds (a review: no advice at all)."""
    from molgen.data.splits import murcko_scaffold

    scaffold = murcko_scaffold(reference)
    if not scaffold or scaffold == "c1ccccc1" or shipped_graph_vae_cannot_encode(scaffold) is not None:
        return ""
    keeper = " with a model that keeps a scaffold (--model smiles-lm-lstm or graph-diffusion)" \
        if family == "graph-vae" else ""
    return f", and --scaffold '{scaffold}' (the reference's ring core){keeper} keeps its core"


def shipped_diffusion_can_inpaint(scaffold: str) -> bool:
    """Whether the shipped graph diffusion grows molecules on ``scaffold`` by inpainting (its atoms in the model's
    vocabulary, written as SMILES, room left to grow): the advice to use it is a dead end otherwise. False when it
    cannot be loaded to ask."""
    from molgen.models.base import shipped_checkpoints

    try:
        _shipped_generator("graph-diffusion", str(shipped_checkpoints()["graph-diffusion"]))._check_inpaintable(scaffold)
    except Exception:  # noqa: BLE001 -- a scaffold it refuses, or no shipped model here: no advice
        return False
    return True


@lru_cache(maxsize=2)
def _shipped_generator(family: str, path: str):
    """A shipped model a run's advice asks what it can do (loaded once per process)."""
    return _load_generator(family, Path(path))


def filtered_only(record: dict) -> list[str]:
    """The property conditions and the scaffold of a run its model did not steer, met by the filter alone
    ("range mw"): a chemist reading "steered natively" for some should not assume it of the rest."""
    conditions, native = record["conditions"], record["native"]
    asked = [f"target {name}" for name in conditions.get("targets", {})] + [f"range {name}" for name in conditions.get("ranges", {})]
    asked += ["scaffold"] if conditions.get("scaffold") else []
    # a reference without a threshold asks only for a similarity column: nothing to steer or to meet
    asked += ["similar_to"] if conditions.get("similar_to") and (conditions.get("min_similarity") or 0) > 0 else []
    return [what for what in asked if what not in native]


def filter_alone_note(record: dict) -> str | None:
    """What the filter alone met, in words, where a chemist could think it steered: beside conditions the model
    did steer, or for a scaffold (which a chemist expects a model to build on: a SMARTS pattern, or a scaffold
    written with atoms the model never saw, is only filtered for, and may keep few molecules)."""
    alone = filtered_only(record)
    # nothing steered goes without saying, but for a scaffold, and for a reference the graph VAE could not encode
    # (it steers one it can)
    expected = "scaffold" in alone or (record["model"] == "graph-vae" and "similar_to" in alone)
    if not alone or not (record["native"] or expected):
        return None
    note = f"{', '.join(alone)}: not steered by this model here; met by the filter alone"
    scaffold = record["conditions"].get("scaffold") or ""
    with quiet_rdkit():
        written = Chem.MolFromSmiles(scaffold) if scaffold else None
    if "scaffold" in alone and written is not None and misplaced_attachment_point(written):
        # C1CC*CC1: a * in a ring or on a double bond marks no place for a group; the filter reads it as any atom
        note += " (its * is no attachment point, which hangs off one atom by a single bond: it is read as any atom)"
    elif "scaffold" in alone and record["model"] == "smiles-lm":
        note += (" (a SMILES language model completes a scaffold written as SMILES, in atoms it was trained on, with "
                 "at most one attachment point *; graph diffusion's inpainting builds at several)")
    if "scaffold" in alone and not written_as_smarts(scaffold) and not (read := parse_smiles(scaffold)).ok:
        # a slip in a SMILES that still reads as SMARTS (c1ccc2ncnc2c1) turns building on it into filtering for it
        note += f" (the scaffold reads as SMARTS only: it is not valid SMILES, {read.reason})"
    if record["model"] == "graph-diffusion" and any(what.startswith("range ") for what in alone) and \
            any(what == "scaffold" or what.startswith("target ") for what in record["native"]):
        note += " (graph diffusion steers ranges through its label prior only when no target or scaffold is given)"
    if "similar_to" in alone and (why := (record.get("params") or {}).get("unsteered", {}).get("similar_to")):
        note += f" (the reference: {why.rstrip('.')})"
    return note


def validity_note(record: dict, counts: dict | None = None) -> str:
    """How a run's validity was reached, to print beside it: as sampled, or through the graph
    diffusion projection, which corrects valence and ring size (``graph_diffusion/projection.py``); and how many
    valid samples were a scaffold with nothing grown on it, or, without a scaffold, kept under half their graph
    (``counts``: the run's, else its record's)."""
    # graph diffusion keeps each graph's largest fragment, as DiGress counts validity: say so, since
    # a scaffold held by inpainting can sit in a smaller fragment and be lost with it
    if record["model"] == "graph-vae":   # its decoder never offers a bond that breaks valence: said, as its card says
        return "valid by construction: valence-masked decoder"
    if record["model"] != "graph-diffusion":
        return "no correction"
    # dropping the pieces is a change a chemist may call a correction: said apart from the atoms and bonds
    kept = "the scaffold's kept" if record["conditions"].get("scaffold") else "the largest kept, as DiGress counts"
    fragment = f"; disconnected pieces dropped ({kept})"
    counts = counts if counts is not None else record.get("counts") or {}
    if dropped := counts.get("mostly_dropped"):   # at 1 step, every sample a lone atom of a graph without bonds
        fragment += (f"; {dropped:,} of the valid samples kept under half the atoms of their graph, the rest in "
                     "pieces apart")
    bare = counts.get("bare_scaffold")
    if bare:   # valid, as DiGress counts, but nothing a chemist can use: 42 of 64 at a quinazoline's two marks
        fragment += (f"; {bare:,} of the valid samples {'are' if bare != 1 else 'is'} the bare scaffold, its new "
                     "atoms all in pieces apart")
    if record["params"]["sample_options"].get("projection"):
        return f"after projection onto valence and ring size, a correction{fragment}"
    return f"atoms and bonds not corrected{fragment}"

