# Stint's developer interface. `make dev` runs the API locally; `make test` runs every check.
# Both install what they need into virtual environments inside the repo.

PYTHON ?= python3
VENV := .venv
SAM_VENV := .venv-sam
PY := $(VENV)/bin/python
SAM := $(SAM_VENV)/bin/sam
export AWS_DEFAULT_REGION ?= us-east-1
export SAM_CLI_TELEMETRY := 0

.PHONY: dev test lint typecheck validate unit build clean openapi bench lint-openapi browser

$(VENV)/.installed: requirements-dev.txt layers/stint/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# aws-sam-cli pins its own pydantic and boto3, so it lives in a venv of its own.
$(SAM_VENV)/.installed: requirements-sam.txt
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/pip install --quiet -r requirements-sam.txt
	touch $@

# Node tools (Redocly's linter), pinned by package-lock.json, installed into node_modules/.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Debian's Chromium for the browser tests (tests/browser), installed only when it is missing.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium chromium-driver; \
	fi

dev: $(VENV)/.installed  ## run the API on http://127.0.0.1:3000 (PORT overrides)
	$(PY) -m local

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy

validate: $(SAM_VENV)/.installed  ## sam validate --lint (cfn-lint): no error, no warning
	$(SAM) validate --lint --template template.yaml

lint-openapi: node_modules/.installed  ## openapi.json under Redocly's recommended rules: no error
	npx --no-install redocly lint --config redocly.yaml openapi.json

# tests/test_cloudformation.py translates with the SAM venv; tests/browser drive Chromium.
unit: $(VENV)/.installed $(SAM_VENV)/.installed browser
	$(PY) -m pytest -q

test: lint typecheck validate lint-openapi unit  ## everything CI runs

# Benchmarks are not tests: `make test` never runs them (pytest's testpaths is tests/ only).
# The peer (TimeTagger) is installed by the benchmark into .venv-bench-timetagger/, not here.
bench: $(VENV)/.installed  ## performance figures beside their baselines, one table (issue 10)
	$(PY) -m bench

openapi: $(VENV)/.installed  ## regenerate openapi.json from the code (tests fail when it is stale)
	$(PY) -m tools.openapi

build: $(SAM_VENV)/.installed  ## sam build, the layer built for the Lambda target (no Docker)
	$(SAM) build --template template.yaml

clean:
	rm -rf .aws-sam .stint .pytest_cache .mypy_cache .ruff_cache .venv-bench-timetagger node_modules
