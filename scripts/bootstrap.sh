# Shared setup for scripts/*.sh: git (Copier needs it) and a virtualenv in .venv.
# Sourced, not executed.

ensure_git() {
  if command -v git >/dev/null 2>&1; then
    return
  fi
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> Installing git (Copier uses it to version templates)"
    apt-get update -qq && apt-get install -y -qq --no-install-recommends git ca-certificates >/dev/null
  else
    echo "error: git is required; install it with your package manager and run again." >&2
    exit 1
  fi
}

bootstrap_venv() {
  local requirement=$1
  ensure_git
  local python=${PYTHON:-python3}
  if [ ! -x .venv/bin/python ]; then
    echo "==> Creating .venv with $($python --version)"
    "$python" -m venv .venv
  fi
  echo "==> Installing dependencies (${requirement}) into .venv"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e "$requirement"
}
