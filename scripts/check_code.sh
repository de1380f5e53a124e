#!/usr/bin/env bash
# The checks every Python change passes before the tests run (`make test`, `make lint`):
# ruff's lint rules and its formatter, then mypy; configuration in pyproject.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
ruff check --no-cache .
ruff format --check --no-cache .
mypy
