"""The default render through pytest-copie, the way most Copier templates test themselves."""

from __future__ import annotations

from typing import Any


def test_default_answers_render_a_complete_project(copie: Any) -> None:
    result = copie.copy(extra_answers={"project_name": "copie-app"})

    assert result.exception is None, result.exception
    assert result.exit_code == 0
    package = result.project_dir / "src" / "copie_app"
    for relative in ("service.py", "client.py", "cli/__init__.py", "agents/greeter_agent.py"):
        assert (package / relative).is_file(), relative
    assert result.answers["package_name"] == "copie_app"
