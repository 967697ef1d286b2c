"""Generation runs: the pipeline that samples, scores and ranks, the SQLite run store, and export."""

from molgen.runs.conditions import ConditionError, build_conditions
from molgen.runs.generate import (FewerThanAsked, Run, counted_of, filter_alone_note, filtered_only, generate, resume,
                                  validity_note)
from molgen.runs.settings import checkpoint_changed, run_settings
from molgen.runs.store import AmbiguousRun, RunBusy, RunNameTaken, RunNotFound, RunStore, StoreUnreadable

__all__ = ["AmbiguousRun", "ConditionError", "FewerThanAsked", "Run", "RunBusy", "RunNameTaken", "RunNotFound", "RunStore", "StoreUnreadable", "build_conditions", "checkpoint_changed", "counted_of", "filter_alone_note", "filtered_only", "generate",
           "resume", "run_settings", "validity_note"]
