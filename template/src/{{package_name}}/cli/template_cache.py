# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""A local mirror of a remote template repository, so that `restack g` works offline.

A project made with `copier copy gh:org/restack-template ...` records that URL, and Copier
would clone the repository again for every generator run: seconds each, and nothing at
all without a network. Generators render from a bare mirror kept under
`~/.cache/restack/templates/` instead, fetched only when it lacks the commit the project
is on. The answers files keep the original URL, so the project stays portable.
`RESTACK_TEMPLATE_CACHE` moves the cache; a template on a local path is used as it is.

`restack upgrade` needs the old release as well as the new one, and Copier clones both
from the recorded URL. `redirected_to_mirror` refreshes the mirror (keeping the cached
copy when offline) and has git itself read that URL from the mirror while Copier runs.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .template import TemplateError

# The sources Copier clones over a network (its own `gh:` and `gl:` shortcuts included).
_SHORTCUTS = {"gh:": "https://github.com/", "gl:": "https://gitlab.com/"}
_REMOTE = re.compile(r"^(?:git\+)?(?:https?|ssh|git|file)://|^[\w.-]+@[\w.-]+:")


def is_remote(src_path: str) -> bool:
    return src_path.startswith(tuple(_SHORTCUTS)) or _REMOTE.match(src_path) is not None


def clone_url(src_path: str) -> str:
    """The URL git understands for a source as Copier records it."""
    for shortcut, base in _SHORTCUTS.items():
        if src_path.startswith(shortcut):
            return base + src_path.removeprefix(shortcut)
    return src_path.removeprefix("git+")


def cache_root() -> Path:
    configured = os.environ.get("RESTACK_TEMPLATE_CACHE")
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "restack" / "templates"


def mirror_path(src_path: str) -> Path:
    url = clone_url(src_path)
    readable = re.sub(r"[^\w.-]+", "-", url.rstrip("/").rsplit("/", 1)[-1]).removesuffix(".git")
    digest = hashlib.sha256(url.encode()).hexdigest()[:12]
    return cache_root() / f"{readable or 'template'}-{digest}.git"


def local_source(src_path: str, commit: str | None) -> str:
    """Where Copier should render from: the mirror of a remote source holding `commit`
    (fetched first when it does not), or `src_path` itself when it is local."""
    if not is_remote(src_path):
        return src_path
    mirror = mirror_path(src_path)
    if not mirror.is_dir():
        _clone(src_path, mirror)
    elif commit is None or not _has_commit(mirror, commit):
        _git(["fetch", "--quiet", "--prune", "--tags", "origin"], mirror, src_path)
    if commit is not None and not _has_commit(mirror, commit):
        raise TemplateError(
            f"The template at {src_path} has no commit or tag {commit}.",
            fix="Check _commit in .copier-answers.yml, or set RESTACK_TEMPLATE_REF to a "
            "release of the template.",
        )
    return str(mirror)


def _has_commit(mirror: Path, commit: str) -> bool:
    probe = subprocess.run(
        ["git", "-C", str(mirror), "rev-parse", "--quiet", "--verify", f"{commit}^{{commit}}"],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


def _clone(src_path: str, mirror: Path) -> None:
    # Cloned beside the cache and renamed into place: a clone that fails or is interrupted
    # leaves no half mirror, and two commands cloning at once both end with a whole one.
    mirror.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".clone-", dir=mirror.parent) as scratch:
        staged = Path(scratch) / "mirror.git"
        _git(["clone", "--quiet", "--mirror", clone_url(src_path), str(staged)], None, src_path)
        try:
            staged.rename(mirror)
        except OSError:
            if not mirror.is_dir():
                raise
            shutil.rmtree(staged, ignore_errors=True)  # another command was first


def _git(arguments: list[str], cwd: Path | None, src_path: str) -> None:
    result = subprocess.run(
        ["git", *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},  # fail, never ask for a password
    )
    if result.returncode != 0:
        detail = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise TemplateError(
            f"Could not fetch the template from {src_path}: {detail}",
            fix="Check the network and your access to the repository, or point "
            "RESTACK_TEMPLATE_SRC at a local copy of the template.",
        )


@contextlib.contextmanager
def redirected_to_mirror(src_path: str) -> Iterator[Path | None]:
    """While inside, git clones of a remote `src_path` come from its mirror; yields the
    mirror (None for a local template). The mirror is fetched first; when that fails
    (offline) an existing mirror is used as it is, and only a missing one is an error."""
    if not is_remote(src_path):
        yield None
        return
    mirror = mirror_path(src_path)
    if not mirror.is_dir():
        _clone(src_path, mirror)
    else:
        with contextlib.suppress(TemplateError):
            _git(["fetch", "--quiet", "--prune", "--tags", "origin"], mirror, src_path)
    with _git_environment(_insteadof(src_path, mirror)):
        yield mirror


def _insteadof(src_path: str, mirror: Path) -> dict[str, str]:
    """git configuration, as environment variables, rewriting the source's URLs to the
    mirror. With and without `.git`: git picks the longest matching prefix, so each
    spelling maps onto the mirror exactly."""
    url = clone_url(src_path).rstrip("/")
    spellings = [url.removesuffix(".git"), url.removesuffix(".git") + ".git"]
    first = int(os.environ.get("GIT_CONFIG_COUNT", "0") or 0)
    variables: dict[str, str] = {}
    for offset, spelling in enumerate(spellings):
        variables[f"GIT_CONFIG_KEY_{first + offset}"] = f"url.{mirror}.insteadOf"
        variables[f"GIT_CONFIG_VALUE_{first + offset}"] = spelling
    variables["GIT_CONFIG_COUNT"] = str(first + len(spellings))
    return variables


@contextlib.contextmanager
def _git_environment(variables: dict[str, str]) -> Iterator[None]:
    """Set `variables` for subprocesses, Copier's included: it runs git through plumbum,
    whose environment is copied from os.environ at import."""
    from plumbum import local

    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        with local.env(**variables):
            yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
