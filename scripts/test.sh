#!/usr/bin/env bash
# Run the whole test suite of restack-template on a fresh machine that has only Python
# and pip: installs what is missing into .venv, then runs pytest (extra args pass through).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
bootstrap_venv ".[test]"
echo "==> Running the test suite"
exec .venv/bin/python -m pytest "$@"
