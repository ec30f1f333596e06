"""scripts/bootstrap.sh's pip path: a venv made without pip still installs with pip.

The uv path runs at the start of every suite run (scripts/test.sh); this is the fallback
for machines where uv cannot be used, which `RESTACK_BOOTSTRAP_PIP=1` forces.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO_ROOT

PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "bootstrap-probe"
version = "0.1.0"
"""


@pytest.mark.slow
def test_the_pip_fallback_gives_the_venv_pip_and_installs(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (tmp_path / "bootstrap_probe").mkdir()
    (tmp_path / "bootstrap_probe" / "__init__.py").write_text("ANSWER = 42\n", encoding="utf-8")
    script = f'source {REPO_ROOT / "scripts" / "bootstrap.sh"} && bootstrap_venv "."'
    env = {**os.environ, "RESTACK_BOOTSTRAP_PIP": "1", "PYTHON": sys.executable}

    result = subprocess.run(
        ["bash", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    python = tmp_path / ".venv" / "bin" / "python"
    probe = subprocess.run(
        [str(python), "-c", "import bootstrap_probe, pip; print(bootstrap_probe.ANSWER)"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert probe.stdout.strip() == "42", probe.stderr
    assert not (tmp_path / ".venv" / "bin" / "uv").exists()
