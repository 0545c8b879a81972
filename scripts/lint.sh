#!/usr/bin/env bash
# Static checks, run by .ci/run before the tests: style (ruff), the layering (import-linter contracts
# in pyproject.toml) and types (mypy; strict on signing, receiver and the service layer).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m ruff check src tests bench
python3 -m ruff format --check src tests
lint-imports
python3 -m mypy
