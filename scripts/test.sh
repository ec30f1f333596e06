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
# One worker more than there are cores, work stolen from busy workers: the suite's tests
# are independent (each renders its own projects, engines pick free ports), and each of
# them spends part of its time waiting on processes it started (an engine stopping, a
# service starting), time the extra worker fills. On 2 cores: 9 min instead of 12.
# pytest's own exit code is the script's, so a run that collects no test (exit 5) fails
# too. The slowest tests are listed at the end, where the suite's time goes.
workers=$(.venv/bin/python -c 'import os
cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
print((cores or 1) + 1)')
exec .venv/bin/python -m pytest -n "$workers" --dist worksteal --durations=25 "$@"
