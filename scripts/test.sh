#!/usr/bin/env bash
# Run the whole test suite of restack-template on a fresh machine that has only Python
# and pip: installs what is missing into .venv, then runs pytest (extra args pass through).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
bootstrap_venv ".[test]"
echo "==> Running the test suite"
# The suite starts hundreds of Python processes on the same rendered projects; some
# machines set PYTHONDONTWRITEBYTECODE, and then each of them compiles every module again.
unset PYTHONDONTWRITEBYTECODE
# One worker per core, work stolen from busy workers: the suite's tests are independent
# (each renders its own projects, engines pick free ports). pytest's own exit code is
# the script's, so a run that collects no test (exit 5) fails too. The slowest tests are
# listed at the end, where the suite's time goes.
exec .venv/bin/python -m pytest -n auto --dist worksteal --durations=25 "$@"
