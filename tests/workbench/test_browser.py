"""End to end in a real headless Chromium: generate, filter, select, export a CSV, and screenshot every page.

Playwright drives Debian's chromium (``/usr/bin/chromium``; `.ci/run` installs it when missing).
Screenshots go to ``test-artifacts/workbench/`` (or ``$MOLGEN_TEST_ARTIFACTS``) for a person to look at.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

from molgen.runs import RunStore

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("MOLGEN_TEST_ARTIFACTS", ROOT / "test-artifacts")) / "workbench"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium "
                                                                "(bash .ci/run installs it)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    port = _free_port()
    env = {**os.environ, "MOLGEN_HOME": str(tmp_path / "home"), "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "workbench" / "app.py"), "--server.headless", "true",
               "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.time() + 90
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                break
        except OSError:
            if process.poll() is not None or time.time() > deadline:
                pytest.fail(f"streamlit did not start: {process.stdout.read().decode(errors='replace')[-2000:]}")
            time.sleep(0.5)
    yield f"http://127.0.0.1:{port}", tmp_path / "home"
    process.terminate()
    process.wait(timeout=20)


def _chromium(playwright):
    """Debian's Chromium, headless, as the CI machine runs it (Playwright's own browser download does not work here)."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                      args=["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"])


def _page(browser, **options):
    """A page of the size the screenshots are taken at, with a timeout for a loaded machine."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, **options)
    page.set_default_timeout(120_000)
    return page


def _uploaded_on(browser, address: str, heading: str, path: Path):
    """A page (downloads accepted) at ``address``, its heading shown, with ``path`` given to its first uploader."""
    page = _page(browser, accept_downloads=True)
    page.goto(address)
    page.get_by_role("heading", name=heading).wait_for()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(str(path))
    return page


def _settle(page) -> None:
    """Wait until Streamlit has finished rerunning the script: no status widget, and no element left
    stale from the run before (a stale download button still serves the old data)."""
    page.wait_for_timeout(300)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
                           " && !document.querySelector('[data-stale=\"true\"]')", timeout=120_000)
    page.wait_for_timeout(300)


def test_generate_filter_select_export_in_chromium(server, tmp_path):
    from playwright.sync_api import sync_playwright

    url, home = server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = _chromium(playwright)
        page = _page(browser, accept_downloads=True)

        page.goto(url)
        page.get_by_text("Check a SMILES").wait_for()
        _settle(page)
        page.screenshot(path=str(ARTIFACTS / "1-home.png"), full_page=True)

        page.goto(f"{url}/generate")
        field = page.get_by_role("spinbutton", name="Molecules (valid, unique, meeting every condition)")
        field.fill("24")
        field.press("Enter")
        _settle(page)
        page.get_by_role("button", name="Generate").click()
        page.get_by_text("(24 asked for)").wait_for()
        _settle(page)
        page.screenshot(path=str(ARTIFACTS / "2-generate.png"), full_page=True)
        assert "Traceback" not in page.content()

        page.goto(f"{url}/browse")
        matching = re.compile(r"candidates? match")   # "1 candidate matches"
        page.get_by_text(matching).wait_for()
        _settle(page)
        before = int(page.get_by_text(matching).inner_text().split()[0].replace(",", ""))
        page.get_by_text("No structural alerts").click()
        _settle(page)
        after = int(page.get_by_text(matching).inner_text().split()[0].replace(",", ""))
        assert 0 < after <= before
        page.get_by_text("select #1", exact=True).click()
        _settle(page)
        page.get_by_text("select #2", exact=True).click()
        _settle(page)
        page.screenshot(path=str(ARTIFACTS / "3-browse.png"), full_page=True)
        # a card's details button brings the details panel, below the grid, into view
        heading = page.get_by_role("heading", name="Details")
        assert heading.bounding_box()["y"] > 1000   # below the fold of the 1000-pixel window
        page.get_by_role("button", name="details").nth(2).click()
        _settle(page)
        page.wait_for_function("() => document.getElementById('details').getBoundingClientRect().top < 400", timeout=20_000)
        assert 0 <= heading.bounding_box()["y"] < 400
        # the table stays in view when a filter changes the count (and with it the page picker above the tabs)
        page.get_by_role("tab", name="Table").click()
        _settle(page)
        page.get_by_text("Selected only").click()
        _settle(page)
        assert page.get_by_text(re.compile(r"candidates? match")).inner_text().startswith("2 ")
        assert page.get_by_role("tab", name="Table").get_attribute("aria-selected") == "true"
        # the molecule in the details panel left the page (not selected): a lookup typed now is kept and shown (a
        # review: the browser sent the molecule gone back as a pick, which wiped the lookup on every Enter)
        lookup = page.get_by_label("Or any molecule of the run", exact=True)
        lookup.fill("#3")
        lookup.press("Enter")
        _settle(page)
        assert lookup.input_value() == "#3" and page.get_by_text("Showing #3, looked up").is_visible()

        for name in ("latent", "compare", "augment"):
            page.goto(f"{url}/{name}")
            page.get_by_role("heading", name={"latent": "Latent space", "compare": "Compare", "augment": "Augment"}[name]).wait_for()
            _settle(page)
            page.screenshot(path=str(ARTIFACTS / f"4-{name}.png"), full_page=True)
            assert "Traceback" not in page.content()

        page.goto(f"{url}/export")
        page.get_by_text("candidates will be exported").wait_for()
        page.get_by_text("Only the selected candidates").click()
        # On a loaded machine the rerun may start after _settle's first pause: wait for its result first.
        page.get_by_text(re.compile(r"^2 candidates will be exported")).wait_for()
        _settle(page)
        with page.expect_download() as download:
            page.get_by_role("button", name="Download CSV").click()
        target = tmp_path / "selected.csv"
        assert download.value.suggested_filename.endswith("-selected.csv")   # the name says which cut it holds
        download.value.save_as(target)
        with page.expect_download() as download:   # the manifest of that very file (one export serves both buttons)
            page.get_by_role("button", name="Download the manifest (JSON)").click()
        download.value.save_as(tmp_path / "selected.csv.manifest.json")
        page.screenshot(path=str(ARTIFACTS / "5-export.png"), full_page=True)
        browser.close()

    exported = pd.read_csv(target)
    manifest = json.loads((tmp_path / "selected.csv.manifest.json").read_text())
    assert manifest["export"]["sha256"] == hashlib.sha256(target.read_bytes()).hexdigest()
    with RunStore(home / "runs.sqlite") as store:
        run_id = store.runs()["id"].iloc[0]
        selected = store.candidates(run_id, ranked_only=True, ranges={"selected": (1, 1)})
    assert len(exported) == 2
    assert exported["smiles"].tolist() == selected["smiles"].tolist()
    assert exported["rank"].is_monotonic_increasing and exported["score"].is_monotonic_decreasing


def _generate(page, url: str, name: str, n: int = 12) -> None:
    page.goto(f"{url}/generate")
    field = page.get_by_role("spinbutton", name="Molecules (valid, unique, meeting every condition)")
    field.fill(str(n))
    field.press("Enter")
    _settle(page)
    run_name = page.get_by_label("Run name (optional)")
    run_name.fill(name)
    run_name.press("Enter")
    _settle(page)
    page.get_by_role("button", name="Generate").click()
    page.get_by_text(f"run {name} (").wait_for()
    _settle(page)


def _run_shown(page) -> str:
    return page.get_by_role("combobox", name="Run").input_value()


def test_two_browser_sessions_keep_their_own_state_and_share_runs(server):
    """Session A browses its run with a filter on while session B generates another run:
    A still shows its run and filter after its next rerun, B shows its own, both list both."""
    from playwright.sync_api import sync_playwright

    url, home = server
    with sync_playwright() as playwright:
        browser = _chromium(playwright)
        a = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        b = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        for page in (a, b):
            page.set_default_timeout(120_000)

        _generate(a, url, "alpha")
        a.goto(f"{url}/browse")
        a.get_by_text(re.compile(r"candidates? match")).wait_for()
        _settle(a)
        a.get_by_text("No structural alerts").click()
        _settle(a)
        filtered = a.get_by_text(re.compile(r"candidates? match")).inner_text()
        assert "alpha" in _run_shown(a)

        _generate(b, url, "beta")
        b.goto(f"{url}/browse")
        b.get_by_text(re.compile(r"candidates? match")).wait_for()
        _settle(b)
        assert "beta" in _run_shown(b)

        # A's next rerun (it changes the page size) sees the new run in the store but keeps its own view.
        a.get_by_role("combobox", name="Per page").click()
        a.get_by_role("option", name="24").click()
        _settle(a)
        assert "alpha" in _run_shown(a)
        assert a.get_by_role("switch", name="No structural alerts").is_checked()
        assert a.get_by_text(re.compile(r"candidates? match")).inner_text() == filtered
        a.get_by_role("combobox", name="Run").click()
        listed = a.get_by_role("option").all_inner_texts()
        assert any("alpha" in text for text in listed) and any("beta" in text for text in listed)
        assert "Traceback" not in a.content() + b.content()
        browser.close()
    with RunStore(home / "runs.sqlite") as store:
        assert sorted(store.runs()["name"]) == ["alpha", "beta"]


def test_stop_ends_a_run_after_its_chunk_and_the_page_offers_to_continue_it(server):
    """"Stop this run" under the progress bar: the run is kept as interrupted, its molecules ranked, and Continue is offered."""
    from playwright.sync_api import sync_playwright

    url, home = server
    with sync_playwright() as playwright:
        browser = _chromium(playwright)
        page = _page(browser)
        page.goto(f"{url}/generate")
        field = page.get_by_role("spinbutton", name="Molecules (valid, unique, meeting every condition)")
        field.fill("20000")   # chunks of 1,000: minutes of sampling, stopped after the first
        field.press("Enter")
        _settle(page)
        run_name = page.get_by_label("Run name (optional)")
        run_name.fill("long")
        run_name.press("Enter")
        _settle(page)
        page.get_by_role("button", name="Generate").click()
        page.get_by_text(re.compile(r"of 20,000 molecules \(")).wait_for()   # a first chunk stored
        page.get_by_role("button", name="Stop this run").click()
        # the page waits for the run to stop after the chunk it was sampling, then shows its summary
        page.get_by_text("run long (").wait_for()
        _settle(page)
        summary = page.get_by_text("run long (").inner_text()
        assert "interrupted" in summary and "Traceback" not in page.content()
        assert page.get_by_role("button", name="Continue this run").is_visible()
        browser.close()
    with RunStore(home / "runs.sqlite") as store:
        record = store.run("long")
        assert record["status"] == "interrupted"
        assert 0 < store.count("long", ranked_only=True) == record["counts"]["ranked"] < 20000


def test_a_substructure_drawn_in_the_molecule_editor_fills_the_field(server):
    """Ketcher (streamlit-ketcher, its JavaScript inside the wheel): draw a benzene ring, Apply,
    and the Generate page's substructure field holds it as canonical SMILES."""
    from playwright.sync_api import sync_playwright

    url, _ = server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = _chromium(playwright)
        page = _page(browser)
        page.goto(f"{url}/generate")
        page.get_by_text("Draw the substructure to keep").click()
        editor = page.frame_locator("iframe").first
        editor.get_by_role("button", name="Apply").wait_for()
        editor.get_by_title("Benzene (T)").click()
        frame = page.locator("iframe").first.bounding_box()
        page.mouse.click(frame["x"] + frame["width"] * 0.5, frame["y"] + frame["height"] * 0.4)
        editor.get_by_role("button", name="Apply").click()
        field = page.get_by_label("Keep this substructure (SMILES or SMARTS)", exact=True)   # not its help button
        page.wait_for_function("() => [...document.querySelectorAll('input')].some(i => i.value === 'c1ccccc1')")
        _settle(page)
        page.screenshot(path=str(ARTIFACTS / "2b-draw-substructure.png"), full_page=True)
        assert field.input_value() == "c1ccccc1"
        # and the other way: a substructure typed into the field is what the editor shows (it kept the
        # old drawing before). The canvas is the editor's one large SVG; its text is the atom labels.
        field.fill("O=C1CCCN1")
        field.press("Enter")
        _settle(page)
        canvas_labels = ("() => [...document.querySelectorAll('svg')].filter(s => s.getBoundingClientRect().width > 300)"
                         ".map(s => [...s.querySelectorAll('text')].map(t => t.textContent).join(''))")
        frame = page.locator("iframe").first.element_handle().content_frame()
        frame.wait_for_function(f"() => ({canvas_labels})().some(labels => labels.includes('N'))", timeout=30_000)
        assert any("O" in labels and "N" in labels for labels in frame.evaluate(canvas_labels))
        assert field.input_value() == "O=C1CCCN1"   # the fresh editor handed back what it was given: no rewrite
        assert "Traceback" not in page.content()
        browser.close()


def test_a_page_opened_first_after_a_start_shows_the_app_navigation(server):
    """A bookmark opened before anyone visited the home page: the menu lists the pages by title. With the
    pages in a folder named pages/, Streamlit showed its file names (app, augment, ...) until a first visit."""
    from playwright.sync_api import sync_playwright

    url, _ = server
    with sync_playwright() as playwright:
        browser = _chromium(playwright)
        page = _page(browser)
        page.goto(f"{url}/export")
        page.get_by_role("heading", name="Export").wait_for()
        _settle(page)
        menu = page.locator('[data-testid="stSidebarNav"]').inner_text().split()
        browser.close()
    assert "Latent" in menu and "latent" not in menu and "app" not in menu


def test_an_uploaded_assay_file_merges_its_replicates_on_the_augment_page(server, tmp_path):
    """A chemist's export, one row per measurement: uploaded, merged to one row per compound, downloaded."""
    from playwright.sync_api import sync_playwright

    assay = tmp_path / "assay.csv"
    assay.write_text("compound_id,smiles,pIC50\nP-1,CCN(CC)CCNC(=O)c1ccc(N)cc1,6.1\nP-1,CCN(CC)CCNC(=O)c1ccc(N)cc1,6.3\n"
                     "P-1a,CCN(CC)CCNC(=O)c1ccc(N)cc1.Cl,6.2\nZ-2,Cc1ccccc1N1CCN(C(=O)c2ccccc2O)CC1,5.0\n"
                     "Z-2,Cc1ccccc1N1CCN(C(=O)c2ccccc2O)CC1,7.2\nR-3,C[C@H](N)c1ccccc1,>8\n")
    url, _ = server
    with sync_playwright() as playwright:
        browser = _chromium(playwright)
        page = _uploaded_on(browser, f"{url}/augment", "Augment", assay)   # the input's uploader, not the held-out's
        page.get_by_text("Using the uploaded file assay.csv").wait_for()
        page.get_by_text("replicates", exact=True).click()
        page.get_by_text("Measured columns to merge").wait_for()
        _settle(page)
        page.get_by_role("button", name="Run").click()
        page.get_by_text("6 readable rows merged into 3 compounds").wait_for()
        page.get_by_text("pIC50: 1 compound has replicates disagreeing by more than 1").wait_for()
        _settle(page)
        page.screenshot(path=str(ARTIFACTS / "augment-replicates.png"), full_page=True)
        with page.expect_download() as download:
            page.get_by_role("button", name="Download rows (CSV)").click()
        target = tmp_path / "merged.csv"
        download.value.save_as(target)
        # a visit to another page empties the uploader; the file stays in use, said, until the chemist drops it
        page.locator('[data-testid="stSidebarNav"]').get_by_text("Home", exact=True).click()
        page.get_by_role("heading", name="molgen").first.wait_for()
        page.locator('[data-testid="stSidebarNav"]').get_by_text("Augment", exact=True).click()
        page.get_by_text("Using assay.csv, uploaded before you left the page").wait_for()
        page.get_by_text("Measured columns to merge").wait_for()
        _settle(page)
        assert page.get_by_text("Upload a file with measured columns").count() == 0
        # a second visit after a change on the page (the form's inputs are then kept, the button's key not)
        page.get_by_text("enumerate", exact=True).click()
        _settle(page)
        page.locator('[data-testid="stSidebarNav"]').get_by_text("Home", exact=True).click()
        page.get_by_role("heading", name="molgen").first.wait_for()
        page.locator('[data-testid="stSidebarNav"]').get_by_text("Augment", exact=True).click()
        page.get_by_text("Using assay.csv, uploaded before you left the page").wait_for()
        _settle(page)
        assert page.locator('[data-testid="stException"]').count() == 0
        page.get_by_text("replicates", exact=True).click()
        page.get_by_text("Measured columns to merge").wait_for()
        page.get_by_role("button", name="Use the typed molecules instead").click()
        page.get_by_text("Upload a file with measured columns").wait_for()
        browser.close()
    merged = pd.read_csv(target).set_index("smiles")
    assert merged.loc["CCN(CC)CCNC(=O)c1ccc(N)cc1", "n_rows"] == 3 and merged.loc["CCN(CC)CCNC(=O)c1ccc(N)cc1", "pIC50"] == 6.2
    assert merged.loc["Cc1ccccc1N1CCN(C(=O)c2ccccc2O)CC1", "pIC50_disagree"]
    assert merged.loc["C[C@H](N)c1ccccc1", "pIC50_qualified"] == ">8"


def test_a_chemists_file_is_scored_and_downloaded_with_its_manifest_on_the_score_page(server, tmp_path):
    """Upload a series, score it, see the best drawn, download the table and its manifest: a pair that agrees."""
    import hashlib
    import json

    from playwright.sync_api import sync_playwright

    series = tmp_path / "series.csv"
    series.write_text("compound_id,smiles,pIC50\nB-1,CC(=O)Nc1ccc(O)cc1,6.1\nB-2,CC(C)Cc1ccc(cc1)C(C)C(=O)O,5.5\n"
                      "B-3,c1ccccc1N(,4.0\nB-4,COc1ccc2[nH]cc(CCN(C)C)c2c1,7.2\n")
    url, _ = server
    with sync_playwright() as playwright:
        browser = _chromium(playwright)
        page = _uploaded_on(browser, f"{url}/score", "Score", series)
        page.get_by_text("Scoring the uploaded file series.csv").wait_for()
        _settle(page)
        page.get_by_role("button", name="Score", exact=True).click()
        page.get_by_text("Scored 4 rows (3 valid, 1 invalid, 0 duplicates) with drug-like").wait_for()
        page.get_by_text("The best 3").wait_for()
        _settle(page)
        assert page.locator('[data-testid="stException"]').count() == 0
        page.screenshot(path=str(ARTIFACTS / "score.png"), full_page=True)
        with page.expect_download() as download:
            page.get_by_role("button", name="Download CSV").click()
        table_path = tmp_path / download.value.suggested_filename
        download.value.save_as(table_path)
        with page.expect_download() as download:
            page.get_by_role("button", name="Download the manifest (JSON)").click()
        manifest_path = tmp_path / download.value.suggested_filename
        download.value.save_as(manifest_path)
        # scored by parent, another result under another name (a review: both downloaded as series-scored.csv)
        page.get_by_text("Score salts by their parent").click()
        _settle(page)
        page.get_by_role("button", name="Score", exact=True).click()
        page.get_by_text("Scored 4 rows (3 valid, 1 invalid, 0 duplicates) with drug-like").wait_for()
        _settle(page)
        with page.expect_download() as download:
            page.get_by_role("button", name="Download CSV").click()
        by_parent = download.value.suggested_filename
        browser.close()
    assert table_path.name == "series-scored-drug-like.csv"   # named with its profile: another profile, another name
    assert manifest_path.name == "series-scored-drug-like.csv.manifest.json"
    assert by_parent == "series-scored-drug-like-by-parent.csv"
    table = pd.read_csv(table_path).set_index("compound_id")   # in the file's order, as `molgen score` writes it
    assert table.index.tolist() == ["B-1", "B-2", "B-3", "B-4"] and table.loc["B-3", "reason"].startswith("syntax:")
    assert table["rank"].dropna().astype(int).sort_values().tolist() == [1, 2, 3]
    manifest = json.loads(manifest_path.read_text())
    assert manifest["output"]["sha256"] == hashlib.sha256(table_path.read_bytes()).hexdigest()
    assert manifest["input"] == {"file": "series.csv", "sha256": hashlib.sha256(series.read_bytes()).hexdigest(),
                                 "blank_lines_skipped": []}
    assert manifest["profile"]["name"] == "drug-like" and manifest["output"]["invalid_by_reason"] == {"syntax": 1}
