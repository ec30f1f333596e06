"""The upgrade tests' env guard (tests/env_guard.py) keeps its blocked set between
interpreters: reused while site-packages are unchanged, worked out again otherwise."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from . import env_guard

PROJECT = "not-installed-project"


@pytest.fixture
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The guard's cache goes to a scratch `sys.prefix`; its blocker is undone after."""
    monkeypatch.setattr(sys, "prefix", str(tmp_path))
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))
    return tmp_path / "restack-env-guard.json"


def installed_blocker() -> set[str]:
    blocker = sys.meta_path[0]
    assert isinstance(blocker, env_guard._Blocker)
    return blocker.blocked


def test_a_cache_of_the_same_environment_is_used(environment: Path) -> None:
    state = env_guard._installed_state(PROJECT)
    environment.write_text(json.dumps({"state": state, "blocked": ["sentinel"]}), "utf-8")

    env_guard.install(PROJECT)

    assert installed_blocker() == {"sentinel"}


@pytest.mark.parametrize(
    "stored",
    [
        '{"state": "an environment since changed", "blocked": ["sentinel"]}',
        "{not json",
        "[]",
        '{"state": STATE}',
        '{"state": STATE, "blocked": 5}',
        "",
    ],
    ids=["stale", "not-json", "not-a-mapping", "no-set", "set-not-a-list", "empty"],
)
def test_a_stale_or_damaged_cache_is_worked_out_again(environment: Path, stored: str) -> None:
    state = env_guard._installed_state(PROJECT)
    environment.write_text(stored.replace("STATE", json.dumps(state)), "utf-8")

    env_guard.install(PROJECT)

    expected = env_guard._blocked(PROJECT)
    assert installed_blocker() == expected and "sentinel" not in expected
    saved = json.loads(environment.read_text("utf-8"))
    assert saved == {"state": state, "blocked": sorted(expected)}
