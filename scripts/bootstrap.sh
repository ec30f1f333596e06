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
    # Without pip: installing pip into a new venv (ensurepip) takes about 8 s, and uv
    # does the installing. The venv gets pip only when uv cannot be used.
    "$python" -m venv --without-pip .venv
  fi
  echo "==> Installing dependencies (${requirement}) into .venv"
  if install_with_uv "$python" "$requirement"; then
    return
  fi
  ensure_venv_pip
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e "$requirement"
}

ensure_venv_pip() {
  if ! .venv/bin/python -m pip --version >/dev/null 2>&1; then
    .venv/bin/python -m ensurepip --upgrade --default-pip >/dev/null
  fi
}

# uv itself goes into .venv through the machine's pip (`pip --python`, pip 22.3 and
# later), so the venv needs no pip of its own; an older pip installs it from inside.
install_uv() {
  local python=$1
  if "$python" -m pip --python .venv/bin/python install --quiet uv >/dev/null 2>&1; then
    return
  fi
  ensure_venv_pip && .venv/bin/python -m pip install --quiet uv >/dev/null 2>&1
}

# uv resolves the same versions as pip but downloads, installs and compiles bytecode in
# parallel: on a fresh machine the dependencies take about 16 s instead of about 55 s.
# (Compiled here, not by the first process that imports each module: that made the
# demo's first run 17 s slower, and the test suite's run 100 s slower, its parallel
# processes compiling the same modules at once.) Any failure (no uv wheel for this
# platform, an index only pip is configured for) falls back to pip;
# RESTACK_BOOTSTRAP_PIP=1 skips uv.
install_with_uv() {
  local python=$1 requirement=$2
  if [ -n "${RESTACK_BOOTSTRAP_PIP:-}" ]; then
    return 1
  fi
  if [ ! -x .venv/bin/uv ] && ! install_uv "$python"; then
    echo "    (uv is not available here; installing with pip)"
    return 1
  fi
  # uv reads no pip configuration: the index pip would use, if one is set, goes along
  # (for this command only; the shell that sourced this file keeps its environment).
  if ! UV_DEFAULT_INDEX=${UV_DEFAULT_INDEX:-${PIP_INDEX_URL:-}} .venv/bin/uv pip install \
      --quiet --compile-bytecode --python .venv/bin/python -e "$requirement"; then
    echo "    (uv could not install them; installing with pip instead)"
    return 1
  fi
}
