"""Workbench responsiveness: with 100,000 stored candidates, how long does a filter change take to redraw?

    python benchmarks/workbench_responsiveness.py --n 100000

Fills a fresh run store with one run of N candidates (as `benchmarks/run_store.py` does), opens
the Browse page in Streamlit's test harness (the same script run a browser session gets), and
times full reruns after a filter change: a QED range, the "no alerts" toggle, a sort change
and a page change. The time is the server-side rerun, which is what the user waits for.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        os.environ["MOLGEN_HOME"] = home
        from run_store import build
        from streamlit.testing.v1 import AppTest

        from molgen.runs.store import RunStore

        with RunStore(Path(home) / "runs.sqlite") as store:
            run_id = build(store, args.n)
        page = Path(__file__).resolve().parents[1] / "workbench" / "views" / "browse.py"
        at = AppTest.from_file(str(page), default_timeout=300)
        at.session_state["run_id"] = run_id
        start = time.perf_counter()
        at.run()
        print(f"{args.n:,} candidates; first render {time.perf_counter() - start:.2f} s (opens the store)\n")
        qed = at.slider(key=f"browse_qed_{run_id}")
        low, high = qed.value
        changes = {
            "QED range": lambda i: at.slider(key=f"browse_qed_{run_id}").set_value((round(low + 0.05 * (i + 1), 2), high)),
            "no-alerts toggle": lambda i: at.toggle(key="browse_alerts").set_value(i % 2 == 0),
            "sort by MW": lambda i: at.selectbox(key="browse_sort").set_value("mw" if i % 2 == 0 else "qed"),
            "next page": lambda i: at.number_input(key="browse_page").set_value(2 + i),
        }
        print("| change | median rerun (s) | slowest (s) |\n|---|---|---|")
        for name, change in changes.items():
            times = []
            for i in range(args.repeat):
                change(i)
                started = time.perf_counter()
                at.run()
                times.append(time.perf_counter() - started)
                assert not at.exception, at.exception
            print(f"| {name} | {statistics.median(times):.2f} | {max(times):.2f} |")


if __name__ == "__main__":
    main()
