# Two commands: `make run` (set up, then serve on http://127.0.0.1:5000) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test coverage setup chromium postgres lint bench screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

setup: $(VENV)/.installed

run: setup
	$(BIN)/kb run

# Browser tests drive Debian's Chromium (Playwright's own browser download is not used).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian chromium and chromium-driver for the browser tests"; \
	  $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium chromium-driver; }

# The PostgreSQL tests need the local server (127.0.0.1:5432); start it if it is installed but down.
postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || { \
	  command -v pg_ctlcluster >/dev/null 2>&1 && \
	  $(SUDO) pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | head -1) main start || true; }

lint: setup
	$(BIN)/ruff check kb tests bench
	$(BIN)/ruff format --check kb tests bench

test: setup chromium postgres lint
	$(BIN)/pytest -q -p no:cacheprovider -n 2

# The suite with branch coverage (about half as slow again: the tracer runs on every line)
coverage: setup chromium postgres
	$(BIN)/pytest -q -p no:cacheprovider -n 2 --cov=kb --cov-branch --cov-report=term:skip-covered

# SIZES=1000,10000,50000 for several corpus sizes; PEERS=1 adds wikmd (a throw-away virtualenv)
SIZES ?= 10000
bench: setup
	$(BIN)/python bench/search.py --sizes $(SIZES) $(if $(filter 1,$(PEERS)),--peers)
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/importing.py
	$(BIN)/python bench/idle.py
	$(BIN)/python bench/events.py
	$(BIN)/python bench/lanes.py
	$(BIN)/python bench/glossary.py
	$(BIN)/python bench/dashboard.py

# docs/screenshots/ and docs/screenshot-search.png, from the starter content
screenshots: setup chromium
	$(BIN)/python -m tests.browser.screenshots

clean:
	rm -rf $(VENV) instance search_index .pytest_cache .coverage
