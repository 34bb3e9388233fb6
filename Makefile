# Two commands set up everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HONO := fixtures/node/hono
NODE_STAMP := $(HONO)/node_modules/.installed

# Set-up steps run one at a time under this lock: `make run` and `make test` started together on a
# fresh clone take turns, and the second finds the work done (flock is util-linux's).
SETUP_LOCK := .setup.lock
LOCKED := flock -n $(SETUP_LOCK) true || echo "waiting for another make to finish the set-up..."; flock $(SETUP_LOCK)
PEERS := tests/bench/peers
PEERS_STAMP := $(PEERS)/node_modules/.installed

.PHONY: run setup test fuzz soak bench bench-compare clean browser

# A venv holds absolute paths, so it is built in place, never moved: without a stamp (a first
# set-up, or one that was interrupted) it is made afresh; a newer pyproject.toml reinstalls into it.
$(STAMP): pyproject.toml
	@$(LOCKED) sh -ec '\
	  if [ $(STAMP) -nt pyproject.toml ]; then exit 0; fi; \
	  if [ ! -e $(STAMP) ]; then \
	    echo "creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv --clear $(VENV); fi; \
	  echo "installing fnemu and its pinned dependencies into $(VENV): about 1-2 minutes the first time, more on a busy machine"; \
	  $(BIN)/python -m pip install --quiet --upgrade pip; \
	  $(BIN)/python -m pip install --quiet -e ".[test]"; \
	  touch $(STAMP); echo "$(VENV) is ready"'

# The npm packages of the framework tests, pinned by their lock file; reinstalled only when it changes.
$(NODE_STAMP): $(HONO)/package-lock.json
	@$(LOCKED) sh -ec '\
	  if [ $(NODE_STAMP) -nt $(HONO)/package-lock.json ]; then exit 0; fi; \
	  echo "installing the npm packages of $(HONO) (npm ci)"; \
	  cd $(HONO) && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed'

setup: $(STAMP) $(NODE_STAMP)

# Debian's Chromium for the UI's browser tests (Playwright drives it; none of Playwright's own
# browsers is downloaded). Skipped when present; where it cannot be installed the tests skip.
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium) \
		|| echo "no chromium could be installed: the browser tests will skip"

# No echo of the command: the URL is the first line (after the set-up's own lines on a first run).
# More options for `fnemu start`: make run ARGS='--port 9000'
run: $(STAMP)
	@$(BIN)/fnemu start --functions-dir sample_functions $(ARGS)

# mypy --strict over emulator/ (the bootstraps run in the function's own interpreter: excepted)
test: $(STAMP) $(NODE_STAMP) browser
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest -n 2 tests

# schemathesis over the served OpenAPI file, every phase, ten minutes: about 10,000 requests here
# (`make test` runs a short one)
fuzz: $(STAMP)
	$(BIN)/python -m tests.fuzz.run --count 400 --max-time 600 --workers 2

# the load mix round after round for SOAK_MINUTES (default 5), printing server and worker memory
soak: $(STAMP)
	$(BIN)/python -m tests.reliability.soak

bench: $(STAMP) browser
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python tests/bench/bench.py
	$(BIN)/python tests/bench/s3_bench.py
	$(BIN)/python tests/bench/reload_bench.py
	$(BIN)/python tests/bench/cron_bench.py
	$(BIN)/python tests/bench/pytest_bench.py
	$(BIN)/python tests/bench/startup_bench.py
	$(BIN)/python tests/bench/memory_bench.py
	$(BIN)/python tests/bench/ui_bench.py

# The peers bench-compare measures fnemu against (Miniflare 3, functions-framework for Node), pinned
# by their lock file; functions-framework for Python is in the test extras.
$(PEERS_STAMP): $(PEERS)/package-lock.json
	cd $(PEERS) && npm ci --no-audit --no-fund --loglevel=error
	touch $(PEERS_STAMP)

bench-compare: $(STAMP) $(PEERS_STAMP)
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python tests/bench/bench.py --compare

clean:
	rm -rf $(VENV) build *.egg-info $(HONO)/node_modules $(PEERS)/node_modules $(SETUP_LOCK)
