# The two commands a new user needs: `make demo` and `make test`. Both create .venv and
# install the pinned dependencies on first use (scripts/bootstrap.sh), then skip that step.
VENV := .venv
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
# The pose models and aniposelib's JAX must stay on the CPU cores we have.
export OMP_NUM_THREADS ?= 2

# Tests run on 2 pytest-xdist workers (CI has 2 cores), one OpenMP thread each; every test
# file stays whole on one worker (tests/conftest.py also groups some files). Plain `pytest` runs serially.
PYTEST := OMP_NUM_THREADS=1 python -m pytest -q -n 2 --dist loadfile

.PHONY: setup demo test test-fast lint bench

setup:
	@bash scripts/bootstrap.sh

demo: setup
	runlab demo

test: setup
	@bash scripts/check_code.sh
	@bash scripts/ensure_browser.sh
	$(PYTEST)

# ruff (lint + format check) and mypy, as `make test` runs them first
lint: setup
	@bash scripts/check_code.sh

test-fast: setup
	$(PYTEST) -m "not slow"

bench: setup
	@for b in benchmarks/*.py; do python $$b; done
