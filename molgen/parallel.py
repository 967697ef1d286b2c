"""Per-molecule work of scoring and the metrics, split into chunks over a pool of worker processes.

RDKit calls hold the GIL, so molecules are described in processes (spawned: safe beside
torch's threads). A pool is started once per evaluation and shared by its stages, because
starting one (importing RDKit and molgen in each worker) costs about a second.

A spawned worker imports the script that started it. A script without ``if __name__ == "__main__":``
(or one piped in on stdin) kills every worker as it starts; ``multiprocessing.Pool`` replaced them
for ever, and the script hung. The executor used here breaks instead, and the work is done in this
process, with a warning that says why; the workers end without a traceback each.
"""

from __future__ import annotations

import os
import sys
import warnings
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from multiprocessing import current_process, get_context
from typing import Callable, Iterator, Sequence, TypeVar

from molgen.progress import progress_bar

T = TypeVar("T")

WORKERS_FAILED = ("molgen's worker processes died as they started, so this work runs in this process, on one core. "
                  "A script that scores or evaluates with n_jobs > 1 needs its code under "
                  "`if __name__ == \"__main__\":` (the workers import the script), and cannot be piped in on stdin; "
                  "or pass n_jobs=1.")


UNGUARDED = ("this script calls molgen's worker processes from its top level (its line {line}), not under "
             "`if __name__ == \"__main__\":`: each worker would import the script and run it again from its start "
             "(every generate above this call once more per worker), so the work runs in this process, on one core. Put "
             "the script's code under that guard to use every core, or pass n_jobs=1 to say one core is meant.")


def unguarded_script_line() -> int | None:
    """The line of the running script (``python script.py``) whose top-level code, outside an ``if __name__ ==
    "__main__":`` block, led to this call, or None: called from a function only, from a guarded block, from a
    notebook or ``python -c`` (no file a worker would import), or from code that is not the script's (pytest). A
    Streamlit page is told apart by :func:`in_a_streamlit_script`."""
    import ast

    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if not path or not os.path.isfile(path):
        return None
    frame = sys._getframe(1)
    while frame is not None and not (frame.f_code.co_name == "<module>" and frame.f_globals.get("__name__") == "__main__"
                                     and os.path.abspath(frame.f_code.co_filename) == os.path.abspath(path)):
        frame = frame.f_back
    if frame is None:
        return None
    line = frame.f_lineno
    try:
        with open(path, encoding="utf-8") as handle:
            tree = ast.parse(handle.read())
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return None
    for node in ast.walk(tree):   # a guard may sit inside a top-level with or try
        if isinstance(node, ast.If) and node.lineno <= line <= (node.end_lineno or node.lineno) and \
                "__name__" in ast.unparse(node.test) and "__main__" in ast.unparse(node.test):
            return None
    return line


def in_a_streamlit_script() -> bool:
    """Whether this runs in a Streamlit page: Streamlit puts a ``__main__`` of its own whose file is the app, so a
    spawned worker would run the app and the page again before any work (a review)."""
    if "streamlit" not in sys.modules:
        return False
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        return get_script_run_ctx(suppress_warning=True) is not None
    except Exception:  # noqa: BLE001 -- another Streamlit's layout: judged by the script as before
        return False


def end_with_parent(parent: int) -> None:
    """A worker's initializer: on Linux the worker is sent SIGTERM when the process that started it dies. A
    ``kill`` of a scoring command ended it at once and left its workers waiting for work for ever, holding the
    caller's stdout open (a script reading it through a pipe hung; a review). ``parent``: its pid, for a parent
    gone before this ran."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        except (OSError, AttributeError):   # no C library to ask: the worker ends with its pool, as before
            pass
    if os.getppid() != parent:
        os._exit(1)


#: prctl's option (linux/prctl.h) that sends a signal to a process when its parent dies.
PR_SET_PDEATHSIG = 1


def worker_count(n_jobs: int | None) -> int:
    return max(1, n_jobs or os.cpu_count() or 1)


class _LazyPool:
    """Spawned worker processes started on first use, so that evaluating a handful of molecules starts none;
    work whose workers die (see the module's note) finishes in this process."""

    def __init__(self, workers: int):
        self.workers, self._executor, self._broken = workers, None, False

    def imap(self, function, pieces) -> Iterator:
        """``function`` of each piece, in order, as each is ready."""
        pieces = list(pieces)
        done = 0
        if not self._broken:
            if self._executor is None:
                if getattr(current_process(), "_inheriting", False):
                    # a spawned worker running an unguarded script's top level, about to start workers of its own,
                    # which multiprocessing refuses with a traceback per worker (read as a crash): it ends quietly,
                    # and the script's own process says why (WORKERS_FAILED). Only here: a child importing the
                    # script for other work (the user's own spawn pool) runs work of one worker as before.
                    raise SystemExit(1)
                # each spawned worker would import a Streamlit app and its page, or an unguarded script, and run it
                # again from its start (a review found three identical runs stored): this process does the work
                page = in_a_streamlit_script()
                line = None if page else unguarded_script_line()
                if page or line is not None:
                    self._broken = True
                    if line is not None:   # a page cannot take the advice; a script can
                        warnings.warn(UNGUARDED.format(line=line), RuntimeWarning, stacklevel=4)
                    yield from map(function, pieces)
                    return
                self._executor = ProcessPoolExecutor(self.workers, mp_context=get_context("spawn"),
                                                     initializer=end_with_parent, initargs=(os.getpid(),))
            try:
                for result in self._executor.map(function, pieces):
                    yield result
                    done += 1
            except BrokenProcessPool:
                self._broken = True
                self.close()
                warnings.warn(WORKERS_FAILED, RuntimeWarning, stacklevel=2)
        yield from map(function, pieces[done:])

    def close(self, *, stop_workers: bool = False) -> None:
        """Shut the workers down; ``stop_workers``: end them now (the caller is stopping, on Ctrl-C among others),
        rather than wait for the chunks under way (seconds each, and under ``molgen`` they ignore Ctrl-C: the
        command takes it for them, ``molgen.interrupts``)."""
        if self._executor is not None:
            if stop_workers:
                for process in list(getattr(self._executor, "_processes", {}).values()):
                    process.terminate()
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None


@contextmanager
def worker_pool(n_jobs: int | None) -> Iterator:
    """A pool of ``n_jobs`` worker processes (all cores by default), started when first
    used; None for one worker."""
    workers = worker_count(n_jobs)
    if workers == 1:
        yield None
        return
    pool = _LazyPool(workers)
    try:
        yield pool
    except BaseException:
        pool.close(stop_workers=True)
        raise
    pool.close()


def map_chunks(function: Callable[[list], T], items: Sequence, *, pool=None, n_jobs: int | None = None,
               chunk: int = 2000, progress: bool = False, desc: str = "describing") -> list[T]:
    """``function`` applied to consecutive chunks of ``items``; results in chunk order.

    Runs in ``pool`` when given; else in a pool of ``n_jobs`` started for this call, or in
    this process when one worker (or one chunk) is all there is.
    """
    items = list(items)
    pieces = [items[i:i + chunk] for i in range(0, len(items), chunk)]
    if pool is None and len(pieces) > 1 and worker_count(n_jobs) > 1:
        with worker_pool(min(worker_count(n_jobs), len(pieces))) as own:
            return map_chunks(function, items, pool=own, chunk=chunk, progress=progress, desc=desc)
    mapped = pool.imap(function, pieces) if pool is not None and len(pieces) > 1 else map(function, pieces)
    results: list[T] = []
    with progress_bar(total=len(items), desc=desc, unit="mol", disable=not progress) as bar:
        for piece, result in zip(pieces, mapped):
            results.append(result)
            bar.update(len(piece))
    return results
