#!/usr/bin/env bash
# Install hookline with its test dependencies (Python and Node) and run the whole suite in one pytest
# run: SQLite, and PostgreSQL where a test is parametrized over both (every Svix-SDK API test is).
set -euo pipefail
cd "$(dirname "$0")/.."
# versions from the lock file (refresh it with scripts/lock.sh), so every machine runs the same packages
python3 -m pip install -q -c requirements/dev.txt -e ".[dev]"
if command -v npm >/dev/null 2>&1; then
  for pkg in $(find tests -name package.json -not -path "*/node_modules/*"); do
    (cd "$(dirname "$pkg")" && npm ci --no-audit --no-fund --silent)
  done
fi
# three test processes on two cores: most tests wait on servers, subprocesses and retries, not the CPU;
# an idle process takes tests from a busy one's queue (worksteal), so one slow file does not end the run alone
PROCESSES="${HOOKLINE_TEST_PROCESSES:-3}"
python3 -m pytest -q -n "$PROCESSES" --dist worksteal "$@"
