"""Ctrl-C under the ``molgen`` command: SIGINT taken by a watcher thread and handed to the main thread, so RDKit's
substructure search (which installs its own SIGINT handler and swallows the signal) never sees it; and worker
processes ended at once when the command stops."""

import signal
import subprocess
import sys
import textwrap

import pytest

WATCHED = textwrap.dedent("""
    import os, signal, sys, threading, time
    from rdkit import Chem
    from molgen.interrupts import watch_ctrl_c

    if sys.argv[1] == "ignored":
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        print("watching", watch_ctrl_c())
        sys.exit(0)
    print("watching", watch_ctrl_c())
    assert signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, set())   # RDKit's handler is never called
    if sys.argv[1] == "pool":   # and still after a worker pool started (its resource tracker unblocked it: a review)
        from molgen.parallel import worker_pool
        with worker_pool(2) as pool:
            list(pool.imap(abs, [-1, -2]))
        print("blocked after a pool", signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, set()))
        sys.exit(0)
    if sys.argv[1] == "handler":   # a training's graceful stop: the handler in place runs, in the main thread
        seen = []
        signal.signal(signal.SIGINT, lambda number, frame: seen.append(threading.current_thread().name))
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(200):
            if seen:
                break
            time.sleep(0.01)
        print("handler ran in", seen)
        sys.exit(0)
    # a Ctrl-C sent while the main thread scores QED in a loop (its alerts are substructure searches), as scoring does
    # (without the watcher a few percent of such interrupts are swallowed, too few to show in a handful of runs: the
    # blocked mask asserted above is what keeps RDKit's handler from ever being called)
    from rdkit.Chem import QED
    threading.Timer(float(sys.argv[2]), os.kill, (os.getpid(), signal.SIGINT)).start()
    mol = Chem.MolFromSmiles("Cc1ccc(NC(=O)c2ccc(CN3CCN(C)CC3)cc2)cc1Nc1nccc(-c2cccnc2)n1")
    try:
        started = time.time()
        while time.time() - started < 20:
            QED.qed(mol)
        print("not interrupted")
    except KeyboardInterrupt:
        print("KeyboardInterrupt")
""")


def _run(mode: str, delay: float = 0.3) -> subprocess.CompletedProcess:
    # a fresh process with SIGINT at its default, as a terminal starts a command
    return subprocess.run([sys.executable, "-c", WATCHED, mode, str(delay)], capture_output=True, text=True, timeout=120,
                          preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


@pytest.mark.parametrize("delay", [0.2, 0.5, 0.8])
def test_a_ctrl_c_during_substructure_searches_stops_the_command(delay):
    done = _run("search", delay)
    assert done.stdout.split("\n")[:2] == ["watching True", "KeyboardInterrupt"], done.stdout + done.stderr
    assert "Substructure search was interrupted" not in done.stderr   # RDKit never took it


def test_sigint_stays_blocked_after_a_worker_pool_starts():
    assert _run("pool").stdout.split("\n")[:2] == ["watching True", "blocked after a pool True"]


def test_the_handler_in_place_runs_in_the_main_thread_and_a_background_job_is_left_alone():
    assert _run("handler").stdout.split("\n")[:2] == ["watching True", "handler ran in ['MainThread']"]
    assert _run("ignored").stdout.strip() == "watching False"   # SIGINT ignored (nohup, &): not the command's


def test_workers_are_ended_when_the_caller_stops_not_waited_for():
    """A chunk under way takes seconds, and under ``molgen`` a worker ignores Ctrl-C: it ran to the end of its chunk
    while the command waited for it (4 to 6 s after a Ctrl-C in a review's measurement)."""
    import time

    from molgen.parallel import worker_pool

    with pytest.raises(RuntimeError, match="stopping"):
        with worker_pool(2) as pool:
            results = pool.imap(time.sleep, [0, 600])
            next(results)   # the workers are up; one sleeps on
            processes = list(pool._executor._processes.values())
            raise RuntimeError("stopping")   # as a KeyboardInterrupt would
    assert len(processes) == 2 and all(process.exitcode == -signal.SIGTERM for process in processes)


KILLED_CALLER = textwrap.dedent("""
    import time
    from molgen.parallel import worker_pool

    if __name__ == "__main__":
        with worker_pool(2) as pool:
            results = pool.imap(time.sleep, [0, 0, 600, 600])
            next(results)
            print(" ".join(str(pid) for pid in pool._executor._processes), flush=True)
            time.sleep(600)
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_workers_end_when_their_caller_is_killed(tmp_path):
    """A review: `kill` of a scoring `molgen score` ended it at once (no handler runs) and left its two workers waiting
    for work for ever, holding the caller's stdout open: a script reading it through a pipe hung."""
    import os
    import time

    script = tmp_path / "caller.py"   # a file, not -c: spawned workers import the caller's script
    script.write_text(KILLED_CALLER)
    caller = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    workers = [int(pid) for pid in caller.stdout.readline().split()]
    assert len(workers) == 2
    caller.kill()   # SIGKILL: nothing of the caller runs
    caller.wait(timeout=30)

    def running(pid: int) -> bool:   # a zombie (ended, not yet reaped by whoever adopted it) has ended
        try:
            with open(f"/proc/{pid}/stat") as stat:
                return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
        except FileNotFoundError:
            return False

    deadline = time.time() + 30
    while time.time() < deadline and any(map(running, workers)):
        time.sleep(0.2)
    alive = [pid for pid in workers if running(pid)]
    for pid in alive:   # not left behind by a failing test
        os.kill(pid, signal.SIGKILL)
    assert not alive, f"workers {alive} outlived their killed caller"
