# Every target creates the venv and installs on first use: `make run` and `make test` work on
# a fresh clone with nothing typed before them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: help setup run test test-unit test-integration test-e2e test-chaos soak lint format typecheck check \
        lock hooks check-py313 bench reset clean localstack localstack-stop test-localstack \
        check-infra test-terraform bench-env bench-quick bench-consumer browser \
        test-browser screenshots
.DEFAULT_GOAL := help

help: ## this list of targets
	@echo "make <target>; the first run of any target creates .venv and installs everything"
	@echo
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) \
		| awk 'BEGIN {FS = ":.*## "}; {printf "  %-18s %s\n", $$1, $$2}'

setup: $(STAMP) ## create .venv and install the project with its locked dependencies

$(STAMP): pyproject.toml requirements-dev.lock
	@echo "==> first run: creating $(VENV) and installing the locked dependencies (about 100 packages, 30-60 s)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --progress-bar on --require-hashes -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@echo "==> $(VENV) ready"
	@touch $(STAMP)

run: $(STAMP) ## start the whole stack on http://127.0.0.1:8080 (Ctrl-C stops it)
	$(BIN)/ecommerce dev

reset: $(STAMP) ## wipe the local stack's state under .devstack/
	$(BIN)/ecommerce dev --reset --no-start

test: $(STAMP) ## the whole suite: unit, integration, end-to-end, chaos (not the long scenarios)
	$(BIN)/python -m pytest -q -m "not long"

test-unit: $(STAMP) ## the unit tier only (pure, a few seconds)
	$(BIN)/python -m pytest -q tests/unit

test-integration: $(STAMP) ## the integration tier (real PostgreSQL, Redis, AWS emulator)
	$(BIN)/python -m pytest -q tests/integration

test-e2e: $(STAMP) ## the end-to-end tier (the whole stack over HTTP)
	$(BIN)/python -m pytest -q tests/e2e

test-chaos: $(STAMP) ## the chaos tier (worker processes killed, faults injected), long scenarios too
	$(BIN)/python -m pytest -q tests/chaos

# Not in `make test` (CI runs the short version, tests/e2e/test_zzzz_soak_short.py).
soak: $(STAMP) ## the chaos soak: 2,000 orders under faults, then `ecommerce audit` (~10 min)
	$(BIN)/python tests/e2e/soak.py --orders 2000 --customers 20 --report soak-report.json

browser: ## Debian's chromium and chromedriver for the browser tests (apt-get, first run only)
	@bash scripts/browser.sh

test-browser: $(STAMP) browser ## the storefront's and the console's stories in headless Chromium
	$(BIN)/python -m pytest -q -m browser tests/e2e

screenshots: $(STAMP) browser ## the browser tests, saving each page to docs/screenshots/
	SCREENSHOTS_DIR=docs/screenshots $(BIN)/python -m pytest -q -m browser tests/e2e

# LocalStack in host mode (Python 3.13, its own venv, no Docker) on 127.0.0.1:4566.
localstack: ## start LocalStack (SQS, SNS, S3, Secrets Manager); installs on first use
	@bash scripts/localstack.sh start

localstack-stop: ## stop LocalStack and everything it started
	@bash scripts/localstack.sh stop

# The integration and end-to-end tiers against LocalStack; DynamoDB on moto (see the script).
test-localstack: $(STAMP) ## integration + e2e tiers against LocalStack
	@bash scripts/test-localstack.sh

check-infra: $(STAMP) ## terraform validate and test (mocked provider), Kubernetes, Dockerfile and IAM checks
	@bash scripts/check-infra.sh

# Terraform applied to moto, then to LocalStack (port 4566: on a shared machine run
# `flock /tmp/localstack.lock make test-terraform`): the saga on what it made, destroy, nothing left.
test-terraform: $(STAMP) ## apply the application's Terraform to the emulators and run the saga on it
	@bash scripts/test-terraform.sh

lint: $(STAMP) ## ruff: lint rules and formatting, checked
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: $(STAMP) ## ruff: format the code and apply the safe lint fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(STAMP) ## mypy --strict, on the code and on the tests
	@MYPY=$(BIN)/mypy bash scripts/typecheck.sh

check: lint typecheck test ## lint, typecheck and the whole suite

# The lock files, with every distribution's hash: pip installs them with --require-hashes (here
# and in the Dockerfile), so a changed or substituted package fails the install.
lock: $(STAMP) ## regenerate requirements.lock and requirements-dev.lock from pyproject.toml
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 --generate-hashes \
		-o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra local --extra test --python-version 3.11 \
		--generate-hashes -o requirements-dev.lock

hooks: $(STAMP) ## install the git pre-commit hooks (.pre-commit-config.yaml: ruff, mypy)
	$(BIN)/pre-commit install

# CI's second Python: lint, type check and the unit tier on 3.13 (pyenv's, else python3.13).
check-py313: ## lint, typecheck and unit tests on Python 3.13, in .venv-313
	@bash scripts/check-py313.sh

# The benchmarks' own venv: Celery (the peer benchmark) and matplotlib (the plots), locked.
BENCH_VENV  := .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed

$(BENCH_STAMP): requirements-bench.lock
	@echo "==> creating $(BENCH_VENV) with Celery and matplotlib for the benchmarks (first run only)"
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install --quiet --require-hashes -r requirements-bench.lock
	@touch $(BENCH_STAMP)

bench-env: $(BENCH_STAMP) ## the benchmarks' own venv (Celery, matplotlib)

bench: $(STAMP) $(BENCH_STAMP) ## http, saga, peer (Celery), cost; results and plots (40 min or more)
	$(BIN)/python -m bench.all

bench-quick: $(STAMP) $(BENCH_STAMP) ## a short run of the same (~10 min), into bench/results/quick/
	$(BIN)/python -m bench.all --quick

bench-consumer: $(STAMP) ## the SQS consumer runtime against its floor (bench/README.md)
	$(BIN)/python -m bench.consumer

clean: ## remove every venv, the local stack's state and the caches
	-bash scripts/localstack.sh stop
	rm -rf $(VENV) .venv-bench .venv-313 .venv-localstack .venv-infra .localstack .devstack .pytest_cache .mypy_cache .ruff_cache
