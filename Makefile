# molgen: `make app` serves the workbench, `make test` runs the test suite.
# Both create .venv and install on first use, and are quick once installed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# torch first, pinned: a CPU build; an unpinned torch would pull a multi-GB CUDA build.
TORCH := torch==2.13.0
STAMP := $(VENV)/.installed
PORT ?= 8501

.PHONY: app test install data clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Re-install only when the project's dependencies change.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

data: $(STAMP)
	$(BIN)/molgen data fetch moses || echo "warning: MOSES could not be fetched; the app runs on the shipped moses-sample"

# Streamlit's other settings are in .streamlit/config.toml, read from the repository root.
app: install data
	$(BIN)/streamlit run workbench/app.py --server.headless true --server.port $(PORT)

# Two pytest-xdist workers, one test file each at a time (files share their module fixtures, tiny
# models trained once); tests/conftest.py splits the cores' threads between them and hands out the slowest
# files first (--no-loadscope-reorder keeps that order: xdist would order files by their number of tests,
# and the browser tests, seven of them, ran last and alone).
TEST_WORKERS ?= 2
test: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

clean:
	rm -rf $(VENV) .pytest_cache
