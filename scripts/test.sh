#!/usr/bin/env bash
# Install hookline with its test dependencies and run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q -e ".[dev]"
if command -v npm >/dev/null 2>&1 && [ -f tests/node/package.json ]; then
  (cd tests/node && npm install --no-audit --no-fund --silent)
fi
python3 -m pytest -q "$@"
