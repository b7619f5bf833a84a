# Stint's developer interface: `make help` lists every target. `make dev` runs the API locally;
# `make test` runs every check; `make deploy` deploys (AWS credentials needed).
# The targets install what they need into virtual environments inside the repo, from the lock
# files (every package pinned, with its hashes).

PYTHON ?= python3
VENV := .venv
SAM_VENV := .venv-sam
PY := $(VENV)/bin/python
SAM := $(SAM_VENV)/bin/sam
# The samconfig.toml environment that deploy, sync, logs, outputs and delete act on.
ENV ?= default
OUTPUTS ?= outputs.json
LAYER_BUILD := .aws-sam/build/StintLayer
export AWS_DEFAULT_REGION ?= us-east-1
export SAM_CLI_TELEMETRY := 0

.DEFAULT_GOAL := help
.PHONY: help dev dev-clean invoke event test lint typecheck validate lint-openapi browser unit build lock hooks \
	clean openapi bench mutate deploy sync logs outputs delete

help:  ## list the targets (this)
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-z-]*:.*## / {printf "  make %-10s %s\n", $$1, $$2}' \
		$(MAKEFILE_LIST)

# pip byte-compiles every module (a third of the install's time) and that stays: where
# PYTHONDONTWRITEBYTECODE is set, as on CI's machines, Python never caches what it compiles, so
# every process the tests start (stacks, `make invoke`s) would compile its imports again.
$(VENV)/.installed: requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.lock
	touch $@

# aws-sam-cli pins its own pydantic and boto3, so it lives in a venv of its own. The lock holds
# every dependency: --no-deps (pip's resolver refuses the extras aws-sam-cli asks of boto3-stubs
# under --require-hashes once pip-compile has stripped them).
$(SAM_VENV)/.installed: requirements-sam.lock
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --no-deps --require-hashes -r requirements-sam.lock
	touch $@

# Node tools (Redocly's linter; openapi-typescript, openapi-fetch and tsc for the TypeScript
# client test), pinned by package-lock.json, installed into node_modules/.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Debian's Chromium for the browser tests (tests/browser), installed only when it is missing.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:  ## install Debian's Chromium for the browser tests, if it is missing
	@if [ ! -x /usr/bin/chromium ]; then \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium chromium-driver; \
	fi

# ---------------------------------------------------------------------- local

dev: $(VENV)/.installed  ## run the API on http://127.0.0.1:3000 (PORT overrides); keeps its state
	$(PY) -m local $(if $(CLEAN),--clean)

dev-clean: $(VENV)/.installed  ## run the API with no saved state: no users, no data (make dev CLEAN=1)
	$(PY) -m local --clean

# One function with one event, as `sam local invoke` (no Docker): against the running `make dev`'s
# emulator if one answers, else a fresh one. Only the result goes to standard output (@: no echo).
# The values reach the command through the environment (make exports command-line variables),
# so any quoting in them survives.
invoke: $(VENV)/.installed  ## run FUNCTION with EVENT (a file, - for stdin); ENV_VARS, AS_USER
	@$(PY) -m local invoke "$$FUNCTION" $(if $(EVENT),--event "$$EVENT") \
		$(if $(ENV_VARS),--env-vars "$$ENV_VARS") $(if $(AS_USER),--user "$$AS_USER")

event: $(VENV)/.installed  ## print the API event of ROUTE="POST /v1/tasks" (BODY='{...}')
	@$(PY) -m local generate-event "$$ROUTE" $(if $(BODY),--body "$$BODY")

lint: $(VENV)/.installed  ## ruff check
	$(VENV)/bin/ruff check .

typecheck: $(VENV)/.installed  ## mypy
	$(VENV)/bin/mypy

validate: $(SAM_VENV)/.installed  ## sam validate --lint (cfn-lint): no error, no warning
	$(SAM) validate --lint --template template.yaml

lint-openapi: node_modules/.installed  ## openapi.json under Redocly's recommended rules: no error
	npx --no-install redocly lint --config redocly.yaml openapi.json

INSTALLS := $(VENV)/.installed $(SAM_VENV)/.installed node_modules/.installed browser

# tests/test_cloudformation.py translates with the SAM venv; tests/browser drive Chromium;
# tests/client generates a TypeScript client with node_modules' tools.
# Two pytest-xdist workers (this machine's cores), tests dealt out one by one: with whole files
# to each worker, schemathesis ran one of its 63 operations and reported the test passed.
# WORKERS=0 runs in this process.
WORKERS ?= 2
unit: $(INSTALLS)  ## every test
	$(PY) -m pytest -q -n $(WORKERS) --dist load

# Everything CI runs, in three steps: the installs side by side (pip and npm leave a core idle
# much of the time), the static checks side by side, then the tests (which use both cores).
# -Oline keeps each line of the parallel steps whole in the log.
test:  ## everything CI runs: ruff, mypy, sam validate, Redocly's lint, every test
	@$(MAKE) --no-print-directory -j4 -Oline $(INSTALLS)
	@$(MAKE) --no-print-directory -j4 -Oline lint typecheck validate lint-openapi
	@$(MAKE) --no-print-directory unit

# Benchmarks are not tests: `make test` never runs them (pytest's testpaths is tests/ only).
# The peer (TimeTagger) is installed by the benchmark into .venv-bench-timetagger/, not here.
bench: $(VENV)/.installed  ## performance figures beside their baselines, one table, written to docs/PERFORMANCE.md
	$(PY) -m bench

# Mutation testing (mutmut) of the store, sync, billing, idempotency and hook_urls by their unit
# tests, about 25 minutes: neither CI nor `make test` runs it (docs/DESIGN.md, "Mutation
# testing"; the survivors argued in CHANGELOG.md, "mutation testing"). mutmut runs in .mutate/,
# made afresh each time (a second run would keep its stale copies of files changed since):
# `stint` there links to the layer's package ([tool.mutmut] in pyproject.toml says why), beside
# links to what the tests read; mutmut copies them into .mutate/mutants/ and mutates the copies.
# `cd .mutate && ../.venv/bin/mutmut show NAME` prints one mutant's diff.
MUTATE_DIR := .mutate
MUTATE_LINKS := pyproject.toml tests local functions events template.yaml
# MODULES: only the mutants of these modules (e.g. MODULES="stint.store.reads stint.services.sync");
# the others' are counted "not checked".
MUTATE_NAMES = $(foreach m,$(MODULES),"$(m).*")
mutate: $(VENV)/.installed  ## mutation testing of the store, sync and three modules by their unit tests (not in CI)
	rm -rf $(MUTATE_DIR)
	mkdir $(MUTATE_DIR)
	ln -s ../layers/stint/python/stint $(MUTATE_DIR)/stint
	for f in $(MUTATE_LINKS); do ln -s ../$$f $(MUTATE_DIR)/$$f; done
	cd $(MUTATE_DIR) && PATH=$(abspath $(VENV))/bin:$$PATH mutmut run $(MUTATE_NAMES)
	cd $(MUTATE_DIR) && $(abspath $(VENV))/bin/mutmut export-cicd-stats >/dev/null \
		&& cat mutants/mutmut-cicd-stats.json
	cd $(MUTATE_DIR) && $(abspath $(VENV))/bin/mutmut results --all true \
		| sed 's/.*: //' | sort | uniq -c
	cd $(MUTATE_DIR) && $(abspath $(VENV))/bin/mutmut results

openapi: $(VENV)/.installed  ## regenerate openapi.json from the code (tests fail when it is stale)
	$(PY) -m tools.openapi

hooks: $(VENV)/.installed  ## install the git pre-commit hook (ruff check, ruff format, mypy)
	$(VENV)/bin/pre-commit install

# pip-compile keeps the pins a lock file has; UPGRADE=1 moves every package to its newest.
# The layer's lock leaves out what Lambda's Python runtime provides (boto3 and its dependencies).
RUNTIME_PROVIDED := boto3 botocore jmespath python-dateutil s3transfer six urllib3
COMPILE = $(VENV)/bin/pip-compile --quiet --generate-hashes --strip-extras --no-emit-index-url \
	--no-emit-find-links $(if $(UPGRADE),--upgrade)
lock: $(VENV)/.installed  ## rewrite the lock files from the requirements files (UPGRADE=1: newest)
	cd layers/stint && ../../$(COMPILE) $(foreach p,$(RUNTIME_PROVIDED),--unsafe-package $(p)) \
		--output-file requirements.lock requirements.txt
	$(COMPILE) --allow-unsafe --output-file requirements-dev.lock requirements-dev.txt
	$(COMPILE) --allow-unsafe --output-file requirements-sam.lock requirements-sam.txt

# ---------------------------------------------------------------------- AWS

build: $(SAM_VENV)/.installed  ## sam build (no Docker); prints the layer's hash: equal for one commit
	$(SAM) build --template template.yaml
	@echo "StintLayer sha256: $$($(PYTHON) layers/stint/digest.py $(LAYER_BUILD))"

deploy: build  ## sam deploy to the samconfig.toml environment ENV (default: default)
	$(SAM) deploy --config-env $(ENV)

sync: $(SAM_VENV)/.installed  ## sam sync --watch: code changes go to the ENV stack as you save
	$(SAM) sync --watch --config-env $(ENV)

logs: $(SAM_VENV)/.installed  ## tail the ENV stack's function logs (FUNCTION=UsersFunction for one)
	$(SAM) logs --config-env $(ENV) $(if $(FUNCTION),--name $(FUNCTION))

outputs: $(VENV)/.installed  ## write the ENV stack's outputs to outputs.json (STINT_OUTPUTS for the tests)
	$(PY) -m tools.stack_outputs --env $(ENV) --out $(OUTPUTS)

delete: $(SAM_VENV)/.installed  ## delete the ENV stack (asks first; table, user pool, queues stay)
	$(SAM) delete --config-env $(ENV)

clean:  ## remove build output, caches and the local stack's state (.stint)
	rm -rf .aws-sam .stint .pytest_cache .mypy_cache .ruff_cache .venv-bench-timetagger node_modules
