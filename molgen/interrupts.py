"""Ctrl-C for the ``molgen`` command, whatever RDKit does with SIGINT.

RDKit (2026.09) installs its own SIGINT handler for the length of every substructure search, so that a long search
can be stopped; a Ctrl-C that lands inside one ends that search early ("result may not include all matches") and
never reaches Python. A review's ``molgen score`` then finished and wrote its file in 10 of 27 interrupts, and a QED
computed from a cut-short search can differ (0.3943 against 0.3894). So the command blocks SIGINT in its threads
(each thread started later inherits the mask, RDKit's handler is never called) and a watcher thread takes it with
``sigwait`` and hands it to the main thread as Python's own signal would (``_thread.interrupt_main``): the handler in
place runs there, a KeyboardInterrupt or a training's graceful stop, after the RDKit call under way returns whole.
Python callers of the library keep RDKit's behaviour; only the command installs this.
"""

from __future__ import annotations

import _thread
import signal
import threading

_watching = False


def watch_ctrl_c() -> bool:
    """From the main thread, before any other thread starts: block SIGINT and forward it to the main thread from a
    watcher thread. Not where SIGINT is ignored (a background job, ``nohup``: Ctrl-C is not this process's to take)
    or cannot be waited for. Returns whether it is watching."""
    global _watching
    if _watching:
        return True
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "sigwait") \
            or signal.getsignal(signal.SIGINT) in (signal.SIG_IGN, None):
        return False
    if signal.getsignal(_WAKE) is not signal.SIG_DFL:
        return False   # someone else's handler: not ours to take over
    signal.signal(_WAKE, lambda number, frame: None)
    # multiprocessing starts its resource tracker with SIGINT blocked and then unblocks it in the calling thread: the
    # first worker pool undid the block (a review). Started now, it is never started again.
    from multiprocessing import resource_tracker

    try:
        resource_tracker.ensure_running()
    except Exception:   # noqa: BLE001 -- no process to start (a limit, no interpreter path): Ctrl-C as before
        return False
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    threading.Thread(target=_forward_ctrl_c, args=(threading.main_thread().ident,), name="molgen-ctrl-c",
                     daemon=True).start()
    _watching = True
    return True


#: Sent to the main thread after each Ctrl-C so that a wait it is blocked in (a worker's next result, a lock) returns
#: and the SIGINT handler runs now: ``interrupt_main`` alone waits for the main thread's next bytecode, 6 to 15 s
#: into a scoring chunk in a review's measurement.
_WAKE = signal.SIGUSR1


def _forward_ctrl_c(main_thread: int) -> None:
    while True:
        signal.sigwait({signal.SIGINT})
        _thread.interrupt_main(signal.SIGINT)   # runs the main thread's SIGINT handler, as the signal itself would
        signal.pthread_kill(main_thread, _WAKE)
