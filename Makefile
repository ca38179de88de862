# Every target creates the venv and installs on first use: `make run` and `make test` work on
# a fresh clone with nothing typed before them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup run test test-unit test-integration test-e2e test-chaos lint typecheck check bench reset clean \
        localstack localstack-stop test-localstack check-infra test-terraform bench-env bench-quick \
        bench-consumer browser test-browser screenshots

setup: $(STAMP) ## create .venv and install the project with its locked dependencies

$(STAMP): pyproject.toml requirements-dev.lock
	@echo "==> creating $(VENV) and installing locked dependencies (first run only)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

run: $(STAMP) ## start the whole stack on http://127.0.0.1:8080 (Ctrl-C stops it)
	$(BIN)/ecommerce dev

reset: $(STAMP) ## wipe the local stack's state under .devstack/
	$(BIN)/ecommerce dev --reset --no-start

test: $(STAMP) ## the whole suite: unit, integration, end-to-end
	$(BIN)/python -m pytest -q

test-unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

test-integration: $(STAMP)
	$(BIN)/python -m pytest -q tests/integration

test-e2e: $(STAMP)
	$(BIN)/python -m pytest -q tests/e2e

test-chaos: $(STAMP)
	$(BIN)/python -m pytest -q tests/chaos

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

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	@MYPY=$(BIN)/mypy bash scripts/typecheck.sh

check: lint typecheck test

# The benchmarks' own venv: Celery (the peer benchmark) and matplotlib (the plots), locked.
BENCH_VENV  := .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed

$(BENCH_STAMP): requirements-bench.lock
	@echo "==> creating $(BENCH_VENV) with Celery and matplotlib for the benchmarks (first run only)"
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install --quiet --require-hashes -r requirements-bench.lock
	@touch $(BENCH_STAMP)

bench-env: $(BENCH_STAMP)

bench: $(STAMP) $(BENCH_STAMP) ## http, saga, peer (Celery), cost; results and plots (40 min or more)
	$(BIN)/python -m bench.all

bench-quick: $(STAMP) $(BENCH_STAMP) ## a short run of the same (~10 min), into bench/results/quick/
	$(BIN)/python -m bench.all --quick

bench-consumer: $(STAMP) ## the SQS consumer runtime against its floor (bench/README.md)
	$(BIN)/python -m bench.consumer

clean:
	-bash scripts/localstack.sh stop
	rm -rf $(VENV) .venv-bench .venv-localstack .venv-infra .localstack .devstack .pytest_cache .mypy_cache .ruff_cache
