# The two commands a new user needs: `make demo` and `make test`. Both create .venv and
# install the pinned dependencies on first use (scripts/bootstrap.sh), then skip that step.
VENV := .venv
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
# The pose models and aniposelib's JAX must stay on the CPU cores we have.
export OMP_NUM_THREADS ?= 2

.PHONY: setup demo test test-fast lint bench

setup:
	@bash scripts/bootstrap.sh

demo: setup
	runlab demo

test: setup
	@bash scripts/check_code.sh
	@bash scripts/ensure_browser.sh
	python -m pytest -q

# ruff (lint + format check) and mypy, as `make test` runs them first
lint: setup
	@bash scripts/check_code.sh

test-fast: setup
	python -m pytest -q -m "not slow"

bench: setup
	@for b in benchmarks/*.py; do python $$b; done
