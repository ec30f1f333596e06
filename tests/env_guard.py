"""Make a test virtualenv behave as if it held only what the project asked for.

Upgrade tests install a project into its own `.venv` whose site-packages point at this
test environment's (so pip finds every dependency without a network). That alone would
hide the real failure after an upgrade: the environment still has the old release's
packages, and the new code imports one it lacks. This module, imported from a `.pth`
file at interpreter start, blocks every top-level module whose distribution is not
required (directly or not) by the installed project's metadata, its `dev` extra
included, or by pip and the build backend. Reinstalling the project updates that
metadata, and the next interpreter sees the new packages, as a real environment would.

Active only when RESTACK_ENV_GUARD names the project's distribution.
"""

from __future__ import annotations

import importlib.abc
import importlib.metadata as metadata
import json
import os
import re
import sys
from collections.abc import Iterable, Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType

# What installs and builds the project is always there in a real environment.
_TOOLS = ("pip", "hatchling", "editables")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _closure(roots: Iterable[str], extras: Sequence[str]) -> set[str]:
    from packaging.requirements import Requirement

    allowed: set[str] = set()
    pending = [(Requirement(text), tuple(extras)) for text in roots]
    while pending:
        requirement, wanted = pending.pop()
        marker = requirement.marker
        if marker is not None and not any(
            marker.evaluate({"extra": extra}) for extra in (*wanted, "")
        ):
            continue
        name = _normal(requirement.name)
        if name in allowed:
            continue
        allowed.add(name)
        try:
            requires = metadata.distribution(name).requires or []
        except metadata.PackageNotFoundError:
            continue
        pending.extend((Requirement(text), tuple(requirement.extras)) for text in requires)
    return allowed


class _Blocker(importlib.abc.MetaPathFinder):
    def __init__(self, blocked: set[str]) -> None:
        self.blocked = blocked

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        top = fullname.partition(".")[0]
        if top in self.blocked:
            raise ModuleNotFoundError(f"No module named '{fullname}'", name=fullname)
        return None


def _blocked(project: str) -> set[str]:
    try:
        requires = metadata.distribution(project).requires or []
    except metadata.PackageNotFoundError:
        requires = []
    allowed = _closure([*requires, *_TOOLS], extras=("dev",)) | {_normal(project)}
    return {
        top
        for top, dists in metadata.packages_distributions().items()
        if top not in sys.stdlib_module_names
        and top not in sys.modules
        and not any(_normal(dist) in allowed for dist in dists)
    }


def _installed_state(project: str) -> str:
    """What the blocked set is made from: every site-packages directory, whose mtime
    changes whenever a package (the project's own metadata included) comes or goes."""
    stamps = [
        f"{entry}@{os.stat(entry).st_mtime_ns}"
        for entry in sys.path
        if entry.endswith("site-packages") and os.path.isdir(entry)
    ]
    return "|".join([project, *stamps])


def install(project: str) -> None:
    # Working the set out reads every installed distribution's metadata (about half a
    # second); the upgrade tests start dozens of interpreters on the same environment, so
    # it is kept until what it was made from changes. It lives in the environment's root:
    # a file written into site-packages would change the stamps it is checked against.
    cache = os.path.join(sys.prefix, "restack-env-guard.json")
    state = _installed_state(project)
    blocked: set[str] | None = None
    try:
        with open(cache, encoding="utf-8") as stored:
            saved = json.load(stored)
        if saved.get("state") == state:
            blocked = {top for top in saved["blocked"] if top not in sys.modules}
    except (OSError, ValueError, LookupError, TypeError, AttributeError):
        pass  # missing or damaged: worked out again below
    if blocked is None:
        blocked = _blocked(project)
        temporary = f"{cache}.{os.getpid()}"
        with open(temporary, "w", encoding="utf-8") as stored:
            json.dump({"state": state, "blocked": sorted(blocked)}, stored)
        os.replace(temporary, cache)
    sys.meta_path.insert(0, _Blocker(blocked))


if os.environ.get("RESTACK_ENV_GUARD"):
    install(os.environ["RESTACK_ENV_GUARD"])
