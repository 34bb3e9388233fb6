# Two commands set up everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HONO := fixtures/node/hono
NODE_STAMP := $(HONO)/node_modules/.installed

.PHONY: run test fuzz bench clean browser

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]' --config-settings editable_mode=compat
	touch $(STAMP)

# The npm packages of the framework tests, pinned by their lock file; reinstalled only when it changes.
$(NODE_STAMP): $(HONO)/package-lock.json
	cd $(HONO) && npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

# Debian's Chromium for the UI's browser tests (Playwright drives it; none of Playwright's own
# browsers is downloaded). Skipped when present; where it cannot be installed the tests skip.
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium) \
		|| echo "no chromium could be installed: the browser tests will skip"

run: $(STAMP)
	$(BIN)/fnemu start --functions-dir sample_functions

# mypy --strict over emulator/ (the bootstraps run in the function's own interpreter: excepted)
test: $(STAMP) $(NODE_STAMP) browser
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest -n 2 tests

# schemathesis over the served OpenAPI file, every phase, ten minutes: about 10,000 requests here
# (`make test` runs a short one)
fuzz: $(STAMP)
	$(BIN)/python -m tests.fuzz.run --count 400 --max-time 600 --workers 2

bench: $(STAMP) browser
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python tests/bench/bench.py
	$(BIN)/python tests/bench/s3_bench.py
	$(BIN)/python tests/bench/reload_bench.py
	$(BIN)/python tests/bench/cron_bench.py
	$(BIN)/python tests/bench/pytest_bench.py
	$(BIN)/python tests/bench/ui_bench.py

clean:
	rm -rf $(VENV) build *.egg-info $(HONO)/node_modules
