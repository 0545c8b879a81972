#!/usr/bin/env bash
# Refresh the lock files from pyproject.toml: requirements/dev.txt (server + tests), then
# requirements/server.txt (server only) constrained to the same versions.
# Needs uv (`python3 -m pip install uv`) and access to PyPI. Add --upgrade to move every pin to the
# newest release the ranges in pyproject.toml allow.
set -euo pipefail
cd "$(dirname "$0")/.."
uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 -o requirements/dev.txt "$@"
uv pip compile pyproject.toml --extra server --universal --python-version 3.11 \
  -c requirements/dev.txt -o requirements/server.txt "$@"
