# Two commands on a fresh machine: `make demo` and `make test`. Everything else is a step of those.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PY311    ?= $(shell PYENV_VERSION=3.11.7 pyenv which python3.11 2>/dev/null || command -v python3.11 || command -v python3)
PY313    ?= $(shell PYENV_VERSION=3.13.0 pyenv which python3.13 2>/dev/null || command -v python3.13)
PY313_BIN = $(patsubst %/,%,$(dir $(PY313)))
VENV     := .venv
SAM_VENV := .venv-sam
CHECKOV_VENV := .venv-checkov
AWSCLI_VENV := .venv-awscli
UP_PORT  ?= 4566
UV       := .venv-bootstrap/bin/uv
PYTHON   := $(VENV)/bin/python
ASL_DIR  := tools/asl
ASLV     := $(ASL_DIR)/node_modules/.bin/asl-validator

export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= us-east-1

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

# ---------------------------------------------------------------- environments (stamp files)
.venv-bootstrap/.stamp:
	$(PY311) -m venv .venv-bootstrap
	.venv-bootstrap/bin/pip install --quiet uv==0.13.9
	touch $@

$(VENV)/.stamp: requirements/dev.txt pyproject.toml .venv-bootstrap/.stamp
	rm -rf $(VENV)
	$(UV) venv --quiet --python $(PY311) $(VENV)
	$(UV) pip sync --quiet --python $(PYTHON) requirements/dev.txt
	$(UV) pip install --quiet --python $(PYTHON) --no-deps -e .
	touch $@

$(SAM_VENV)/.stamp: requirements/sam.txt .venv-bootstrap/.stamp
	rm -rf $(SAM_VENV)
	$(UV) venv --quiet --python $(PY313) $(SAM_VENV)
	$(UV) pip sync --quiet --python $(SAM_VENV)/bin/python --require-hashes requirements/sam.txt
	touch $@

$(CHECKOV_VENV)/.stamp: requirements/checkov.txt .venv-bootstrap/.stamp
	rm -rf $(CHECKOV_VENV)
	$(UV) venv --quiet --python $(PY311) $(CHECKOV_VENV)
	$(UV) pip sync --quiet --python $(CHECKOV_VENV)/bin/python --require-hashes requirements/checkov.txt
	touch $@

# The AWS CLI (v1, pinned with hashes) in its own venv: it must not share our botocore pin.
$(AWSCLI_VENV)/.stamp: requirements/awscli.txt .venv-bootstrap/.stamp
	rm -rf $(AWSCLI_VENV)
	$(UV) venv --quiet --python $(PY311) $(AWSCLI_VENV)
	$(UV) pip sync --quiet --python $(AWSCLI_VENV)/bin/python --require-hashes requirements/awscli.txt
	touch $@

$(ASL_DIR)/node_modules/.stamp: $(ASL_DIR)/package.json $(ASL_DIR)/package-lock.json
	npm ci --prefix $(ASL_DIR) --no-audit --no-fund --loglevel=error
	touch $@

setup: $(VENV)/.stamp ## Create the dev environment (.venv, pinned; `finetune` CLI installed)

lock: .venv-bootstrap/.stamp ## Re-pin requirements/*.txt from requirements/*.in
	$(UV) pip compile --quiet --python-version 3.11 requirements/dev.in -o requirements/dev.txt
	$(UV) pip compile --quiet --python-version 3.13 --generate-hashes requirements/sam.in -o requirements/sam.txt
	$(UV) pip compile --quiet --python-version 3.11 --generate-hashes requirements/checkov.in -o requirements/checkov.txt
	$(UV) pip compile --quiet --python-version 3.11 --generate-hashes requirements/awscli.in -o requirements/awscli.txt

# ---------------------------------------------------------------- checks
lint: $(VENV)/.stamp ## ruff (lint + format check) and mypy strict (domain, CLI, handlers, emulator, tests)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

template-lint: $(SAM_VENV)/.stamp $(ASL_DIR)/node_modules/.stamp $(VENV)/.stamp ## sam validate --lint, cfn-lint, asl-validator
	$(SAM_VENV)/bin/sam validate --lint --template template.yaml
	$(SAM_VENV)/bin/cfn-lint template.yaml
	@mkdir -p .aws-sam
	$(PYTHON) tools/asl/substitute.py statemachine/pipeline.asl.json .aws-sam/pipeline.asl.checked.json
	$(ASLV) --json-path .aws-sam/pipeline.asl.checked.json

checkov: $(CHECKOV_VENV)/.stamp $(VENV)/.stamp ## checkov (+ our custom policies) on the SAM-translated template
	@mkdir -p .aws-sam
	$(PYTHON) tools/translate_template.py .aws-sam/translated.json
	$(CHECKOV_VENV)/bin/checkov -f .aws-sam/translated.json --config-file checkov/config.yaml

unit: $(VENV)/.stamp $(CHECKOV_VENV)/.stamp ## Unit and template tests (no emulator)
	$(VENV)/bin/pytest tests/unit tests/template

integration: $(VENV)/.stamp $(AWSCLI_VENV)/.stamp ## The real template + ASL + handlers on the embedded emulator
	$(VENV)/bin/pytest tests/integration

browser: $(VENV)/.stamp ## Render the run report in headless Chromium
	tools/install_chromium.sh
	$(VENV)/bin/pytest tests/browser

build: $(SAM_VENV)/.stamp ## sam build (python3.13 from pyenv; offline once pip can install)
	PATH="$(PY313_BIN):$$PATH" $(SAM_VENV)/bin/sam build --template template.yaml --cached

test: lint template-lint checkov unit integration browser build ## Everything CI runs

demo: $(VENV)/.stamp ## Whole pipeline on the emulator (DEMO_ARGS="--scenario invalid|job-failed|lost-event|approval|ttl|rft|model-worse" or "--dataset F")
	$(PYTHON) -m local.demo $(DEMO_ARGS)

up: $(VENV)/.stamp $(AWSCLI_VENV)/.stamp ## A local AWS on 127.0.0.1:4566 (UP_PORT=, UP_CLOCK=speed-up) with the stack deployed: uploads start runs; Ctrl-C stops
	@echo "The AWS CLI for it: $(AWSCLI_VENV)/bin/aws"
	$(PYTHON) -m local.up --port $(UP_PORT) $(if $(UP_CLOCK),--clock $(UP_CLOCK))

bench: $(VENV)/.stamp ## Handler import time vs import boto3; validator MB/s and peak RSS vs baselines (own processes, same run); state transitions (BENCH_ARGS="--only imports")
	$(PYTHON) -m bench.run $(BENCH_ARGS)

clean: ## Remove environments and build output
	rm -rf .venv .venv-sam .venv-checkov .venv-awscli .venv-bootstrap $(ASL_DIR)/node_modules .aws-sam .mypy_cache .ruff_cache

.PHONY: help setup lock lint template-lint checkov unit integration browser build test demo up bench clean
