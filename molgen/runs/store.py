"""The run store: one SQLite database (WAL mode) holding every generation run and its candidates.

Tables:

- ``runs``: one row per run: its parameters, model and checkpoint sha256, seed, conditions,
  profile, package versions, timings, counts, status and a message.
- ``chunks``: one row per sampled chunk, written in the same transaction as the chunk's
  candidates, so a run killed at any moment resumes after its last whole chunk with nothing
  missing and nothing twice.
- ``candidates``: one row per distinct valid molecule: canonical SMILES, origin, log-likelihood,
  novelty, whether it meets the conditions (and what it missed), every property and score as
  an SQL column (sortable and filterable in SQL; a profile's own columns such as ``d_qed`` or
  ``lipinski_pass`` are added the first time a run produces them, and recorded with their kind
  in ``candidate_columns``), and the user's tags and selection.
- ``rejects``: every sampled string that is not a molecule, with the reason.

Several processes may write at once (WAL plus a busy timeout); each run only writes its own rows.
A run being sampled is leased to its process (``owner``, ``heartbeat``): another process may not
resume or delete it while the lease is live, and a run whose process died without a word (SIGKILL,
a machine that stopped) reads as interrupted once its heartbeat is stale.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import sqlite3
import threading
import time
import unicodedata
import uuid
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import pandas as pd

from molgen.paths import home
from molgen.scoring.properties import PROPERTIES

SCHEMA_VERSION = 1
#: A sampling process writes its run's heartbeat this often (seconds), from a thread of its own; a
#: heartbeat older than LEASE_SECONDS means the process is gone. Generous: a busy store or a long
#: RDKit call may hold a beat up for a while, and a lease taken from a live process costs its run.
HEARTBEAT_SECONDS = 5.0
LEASE_SECONDS = 60.0
PROPERTY_COLUMNS = tuple(PROPERTIES)
#: Columns of the scoring table that describe the input, not the molecule: not stored.
_NOT_STORED = ("input", "valid", "reason", "duplicate", "duplicate_of", "fragments")  # a run keeps sampled_fragments
_BOOL_COLUMNS = ("novel", "meets_conditions", "passes_filters", "selected")
#: Columns of ``runs`` added after the first stores were written (leases; what a run's model learned from): an older
#: store gets them when opened.
_ADDED_RUN_COLUMNS = (("owner", "TEXT"), ("heartbeat", "REAL"), ("model_training", "TEXT"))
CORE_COLUMNS = ("smiles", "chunk", "origin", "log_likelihood", "novel", "meets_conditions", "failed_conditions", "score",
                "rank", "passes_filters", "failed_filters", "alerts", "alert_names")

_FIXED_COLUMNS = ("id", "run_id", *CORE_COLUMNS, *PROPERTY_COLUMNS, "tags", "selected")

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY, name TEXT, created REAL, updated REAL, status TEXT, message TEXT,
    model TEXT, checkpoint TEXT, checkpoint_sha256 TEXT, seed INTEGER, n_requested INTEGER,
    params TEXT, conditions TEXT, native TEXT, profile TEXT, versions TEXT, timings TEXT, counts TEXT,
    tags TEXT DEFAULT '[]', owner TEXT, heartbeat REAL, model_training TEXT);
CREATE TABLE IF NOT EXISTS chunks (
    run_id TEXT, idx INTEGER, size INTEGER, n_valid INTEGER, n_new INTEGER, n_duplicate INTEGER,
    n_accepted INTEGER, seconds REAL, PRIMARY KEY (run_id, idx));
-- a table of its own, not a column of chunks: molgen versions before it insert into chunks by position
CREATE TABLE IF NOT EXISTS bare_scaffolds (run_id TEXT, idx INTEGER, n INTEGER, PRIMARY KEY (run_id, idx));
CREATE TABLE IF NOT EXISTS mostly_dropped (run_id TEXT, idx INTEGER, n INTEGER, PRIMARY KEY (run_id, idx));
CREATE TABLE IF NOT EXISTS candidates (
    id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, smiles TEXT NOT NULL, chunk INTEGER, origin TEXT,
    log_likelihood REAL, novel INTEGER, meets_conditions INTEGER, failed_conditions TEXT,
    score REAL, rank INTEGER, passes_filters INTEGER, failed_filters TEXT, alerts INTEGER, alert_names TEXT,
    {", ".join(f'"{p}" REAL' for p in PROPERTY_COLUMNS)},
    tags TEXT DEFAULT '', selected INTEGER DEFAULT 0,
    UNIQUE (run_id, smiles));
CREATE TABLE IF NOT EXISTS candidate_columns (name TEXT PRIMARY KEY, kind TEXT);
CREATE INDEX IF NOT EXISTS candidates_rank ON candidates (run_id, rank);
CREATE TABLE IF NOT EXISTS rejects (run_id TEXT, chunk INTEGER, text TEXT, reason TEXT);
CREATE INDEX IF NOT EXISTS rejects_run ON rejects (run_id);
"""


#: How far (g/mol) a charged or isotope-labelled molecule's stored weight may lie from its parent's for a lookup by
#: compound to read it: ten hydrogens gained or lost, or ten deuteriums (1.008 and 1.006 each).
ION_OR_LABEL_SHIFT = 10.1


class RunNotFound(KeyError):
    def __str__(self) -> str:
        return f"no run {self.args[0]!r} in the store (see `molgen runs list`)"


class AmbiguousRun(RunNotFound):
    """Several runs answer to one name (stores written before names had to be unique): which one is meant
    is not guessed, since export, resume and delete would act on it."""

    def __str__(self) -> str:
        name, ids, *prefix = self.args
        if prefix and prefix[0]:
            shown = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
            return f"{len(ids)} run ids start with {name!r} ({shown}): give more of the id"
        return f"{len(ids)} runs are named {name!r} (ids {', '.join(ids)}, newest first): give the id of the one you mean"


class RunNameTaken(ValueError):
    pass


class RunBusy(RuntimeError):
    """The run is being sampled by another live process: resuming or deleting it now would corrupt it."""


class StoreUnreadable(RuntimeError):
    """The run store's file cannot be used: damaged, not a molgen store, or locked by another process too long."""


def _store_problem(path: Path, error: sqlite3.DatabaseError) -> str:
    """What SQLite's ``error`` on opening the store at ``path`` means to a chemist, and what to do: only a file that
    is no database, or a damaged one, is offered to be moved aside (a full disk or a read-only folder is no
    damage, and moving the store then would look like losing its runs)."""
    kind = getattr(error, "sqlite_errorname", "")
    if kind.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in str(error):
        return (f"the run store {path} is locked by another process that holds it too long (a sampling run writes "
                "briefly): try again when it finishes")
    if kind.startswith(("SQLITE_CANTOPEN", "SQLITE_READONLY", "SQLITE_FULL", "SQLITE_IOERR", "SQLITE_PERM",
                        "SQLITE_AUTH")):
        return (f"the run store {path} cannot be opened ({error}): check that its folder can be written in and the "
                "disk has room; MOLGEN_HOME names another folder")
    # not a database, damaged, or another program's tables under the name
    return (f"the run store {path} cannot be read ({error}): it is damaged or no molgen store. Move it aside "
            "(molgen then starts an empty one there) or restore it from a copy; MOLGEN_HOME names another folder")


def run_ranks(frame: pd.DataFrame, profile) -> tuple[np.ndarray, np.ndarray, int, np.ndarray | None]:
    """(candidate ids, their ranks, how many fail a hard filter, their Pareto fronts: None unless the profile ranks
    by them) for a run's candidates ``frame`` under its scoring ``profile``: the molecules meeting every condition
    are ranked, those failing a hard filter last. The fronts are of the whole run, as the ranks are: each chunk's
    scoring numbered fronts among its own molecules, and a review's export of ``pareto_front == 1`` held 27
    molecules down to rank 63, dominated ones among them."""
    from molgen.scoring.aggregate import AGGREGATIONS
    from molgen.scoring.ranking import pareto_ranks, rank_after_hard_filters

    pareto = profile.ranking == "pareto"
    frame = frame[frame["meets_conditions"].fillna(False).astype(bool)]
    if not len(frame):
        return np.zeros(0, np.int64), np.zeros(0, np.int64), 0, np.zeros(0, np.int64) if pareto else None
    # reindex: a desirability column the store holds no value of comes back absent, not as NaN
    desirability = frame.reindex(columns=[f"d_{c.property}" for c in profile.components]).to_numpy(dtype=float)
    # the score before any hard filter zeroed it orders the molecules that failed one, after the rest
    aggregate = AGGREGATIONS[profile.aggregation](desirability, [c.weight for c in profile.components])
    passes = passes_hard_filters(frame).to_numpy()
    # as scoring numbers them: among the molecules passing the hard filters (0: failing one)
    fronts = pareto_ranks(np.where(passes[:, None], desirability, np.nan)) if pareto else None
    ranks = rank_after_hard_filters(frame["score"].to_numpy(dtype=float), aggregate, passes,
                                    desirability if pareto else None, fronts)
    return frame["id"].to_numpy(), ranks, int((~passes).sum()), fronts


def passes_hard_filters(frame: pd.DataFrame) -> pd.Series:
    """Which candidates pass the profile's hard filters (a candidate not scored for them counts as passing)."""
    return frame["passes_filters"].fillna(True).astype(bool)


def ranked_count(counts: dict | None) -> int:
    """How many of a run's molecules are ranked, from its record's counts (runs counted before ``ranked`` was
    counted were ranked whole: their ``accepted``)."""
    counts = counts or {}
    return counts.get("ranked", counts.get("accepted", 0))


def _has_tag(parameter: str = "?1") -> str:
    """SQL: whether a candidate's tags (joined by commas) hold the whole tag ``parameter``: "hinge" is not in
    "hinge-binders"."""
    return f"instr(',' || tags || ',', ',' || {parameter} || ',') > 0"


def _checked_tags(tags: Iterable[str]) -> list[str]:
    """Tags as stored (joined by commas, so "a,b" would read as two); ``ValueError`` for an empty one, a comma, or
    a line break or other control character."""
    tags = [t.strip() for t in tags]
    # a line break or a control character (a terminal's escape) breaks the table a tag is shown in
    bad = [t for t in tags if not t or "," in t or any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in t)]
    if bad:
        raise ValueError(f"a tag is a non-empty word or phrase on one line, without commas, tabs or line breaks; not "
                         f"{', '.join(map(repr, bad))}"
                         + (" (give several tags one at a time)" if any("," in t for t in bad) else ""))
    return tags


def new_owner() -> str:
    """Who holds a lease: host, process id, the process's start time where the system tells it (so a later
    process given the same id is not taken for it) and a token (two runs of one process, as in the web app,
    differ)."""
    return f"{socket.gethostname()}:{os.getpid()}:{_started(os.getpid()) or ''}:{uuid.uuid4().hex[:8]}"


def _started(pid: int) -> str | None:
    """When process ``pid`` started, in clock ticks since boot (Linux ``/proc``); None where unknown or gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]   # field 22; the name before it may hold spaces and parentheses


def default_path() -> Path:
    return home() / "runs.sqlite"


class RunStore:
    """The SQLite run store at ``path`` (default: ``$MOLGEN_HOME/runs.sqlite``)."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path else default_path()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:   # MOLGEN_HOME naming a file, or a folder that cannot be made
            raise StoreUnreadable(f"the run store's folder {self.path.parent} cannot be made ({error.strerror}): "
                                  "MOLGEN_HOME names another folder") from None
        self._db = None
        try:
            self._db = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
            self._db.row_factory = sqlite3.Row
            self._open()
        except sqlite3.DatabaseError as error:   # said as a chemist can act on it, not as a traceback
            if self._db is not None:
                self._db.close()
            raise StoreUnreadable(_store_problem(self.path, error)) from None

    def _open(self) -> None:
        self._db.execute("PRAGMA busy_timeout=60000")
        # Switching a new file to WAL takes an exclusive lock that SQLite's busy handler does not wait
        # for, so two processes creating the store at once retry here rather than fail.
        _retry(lambda: self._db.execute("PRAGMA journal_mode=WAL"))
        self._db.execute("PRAGMA synchronous=NORMAL")
        if self._schema_current():   # a reader needs no write lock (another process may hold it for a while)
            return
        with self.transaction():
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    self._db.execute(statement)
            present = {r[1] for r in self._db.execute("PRAGMA table_info(runs)")}
            # stores written before leases, and before runs kept what their model learned from
            for column, kind in _ADDED_RUN_COLUMNS:
                if column not in present:
                    self._db.execute(f"ALTER TABLE runs ADD COLUMN {column} {kind}")
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
            self._db.executemany("INSERT OR IGNORE INTO candidate_columns VALUES (?, 'bool')", [(c,) for c in _BOOL_COLUMNS])

    def _schema_current(self) -> bool:
        """Whether the file already holds this version's tables and columns (nothing to create)."""
        made = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master")}
        if not set(re.findall(r"CREATE (?:TABLE|INDEX) IF NOT EXISTS (\w+)", _SCHEMA)) <= made:
            return False
        version = self._db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        present = {r[1] for r in self._db.execute("PRAGMA table_info(runs)")}
        kinds = {r[0] for r in self._db.execute("SELECT * FROM candidate_columns")}
        return (version is not None and version[0] == str(SCHEMA_VERSION)
                and set(dict(_ADDED_RUN_COLUMNS)) <= present and set(_BOOL_COLUMNS) <= kinds)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "RunStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All or nothing; ``BEGIN IMMEDIATE`` takes the write lock up front so two writers queue, not deadlock."""
        _retry(lambda: self._db.execute("BEGIN IMMEDIATE"))
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # runs ---------------------------------------------------------------------------------

    def create_run(self, *, name: str | None, model: str, checkpoint: str, checkpoint_sha256: str, seed: int,
                   n_requested: int, params: dict, conditions: dict, native: dict, profile: dict, versions: dict,
                   owner: str | None = None, model_training: dict | None = None) -> str:
        """A new run, status running; ``owner`` (see :func:`new_owner`) holds its lease from the start, so no
        other process can take it before its creator's :meth:`lease`. ``model_training``: what the checkpoint
        learned from (its data and the model it was fine-tuned from), kept with the run should the file go."""
        run_id = time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
        now = time.time()
        with self.transaction() as db:
            taken = (db.execute("SELECT id, status FROM runs WHERE name = ? OR id = ?", (name, name)).fetchone()
                     if name else None)
            if taken:  # a name is how export, resume and delete find a run: two runs must not share one
                raise RunNameTaken(f"a run named {name!r} is already in the store (id {taken['id']}): choose another "
                                   "name" + ("" if taken["status"] == "complete" else
                                             f", or continue that run (molgen generate --resume {shlex.quote(name)})"))
            db.execute("INSERT INTO runs (id, name, created, updated, status, message, model, checkpoint, checkpoint_sha256, "
                       "seed, n_requested, params, conditions, native, profile, versions, timings, counts, owner, heartbeat, "
                       "model_training) VALUES (?, ?, ?, ?, 'running', '', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '{}', '{}', ?, ?, ?)",
                       (run_id, name or run_id, now, now, model, checkpoint, checkpoint_sha256, seed, n_requested,
                        json.dumps(params), json.dumps(conditions), json.dumps(native), json.dumps(profile),
                        json.dumps(versions), owner, now, json.dumps(model_training or {})))
        return run_id

    # leases -------------------------------------------------------------------------------

    @contextmanager
    def lease(self, run: str, owner: str | None = None) -> Iterator[str]:
        """Hold ``run`` for this process while the block runs: ``RunBusy`` if another live process holds it;
        a heartbeat thread keeps the lease fresh; it is given up on leaving. Yields the owner, for
        :meth:`add_chunk`'s check that the lease was not lost meanwhile (a process frozen past the lease)."""
        run_id = self.resolve(run)
        owner = owner or new_owner()
        with self.transaction() as db:
            row = db.execute("SELECT name, owner, heartbeat FROM runs WHERE id = ?", (run_id,)).fetchone()
            if row is None:   # deleted since it was resolved
                raise RunNotFound(run)
            if row["owner"] != owner and _live(row["owner"], row["heartbeat"]):
                raise RunBusy(_busy_message(run_id, row))
            db.execute("UPDATE runs SET owner = ?, heartbeat = ? WHERE id = ?", (owner, time.time(), run_id))
        beat = _Heartbeat(self.path, run_id, owner)
        beat.start()
        try:
            yield owner
        finally:
            beat.stop()
            with self.transaction() as db:
                db.execute("UPDATE runs SET owner = NULL, heartbeat = NULL WHERE id = ? AND owner = ?", (run_id, owner))

    def tally(self, run_id: str, n: int) -> dict:
        """A run's counts from what it stored: chunks sampled, valid, duplicates, unique, meeting every condition
        (``accepted``), of those failing the profile's hard filters (ranked last), ranked, novel."""
        chunks = self.chunks(run_id)
        frame = self.candidates(run_id, order_by="id", columns=["smiles", "novel", "meets_conditions", "passes_filters", "rank"])
        meets = frame["meets_conditions"].fillna(False).astype(bool)
        failing = meets & ~passes_hard_filters(frame)
        sampled = int(chunks["size"].sum())
        valid = int(chunks["n_valid"].sum())
        novel = frame["novel"].dropna()
        return {"requested": n, "chunks": len(chunks), "sampled": sampled, "valid": valid,
                "validity": round(valid / sampled, 4) if sampled else None, "duplicates": int(chunks["n_duplicate"].sum()),
                "unique": len(frame), "accepted": int(meets.sum()), "failing_hard_filters": int(failing.sum()),
                # below accepted only for a run settled after its process died: ranks are set as a run ends
                "ranked": int((frame["rank"].fillna(0) > 0).sum()),
                "novel": int(novel.sum()) if len(novel) else None,
                "novelty": round(float(novel.mean()), 4) if len(novel) else None,
                # valid samples that grew nothing on the scaffold (graph diffusion's new atoms all came apart)
                "bare_scaffold": self._chunk_count("bare_scaffolds", run_id),
                # valid samples that kept under half their graph (graph diffusion's graph fell apart)
                "mostly_dropped": self._chunk_count("mostly_dropped", run_id)}

    def _chunk_count(self, table: str, run_id: str) -> int | None:
        """A run's sum over its chunks of a count kept in ``table`` (bare scaffolds, samples mostly dropped); None
        unless every chunk with a valid sample counted it (its sampler did not, or a version before the table stored
        some chunks: a part read as the whole run's would undercount)."""
        total, counted = self._db.execute(f"SELECT SUM(n), COUNT(*) FROM {table} WHERE run_id = ?",
                                          (run_id,)).fetchone()
        # a chunk without a valid sample may keep no row; one with valid samples and none is an older version's
        missing = self._db.execute(f"SELECT COUNT(*) FROM chunks c WHERE c.run_id = ? AND c.n_valid > 0 AND NOT EXISTS "
                                   f"(SELECT 1 FROM {table} t WHERE t.run_id = c.run_id AND t.idx = c.idx)",
                                   (run_id,)).fetchone()[0]
        return int(total) if counted and not missing else None

    def busy(self, run: str) -> str | None:
        """Why ``run`` cannot be continued or deleted now (another live process samples it), or None."""
        run_id = self.resolve(run)
        row = self._db.execute("SELECT name, owner, heartbeat FROM runs WHERE id = ?", (run_id,)).fetchone()
        return _busy_message(run_id, row) if row is not None and _live(row["owner"], row["heartbeat"]) else None

    def _settle_abandoned(self) -> None:
        """A run left 'running' by a process that died without a word (SIGKILL, a machine that stopped) reads
        as interrupted: nothing will write to it again, so what it stored is ranked and counted here (it can be
        browsed and exported as it stands, as after a Ctrl-C), and it resumes as any interrupted run does."""
        from molgen.scoring.profiles import ScoringProfile

        from molgen.runs.generate import validity_note

        running = self._db.execute("SELECT id, owner, heartbeat, n_requested, counts, profile, model, conditions, "
                                   "params FROM runs WHERE status = 'running'").fetchall()
        abandoned = [row for row in running if not _live(row["owner"], row["heartbeat"])]
        if not abandoned:
            return   # the usual case: a read, with no write lock taken
        settled = {}
        for row in abandoned:   # ranked and counted before the write lock is taken
            chunks = self._db.execute("SELECT COUNT(*) FROM chunks WHERE run_id = ?", (row["id"],)).fetchone()[0]
            try:
                ranks = run_ranks(self.candidates(row["id"], order_by="id"), ScoringProfile.from_dict(json.loads(row["profile"])))
            except sqlite3.Error:
                raise
            except Exception:  # noqa: BLE001 -- a profile this version cannot read: settled unranked, ranked on resume
                ranks = None
            # counted from what it stored: its record's counts are those of an earlier part, or none
            counts = self.tally(row["id"], row["n_requested"])
            counts["validity_note"] = validity_note({"model": row["model"], "conditions": json.loads(row["conditions"]
                                                                                                    or "{}"),
                                                     "params": json.loads(row["params"] or "{}")}, counts)
            if ranks is not None:
                counts["ranked"] = int((ranks[1] > 0).sum())
            settled[row["id"]] = ranks, counts, chunks
        with self.transaction() as db:
            for row in abandoned:   # unless another process took the lease meanwhile (a resume)
                ranks, counts, chunks = settled[row["id"]]
                # a process on another machine, silent past its lease but alive, may have stored a chunk since
                # the snapshot: those ranks would leave it out, so the run is ranked when it is continued
                if db.execute("SELECT COUNT(*) FROM chunks WHERE run_id = ?", (row["id"],)).fetchone()[0] != chunks:
                    ranks = None
                ranked = ("ranked, and can be browsed and exported as it stands" if ranks is not None
                          else "ranked when the run is continued")
                changed = db.execute(
                    # updated: now, as its status, counts and ranks change (the workbench reads a run anew by it)
                    "UPDATE runs SET status = 'interrupted', owner = NULL, heartbeat = NULL, message = ?, "
                    "counts = ?, updated = ? WHERE id = ? AND status = 'running' AND owner IS ?",
                    (f"its process ended without a word (killed, or its machine stopped); what it stored is kept, "
                     f"counted and {ranked}; continue with `molgen generate --resume {row['id']}`",
                     json.dumps(counts), time.time(), row["id"], row["owner"])).rowcount
                if changed and ranks is not None:
                    self._write_ranks(db, row["id"], ranks[0], ranks[1], ranks[3])

    def resolve(self, run: str) -> str:
        """A run id from an id, a unique id prefix or a name (``AmbiguousRun`` if several runs share it)."""
        row = self._db.execute("SELECT id FROM runs WHERE id = ?", (run,)).fetchone()
        if row:
            return row["id"]
        rows = self._db.execute("SELECT id FROM runs WHERE name = ? ORDER BY created DESC", (run,)).fetchall()
        if len(rows) > 1:
            raise AmbiguousRun(run, [r["id"] for r in rows])
        if rows:
            return rows[0]["id"]
        escaped = run.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")   # a prefix, not a pattern
        rows = self._db.execute("SELECT id FROM runs WHERE id LIKE ? ESCAPE '\\' ORDER BY id", (escaped + "%",)).fetchall()
        if len(rows) == 1:
            return rows[0]["id"]
        if len(rows) > 1 and run:
            raise AmbiguousRun(run, [r["id"] for r in rows], True)
        raise RunNotFound(run)

    def run(self, run: str) -> dict:
        self._settle_abandoned()
        row = self._db.execute("SELECT * FROM runs WHERE id = ?", (self.resolve(run),)).fetchone()
        record = dict(row)
        for internal in ("owner", "heartbeat"):
            record.pop(internal)
        for key in ("params", "conditions", "native", "profile", "versions", "timings", "counts", "tags", "model_training"):
            record[key] = json.loads(record[key] or "{}")
        return record

    def newest(self, status: str, since: float) -> str | None:
        """The id of the newest run with ``status`` created at or after ``since`` (seconds since the epoch)."""
        self._settle_abandoned()
        row = self._db.execute("SELECT id FROM runs WHERE status = ? AND created >= ? ORDER BY created DESC LIMIT 1",
                               (status, since)).fetchone()
        return row[0] if row else None

    def runs(self) -> pd.DataFrame:
        self._settle_abandoned()
        rows = self._db.execute("SELECT id, name, created, status, model, seed, n_requested, counts, tags, profile, "
                                "checkpoint FROM runs ORDER BY created DESC").fetchall()
        frame = pd.DataFrame([dict(r) for r in rows], columns=["id", "name", "created", "status", "model", "seed",
                                                               "n_requested", "counts", "tags", "profile", "checkpoint"])
        # the profile's name: the same molecules rank differently under another
        # (an older molgen's drug-like said as such, as `runs show` and Compare say it)
        from molgen.scoring.profiles import stored_profile_label

        labels: dict[str, str | None] = {}   # each distinct stored profile read once (runs share a few)
        for text in frame["profile"].dropna().unique():
            try:
                data = json.loads(text)
                labels[text] = stored_profile_label(data) if isinstance(data, dict) else None
            except ValueError:   # a record edited by hand: no name to show
                labels[text] = None
        frame["profile"] = [labels.get(p) if isinstance(p, str) else None for p in frame["profile"]]
        # seconds since the epoch (as `runs show --json` gives them, for scripts) and the minute a person reads
        frame.insert(frame.columns.get_loc("created") + 1, "created_at", frame["created"].astype(float))
        frame["created"] = pd.to_datetime(frame["created"], unit="s").dt.strftime("%Y-%m-%d %H:%M")
        counts = [json.loads(c or "{}") for c in frame.pop("counts")]
        # from the chunks: a running run's record counts are written only as it ends
        sampled = dict(self._db.execute("SELECT run_id, sum(size) FROM chunks GROUP BY run_id").fetchall())
        frame["sampled"] = [int(sampled.get(run_id) or 0) for run_id in frame["id"]]
        frame["accepted"] = [c.get("accepted", 0) for c in counts]
        frame["ranked"] = [ranked_count(c) for c in counts]
        return frame

    def update_run(self, run_id: str, owner: str | None = None, **fields) -> None:
        """Set fields of a run's record; with ``owner``, only while that lease holds it (``LeaseLost`` if not)."""
        encoded = {k: json.dumps(v) if isinstance(v, (dict, list)) else v for k, v in fields.items()}
        encoded["updated"] = time.time()
        with self.transaction() as db:
            if owner is not None:
                self._check_held(db, run_id, owner)
            db.execute(f"UPDATE runs SET {', '.join(f'{k} = ?' for k in encoded)} WHERE id = ?", (*encoded.values(), run_id))

    @staticmethod
    def _check_held(db: sqlite3.Connection, run_id: str, owner: str) -> None:
        """Inside a write transaction: ``LeaseLost`` unless ``owner`` still holds the run (it may have been taken
        over by another process while this one was stalled, or deleted)."""
        row = db.execute("SELECT owner FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise LeaseLost(f"run {run_id} was deleted while this process was sampling it; this process stops")
        if row["owner"] != owner:
            raise LeaseLost(f"run {run_id} was taken over by another process while this one was stalled "
                            f"(no heartbeat for over {LEASE_SECONDS:.0f} s); this process stops writing to it")

    def tag_run(self, run: str, tags: Iterable[str], remove: bool = False) -> list[str]:
        """A run's tags after adding (or removing) ``tags``; ``ValueError`` for an empty tag or one with a comma
        (tags are listed joined by commas, so "a,b" would read as two)."""
        # a tag to remove is matched as stored (an older molgen stored tags with line breaks): only added ones checked
        tags = [t.strip() for t in tags] if remove else _checked_tags(tags)
        record = self.run(run)
        current = list(record["tags"]) if isinstance(record["tags"], list) else []
        new = [t for t in current if t not in tags] if remove else current + [t for t in tags if t not in current]
        self.update_run(record["id"], tags=new)
        return new

    def delete_run(self, run: str) -> str:
        """Remove a run and all its rows; ``RunBusy`` while another live process samples it."""
        run_id = self.resolve(run)
        with self.transaction() as db:
            row = db.execute("SELECT name, owner, heartbeat FROM runs WHERE id = ?", (run_id,)).fetchone()
            if row is None:   # deleted meanwhile by another process
                raise RunNotFound(run)
            if _live(row["owner"], row["heartbeat"]):
                raise RunBusy(_busy_message(run_id, row))
            for table in ("candidates", "chunks", "rejects", "bare_scaffolds", "mostly_dropped"):
                db.execute(f"DELETE FROM {table} WHERE run_id = ?", (run_id,))
            db.execute("DELETE FROM runs WHERE id = ?", (run_id,))
        return run_id

    # chunks and candidates --------------------------------------------------------------

    def chunks(self, run_id: str) -> pd.DataFrame:
        rows = self._db.execute("SELECT * FROM chunks WHERE run_id = ? ORDER BY idx", (run_id,)).fetchall()
        return pd.DataFrame([dict(r) for r in rows], columns=["run_id", "idx", "size", "n_valid", "n_new", "n_duplicate",
                                                              "n_accepted", "seconds"])

    def known_smiles(self, run_id: str) -> set[str]:
        return {r[0] for r in self._db.execute("SELECT smiles FROM candidates WHERE run_id = ?", (run_id,))}

    def add_chunk(self, run_id: str, idx: int, size: int, candidates: pd.DataFrame, rejects: list[tuple[str, str]],
                  n_valid: int, n_duplicate: int, seconds: float, owner: str | None = None,
                  n_bare_scaffold: int | None = None, n_mostly_dropped: int | None = None,
                  timings: dict | None = None) -> None:
        """Store one chunk's new candidates, its rejects and its record, all in one transaction; with ``owner``,
        only while that lease still holds the run (``RunBusy`` if another process took it over).
        ``n_bare_scaffold``: valid samples that grew nothing on a scaffold held by inpainting; ``n_mostly_dropped``:
        valid samples that kept under half their sampled graph (None: not counted); ``timings``: the run's timings
        with this chunk's time (None: left as they are)."""
        columns = [c for c in candidates.columns if c not in _NOT_STORED]
        rows = [(run_id, *(_plain(v) for v in values)) for values in candidates[columns].itertuples(index=False, name=None)]
        with self.transaction() as db:
            if owner is not None:
                self._check_held(db, run_id, owner)
            if rows:
                self._add_columns(db, candidates[columns])
                db.executemany(f"INSERT INTO candidates ({', '.join(_quote(c) for c in ['run_id', *columns])}) "
                               f"VALUES ({', '.join('?' * (len(columns) + 1))})", rows)
            db.executemany("INSERT INTO rejects VALUES (?, ?, ?, ?)", [(run_id, idx, text, reason) for text, reason in rejects])
            db.execute("INSERT INTO chunks (run_id, idx, size, n_valid, n_new, n_duplicate, n_accepted, seconds) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",   # by name: a column added one day leaves this as it is
                       (run_id, idx, size, n_valid, len(rows), n_duplicate,
                        int(candidates["meets_conditions"].sum()) if len(candidates) else 0, seconds))
            if n_bare_scaffold is not None:
                db.execute("INSERT INTO bare_scaffolds VALUES (?, ?, ?)", (run_id, idx, n_bare_scaffold))
            if n_mostly_dropped is not None:
                db.execute("INSERT INTO mostly_dropped VALUES (?, ?, ?)", (run_id, idx, n_mostly_dropped))
            # the record's time of change moves with what it holds (a run killed later still says when it last stored)
            db.execute("UPDATE runs SET updated = ? WHERE id = ?", (time.time(), run_id))
            if timings is not None:
                db.execute("UPDATE runs SET timings = ? WHERE id = ?", (json.dumps(timings), run_id))

    def _add_columns(self, db: sqlite3.Connection, frame: pd.DataFrame) -> None:
        """Give every column of ``frame`` an SQL column (inside the caller's write transaction)."""
        present = {r[1] for r in db.execute("PRAGMA table_info(candidates)")}
        for column in frame.columns:
            if column in present:
                continue
            kind = _kind(frame[column])
            db.execute(f"ALTER TABLE candidates ADD COLUMN {_quote(column)} "
                       f"{ {'real': 'REAL', 'integer': 'INTEGER', 'bool': 'INTEGER'}.get(kind, 'TEXT') }")
            db.execute("INSERT OR REPLACE INTO candidate_columns VALUES (?, ?)", (column, kind))

    def set_ranks(self, run_id: str, ids: np.ndarray, ranks: np.ndarray, owner: str | None = None,
                  fronts: np.ndarray | None = None) -> None:
        with self.transaction() as db:
            if owner is not None:
                self._check_held(db, run_id, owner)
            self._write_ranks(db, run_id, ids, ranks, fronts)

    def _write_ranks(self, db: sqlite3.Connection, run_id: str, ids: np.ndarray, ranks: np.ndarray,
                     fronts: np.ndarray | None = None) -> None:
        """The run's ranks (0 for every candidate not among ``ids``) and, for a Pareto profile, its fronts so."""
        db.execute("UPDATE candidates SET rank = 0 WHERE run_id = ?", (run_id,))
        db.executemany("UPDATE candidates SET rank = ? WHERE id = ?", zip(ranks.tolist(), ids.tolist()))
        if fronts is not None and "pareto_front" in self._columns():
            db.execute("UPDATE candidates SET pareto_front = 0 WHERE run_id = ?", (run_id,))
            db.executemany("UPDATE candidates SET pareto_front = ? WHERE id = ?", zip(fronts.tolist(), ids.tolist()))

    def candidates(self, run: str, *, ranked_only: bool = False, order_by: str = "rank", descending: bool = False,
                   limit: int | None = None, offset: int = 0,
                   ranges: dict[str, tuple[float | None, float | None]] | None = None,
                   columns: list[str] | None = None, tagged: str | None = None) -> pd.DataFrame:
        """A run's candidates as a DataFrame, filtered and sorted in SQL.

        ``ranked_only`` keeps molecules that meet the conditions (rank > 0), best first;
        ``ranges`` maps any stored column to an inclusive (low, high) window; ``tagged`` keeps the molecules
        carrying that tag (the whole tag: "hinge" is not "hinge-binders"); ``columns`` picks
        columns (default: all, less the profile columns this run never filled).
        """
        run_id = self.resolve(run)
        known = set(self._columns())
        clauses, values = self._where(run_id, ranked_only, ranges, known, tagged)
        if order_by not in known:
            raise KeyError(f"cannot sort by {order_by!r}; known: {', '.join(sorted(known))}")
        order = f"{_quote(order_by)} {'DESC' if descending else 'ASC'}"
        if order_by == "rank" and not descending and not ranked_only:
            # unranked (0) last, best scored first among them (as a molecule that missed a condition is read)
            order = "rank = 0, rank ASC" + (", score DESC" if "score" in known else "")
        wanted = ", ".join(_quote(c) for c in ["id", *[c for c in columns if c != "id"]]) if columns else "*"
        if columns and (unknown := [c for c in columns if c not in known]):
            raise KeyError(f"no candidate column {unknown[0]!r}; known: {', '.join(sorted(known))}")
        sql = f"SELECT {wanted} FROM candidates WHERE {' AND '.join(clauses)} ORDER BY {order}, id"
        if limit is not None:
            sql += f" LIMIT {int(limit)} OFFSET {int(offset)}"
        cursor = self._db.execute(sql, values)
        frame = pd.DataFrame(cursor.fetchall(), columns=[d[0] for d in cursor.description])
        kinds = dict(self._db.execute("SELECT name, kind FROM candidate_columns").fetchall())
        fixed = set(_FIXED_COLUMNS)
        # an empty selection says nothing of which columns are the run's: asked of the run's rows, else its profile
        # (a review: a run that ranked nothing lacked lipinski_pass and every d_ column, a KeyError in a script)
        filled = self._run_columns(run_id, list(frame.columns)) if frame.empty and not columns else None
        for column in list(frame.columns):
            if column not in fixed and not columns and (column not in filled if filled is not None
                                                        else frame[column].isna().all()):
                frame = frame.drop(columns=[column])  # a column only other runs' profiles fill
            elif kinds.get(column) == "bool":
                frame[column] = frame[column].astype("boolean")
            elif column in PROPERTIES and PROPERTIES[column].integer:  # a count, stored in a REAL column
                frame[column] = frame[column].astype("Int64")
        return frame

    def _run_columns(self, run_id: str, columns: list[str]) -> set[str]:
        """The ``columns`` a run filled in any of its rows; for a run without a row, those its profile scores."""
        counted = self._db.execute(f"SELECT count(*), {', '.join(f'count({_quote(c)})' for c in columns)} FROM "
                                   "candidates WHERE run_id = ?", (run_id,)).fetchone()
        if counted[0]:
            return {column for column, count in zip(columns, counted[1:]) if count}
        from molgen.scoring.pipeline import score
        from molgen.scoring.profiles import _read_back

        stored = self.run(run_id)["profile"]
        # a profile a check added since refuses (or none, hand-edited): the fixed columns only, not a traceback
        profile = _read_back(stored) if isinstance(stored, dict) else None
        return set(score([], profile, progress=False).columns) if profile is not None else set()

    def count(self, run: str, *, ranked_only: bool = False,
              ranges: dict[str, tuple[float | None, float | None]] | None = None, tagged: str | None = None) -> int:
        """How many candidates :meth:`candidates` would return with these filters (and no limit)."""
        clauses, values = self._where(self.resolve(run), ranked_only, ranges, set(self._columns()), tagged)
        return self._db.execute(f"SELECT count(*) FROM candidates WHERE {' AND '.join(clauses)}", values).fetchone()[0]

    def column_bounds(self, run: str, columns: list[str], ranked_only: bool = False, passing_only: bool = False
                      ) -> dict[str, tuple[float | None, float | None]]:
        """(min, max) of each column over a run's candidates, or its ranked ones, or those passing the profile's
        hard filters (for slider ends)."""
        known = set(self._columns())
        present = [c for c in columns if c in known]
        if not present:
            return {}
        where = " AND rank > 0" * ranked_only + " AND passes_filters = 1" * passing_only
        row = self._db.execute(f"SELECT {', '.join(f'min({_quote(c)}), max({_quote(c)})' for c in present)} "
                               f"FROM candidates WHERE run_id = ?{where}", (self.resolve(run),)).fetchone()
        return {c: (row[2 * i], row[2 * i + 1]) for i, c in enumerate(present)}

    @staticmethod
    def _where(run_id: str, ranked_only: bool, ranges, known: set[str], tagged: str | None = None
               ) -> tuple[list[str], list]:
        clauses, values = ["run_id = ?"], [run_id]
        if ranked_only:
            clauses.append("rank > 0")
        if tagged is not None:   # matched as stored (candidate_tags lists them so); "a,b" would match two tags
            if not tagged or "," in tagged:
                raise ValueError(f"a tag to filter by is one tag, not {tagged!r}")
            clauses.append(_has_tag("?"))
            values.append(tagged)
        for column, (low, high) in (ranges or {}).items():
            if column not in known:
                raise KeyError(f"no candidate column {column!r}; known: {', '.join(sorted(known))}")
            if low is not None:
                clauses.append(f"{_quote(column)} >= ?")
                values.append(low)
            if high is not None:
                clauses.append(f"{_quote(column)} <= ?")
                values.append(high)
        return clauses, values

    def rejects(self, run: str, limit: int | None = None) -> pd.DataFrame:
        """A run's samples that were no molecule (or one it refuses), in sampling order: chunk, text, reason; the
        first ``limit`` when given."""
        cursor = self._db.execute("SELECT chunk, text, reason FROM rejects WHERE run_id = ? ORDER BY rowid LIMIT ?",
                                  (self.resolve(run), -1 if limit is None else limit))
        return pd.DataFrame(cursor.fetchall(), columns=["chunk", "text", "reason"])

    def compound_lookup_rows(self, run: str, mw: float, tolerance: float = 0.01) -> list[str]:
        """A run's stored SMILES that may be the compound of parent weight ``mw`` in some form, best ranked first
        (unranked last, best scored first among them, as :meth:`candidates` orders them): those of that weight,
        every mixture (a salt weighs its counter-ion too), and the charged or labelled ones within a few hydrogens
        or isotope shifts of it (a nitro group's charges leave its weight as its parent's: not every one is read)."""
        near = (mw - ION_OR_LABEL_SHIFT, mw + ION_OR_LABEL_SHIFT)
        rows = self._db.execute(
            "SELECT smiles FROM candidates WHERE run_id = ? AND (mw BETWEEN ? AND ? OR instr(smiles, '.') > 0 "
            "OR ((instr(smiles, '+') > 0 OR instr(smiles, '-]') > 0 OR smiles GLOB '*[[][0-9]*') AND mw BETWEEN ? AND ?)) "
            "ORDER BY rank = 0, rank, score DESC, id",
            (self.resolve(run), mw - tolerance, mw + tolerance, *near)).fetchall()
        return [row[0] for row in rows]

    def reject_kinds(self, run: str) -> dict[str, int]:
        """How many of a run's rejects each kind of reason holds (the reason's words before its colon: syntax,
        valence, ...), most first."""
        cursor = self._db.execute(
            "SELECT CASE WHEN instr(reason, ':') > 0 THEN substr(reason, 1, instr(reason, ':') - 1) ELSE reason END "
            "AS kind, count(*) AS n FROM rejects WHERE run_id = ? GROUP BY kind ORDER BY n DESC, kind",
            (self.resolve(run),))
        return dict(cursor.fetchall())

    def set_selected(self, run: str, smiles: Iterable[str], selected: bool = True) -> int:
        run_id = self.resolve(run)
        with self.transaction() as db:
            cursor = db.executemany("UPDATE candidates SET selected = ? WHERE run_id = ? AND smiles = ?",
                                    [(int(selected), run_id, s) for s in smiles])
        return cursor.rowcount

    def tag_candidates(self, run: str, smiles: Iterable[str], tag: str) -> int:
        """Add ``tag`` to the candidates of ``run`` with these SMILES; ``ValueError`` as for :meth:`tag_run`."""
        [tag] = _checked_tags([tag])
        run_id = self.resolve(run)
        with self.transaction() as db:
            cursor = db.executemany("UPDATE candidates SET tags = CASE WHEN tags = '' THEN ?1 "
                                    f"WHEN {_has_tag()} THEN tags ELSE tags || ',' || ?1 END "
                                    "WHERE run_id = ?2 AND smiles = ?3", [(tag, run_id, s) for s in smiles])
        return cursor.rowcount

    def untag_candidates(self, run: str, smiles: Iterable[str], tag: str) -> int:
        """Take ``tag`` off the candidates of ``run`` with these SMILES (their other tags kept); how many had it."""
        tag = tag.strip()   # matched as stored otherwise: a tag an older molgen stored with a tab still comes off
        if not tag or "," in tag:   # "a,b" would cut two tags out of "a,b,c"
            raise ValueError(f"a tag to take off is one tag, not {tag!r}")
        run_id = self.resolve(run)
        with self.transaction() as db:
            # the tag cut out of ",a,b,c," and the padding commas trimmed again
            cursor = db.executemany("UPDATE candidates SET tags = trim(replace(',' || tags || ',', ',' || ?1 || ',', ','), ',') "
                                    f"WHERE run_id = ?2 AND smiles = ?3 AND {_has_tag()}",
                                    [(tag, run_id, s) for s in smiles])
        return cursor.rowcount

    def candidate_tags(self, run: str, ranked_only: bool = False) -> dict[str, int]:
        """Every tag on a run's candidates (or its ranked ones), as stored, with how many carry it, most first (then
        by name)."""
        rows = self._db.execute("SELECT tags FROM candidates WHERE run_id = ? AND tags != ''" + " AND rank > 0" * ranked_only,
                                (self.resolve(run),))
        counted = Counter(tag for (tags,) in rows for tag in tags.split(","))
        return dict(sorted(counted.items(), key=lambda item: (-item[1], item[0])))

    def _columns(self) -> list[str]:
        return [r[1] for r in self._db.execute("PRAGMA table_info(candidates)")]


class LeaseLost(RunBusy):
    """This process's lease on a run was taken by another after its heartbeat went stale."""


def _live(owner: str | None, heartbeat: float | None) -> bool:
    """Whether a lease's process is still there. On this host, where the process's start time was recorded,
    exactly when that process exists: a run killed with SIGKILL can be continued at once, and one merely
    stalled (suspended, a laptop asleep) is not taken from it however old its heartbeat. Otherwise (another
    machine sharing the store) while its heartbeat is fresh, and on this host its process id exists."""
    if owner is None or heartbeat is None:
        return False
    parts = owner.split(":")
    host, pid, start = parts[0], int(parts[1]), parts[2] if len(parts) == 4 else ""
    if host == socket.gethostname() and start:
        return _started(pid) == start
    if time.time() - heartbeat >= LEASE_SECONDS:
        return False
    if host != socket.gethostname():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:   # another user's process of that id: there, so taken as live
        return True
    return True


def _busy_message(run_id: str, row) -> str:
    host, pid = row["owner"].split(":")[:2]
    if host == socket.gethostname() and int(pid) == os.getpid():   # the web app: another page or session
        return (f"run {run_id} ({row['name']}) is being sampled in this process (another page or session of the "
                "web app): wait for it to end, or stop it there")
    return (f"run {run_id} ({row['name']}) is being sampled by another process (pid {pid} on {host}, heard from "
            f"{time.time() - row['heartbeat']:.0f} s ago): wait for it to end, or stop it (Ctrl-C there, or "
            f"kill {pid}) and then continue it")


class _Heartbeat(threading.Thread):
    """Writes a run's heartbeat every HEARTBEAT_SECONDS on its own connection (the owner's connection may be
    inside a transaction) while the lease is held."""

    def __init__(self, path: Path, run_id: str, owner: str):
        super().__init__(name=f"molgen-heartbeat-{run_id}", daemon=True)
        self.path, self.run_id, self.owner = path, run_id, owner
        self._stopped = threading.Event()

    def run(self) -> None:
        db = sqlite3.connect(self.path, timeout=HEARTBEAT_SECONDS, isolation_level=None)
        try:
            while not self._stopped.wait(HEARTBEAT_SECONDS):
                try:
                    db.execute("UPDATE runs SET heartbeat = ? WHERE id = ? AND owner = ?",
                               (time.time(), self.run_id, self.owner))
                except sqlite3.Error:   # a store busy beyond the timeout: the next beat tries again
                    pass
        finally:
            db.close()

    def stop(self) -> None:
        self._stopped.set()
        self.join(timeout=2 * HEARTBEAT_SECONDS)


def _retry(action, attempts: int = 100):
    """Run ``action``, retrying while another process holds a lock SQLite will not wait for itself."""
    for attempt in range(attempts):
        try:
            return action()
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) and "busy" not in str(error) or attempt == attempts - 1:
                raise
            time.sleep(0.05 + 0.01 * attempt)


def _quote(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def _plain(value):
    """A value SQLite and JSON can hold (numpy scalars and pandas missing values unwrapped)."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _kind(series: pd.Series) -> str:
    if series.dtype.kind == "b" or str(series.dtype) == "boolean":
        return "bool"
    if series.dtype.kind in "iu" or str(series.dtype).startswith("Int"):
        return "integer"
    if series.dtype.kind == "f":
        return "real"
    return "text"
