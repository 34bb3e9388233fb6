# Two commands set up everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HONO := fixtures/node/hono
NODE_STAMP := $(HONO)/node_modules/.installed

PEERS := tests/bench/peers
PEERS_STAMP := $(PEERS)/node_modules/.installed

.PHONY: run test fuzz bench bench-compare clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]' --config-settings editable_mode=compat
	touch $(STAMP)

# The npm packages of the framework tests, pinned by their lock file; reinstalled only when it changes.
$(NODE_STAMP): $(HONO)/package-lock.json
	cd $(HONO) && npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

run: $(STAMP)
	$(BIN)/fnemu start --functions-dir sample_functions

# mypy --strict over emulator/ (the bootstraps run in the function's own interpreter: excepted)
test: $(STAMP) $(NODE_STAMP)
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest -n 2 tests

# schemathesis over the served OpenAPI file, every phase, ten minutes: about 10,000 requests here
# (`make test` runs a short one)
fuzz: $(STAMP)
	$(BIN)/python -m tests.fuzz.run --count 400 --max-time 600 --workers 2

bench: $(STAMP)
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python tests/bench/bench.py
	$(BIN)/python tests/bench/s3_bench.py
	$(BIN)/python tests/bench/reload_bench.py
	$(BIN)/python tests/bench/cron_bench.py
	$(BIN)/python tests/bench/pytest_bench.py

# The peers bench-compare measures fnemu against (Miniflare 3, functions-framework for Node), pinned
# by their lock file; functions-framework for Python is in the test extras.
$(PEERS_STAMP): $(PEERS)/package-lock.json
	cd $(PEERS) && npm ci --no-audit --no-fund --loglevel=error
	touch $(PEERS_STAMP)

bench-compare: $(STAMP) $(PEERS_STAMP)
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python tests/bench/bench.py --compare

clean:
	rm -rf $(VENV) build *.egg-info $(HONO)/node_modules $(PEERS)/node_modules
