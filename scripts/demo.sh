#!/usr/bin/env bash
# Generate a demo project and run its agent end to end on the embedded engine, on a
# fresh machine that has only Python and pip. Extra arguments go to scripts/demo.py.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
bootstrap_venv ".[test]"
exec .venv/bin/python scripts/demo.py "$@"
