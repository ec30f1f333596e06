# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""`restack g prompt`: write a new prompt version and register it, all or nothing.

A prompt file is content the user owns and, once published, a version never changes;
so it is written here rather than by a Copier generator (which `restack upgrade` would
later merge template changes into). A new version starts as a copy of the highest
existing one. `config/prompts.yaml` is edited with ruamel.yaml's round-trip mode, so the
user's comments, quoting and order survive.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from ..common.naming import InvalidNameError, check_component_name
from ..common.yamledit import (
    CommentedMap,
    YamlSyntaxError,
    dump,
    parse,
    plain_scalar,
    quoted,
    write_atomic,
)
from .errors import InvalidVersionError, PromptError, PromptScaffoldError
from .loader import DEFAULT_CONFIG, PROMPTS_DIR, PromptLoader, entry_problems, parse_prompt_file
from .versions import parse_version, sort_versions

_REGISTRY_HEADER = """\
# Prompt registry: every prompt, its versions and which one `latest` means.
# Paths are relative to the project root and must live under prompts/.
"""


@dataclass(frozen=True)
class CreatedPrompt:
    key: str
    version: str
    path: str
    based_on: str | None
    latest: str | None
    latest_moved: bool


def skeleton(key: str, version: str, model: str | None, description: str | None) -> str:
    """The first version of a new prompt: frontmatter plus a body with one placeholder."""
    about = description or f"{key.replace('_', ' ').capitalize()} prompt"
    lines = ["---", f"version: {version}", f"description: {plain_scalar(about)}"]
    if model:
        lines.append(f"model: {plain_scalar(model)}")
    lines += [
        "# temperature: 0.7",
        "# max_tokens: 1024",
        "# Placeholders are plain {name}; write {{ and }} for literal braces.",
        "inputs:",
        "  topic: What the prompt is about",
        "---",
        "You are a careful assistant. Work only from the topic below.",
        "",
        "## Topic",
        "{topic}",
        "",
        "## Instructions",
        "1. Answer from the topic above; say so when you are unsure.",
        "2. Be concise and structured.",
        "",
    ]
    return "\n".join(lines)


def next_version_text(base: str, version: str, model: str | None, description: str | None) -> str:
    """Copy `base` with its frontmatter's version (and model/description) replaced."""
    lines = base.splitlines(keepends=True)
    closing = next(
        (i for i, line in enumerate(lines[1:], start=1) if line.rstrip("\r\n") == "---"), None
    )
    if not lines or lines[0].rstrip("\r\n") != "---" or closing is None:
        front_lines = ["---", f"version: {version}"]
        if description:
            front_lines.append(f"description: {plain_scalar(description)}")
        if model:
            front_lines.append(f"model: {plain_scalar(model)}")
        return "\n".join([*front_lines, "---", ""]) + base
    try:
        front = parse("".join(lines[1:closing]), "the frontmatter") or CommentedMap()
    except YamlSyntaxError as error:
        raise PromptScaffoldError(str(error)) from error
    if not isinstance(front, CommentedMap):
        raise PromptScaffoldError("the frontmatter is not a YAML mapping")
    front["version"] = version
    if model:
        front["model"] = model
    if description:
        front["description"] = description
    return "---\n" + dump(front) + "".join(lines[closing:])


def _write_new(path: Path, text: str) -> None:
    # "x": never replace a file that appeared since the checks ran.
    with path.open("x", encoding="utf-8") as handle:
        handle.write(text)


@dataclass(frozen=True)
class PromptPlan:
    """What `restack g prompt` would write: the version's file and the registry's new text."""

    key: str
    version: str
    path: str
    """The version's file, relative to the project root."""
    text: str
    registry: str
    """config/prompts.yaml with the version registered (unchanged when it already is)."""
    based_on: str | None
    latest: str | None
    latest_moved: bool
    published: bool
    """The version is already registered (so its file is a published prompt)."""
    highest: str | None
    """The highest registered version before this one."""


def plan_prompt_version(
    root: Path,
    name: str,
    version: str,
    *,
    model: str | None = None,
    description: str | None = None,
) -> PromptPlan:
    """Work out the new version's file and registry; raise PromptScaffoldError on refusal."""
    try:
        key = check_component_name(name, "prompt")
    except InvalidNameError as error:
        raise PromptScaffoldError(str(error), fix=error.fix) from error
    try:
        new = parse_version(version)
    except InvalidVersionError as error:
        raise PromptScaffoldError(f"{error}; pass --version MAJOR.MINOR.PATCH") from error
    version = str(new)

    config = root / DEFAULT_CONFIG
    if config.exists():
        try:
            document = parse(config.read_text(encoding="utf-8"), str(DEFAULT_CONFIG))
        except YamlSyntaxError as error:
            raise PromptScaffoldError(str(error), fix=error.fix) from error
        if document is None:
            document = CommentedMap()
        if not isinstance(document, CommentedMap):
            raise PromptScaffoldError(f"{DEFAULT_CONFIG} must hold a 'prompts:' mapping")
    else:
        document = CommentedMap()
    prompts = document.get("prompts")
    if prompts is None:
        prompts = CommentedMap()
        document["prompts"] = prompts
    if not isinstance(prompts, CommentedMap):
        raise PromptScaffoldError(f"'prompts:' in {DEFAULT_CONFIG} must be a mapping")

    relative = f"{PROMPTS_DIR}/{key}/v{version}.md"
    entry = prompts.get(key)
    based_on: str | None = None
    highest: str | None = None
    published = False
    if entry is not None:
        problems = entry_problems(key, entry)
        if problems:
            raise PromptScaffoldError(
                f"the registry entry '{key}' is invalid ({'; '.join(problems)}); fix it first"
            )
        registered = {str(v): str(p) for v, p in entry["versions"].items()}
        highest = sort_versions(registered)[-1]
        same = [v for v in registered if parse_version(v) == new]
        if same:
            published = True
            relative = registered[same[0]]
            try:
                PromptLoader(root=root).safe_path(relative, key, version)
            except PromptError as error:
                raise PromptScaffoldError(str(error)) from error
        others = [v for v in registered if parse_version(v) != new]
        if others:
            based_on = sort_versions(others)[-1]
            base_file = root / registered[based_on]
            if not base_file.is_file():
                raise PromptScaffoldError(
                    f"the highest version {based_on} of '{key}' is registered at "
                    f"{registered[based_on]}, which is missing; restore it or fix the registry"
                )
            base = base_file.read_text(encoding="utf-8")
            text = next_version_text(base, version, model, description)
        else:
            text = skeleton(key, version, model, description)
    else:
        text = skeleton(key, version, model, description)
    try:
        parse_prompt_file(text, key, version, relative)
    except PromptError as error:
        raise PromptScaffoldError(
            f"the new file would not load ({error}); fix version {based_on} first"
        ) from error

    latest_moved = False
    if entry is None:
        entry = CommentedMap()
        if description:
            entry["description"] = quoted(description)
        entry["versions"] = CommentedMap()
        entry["versions"][quoted(version)] = quoted(relative)
        entry["latest"] = quoted(version)
        entry["resolution"] = quoted("semver")
        prompts[key] = entry
        latest_moved = True
    elif not published:
        entry["versions"][quoted(version)] = quoted(relative)
        current = entry.get("latest")
        # `latest` only moves forward, and never onto a prerelease.
        if current is not None and not new.prerelease and new > parse_version(str(current)):
            entry["latest"] = quoted(version)
            latest_moved = True
        if description and not entry.get("description"):
            entry.insert(0, "description", quoted(description))
    if published:
        registry = config.read_text(encoding="utf-8")
    else:
        registry = dump(document)
        if not config.exists():
            registry = _REGISTRY_HEADER + registry
    problems = entry_problems(key, prompts[key])
    if problems:  # a guard: the edit above must always produce a valid entry
        raise PromptScaffoldError("; ".join(problems))
    latest = entry.get("latest")
    return PromptPlan(
        key=key,
        version=version,
        path=relative,
        text=text,
        registry=registry,
        based_on=based_on,
        latest=str(latest) if latest is not None else None,
        latest_moved=latest_moved,
        published=published,
        highest=highest,
    )


def create_prompt_version(
    root: Path,
    name: str,
    version: str,
    *,
    model: str | None = None,
    description: str | None = None,
) -> CreatedPrompt:
    """Write `prompts/<key>/v<version>.md` and register it; raise before writing on refusal."""
    plan = plan_prompt_version(root, name, version, model=model, description=description)
    if plan.published:
        raise PromptScaffoldError(
            f"prompt '{plan.key}' already has version {plan.version} ({plan.path}); "
            f"published versions never change: pick a higher version than {plan.highest}"
        )
    relative, text, rendered = plan.path, plan.text, plan.registry
    config = root / DEFAULT_CONFIG
    target = root / relative
    if target.exists():
        raise PromptScaffoldError(
            f"{relative} already exists but is not registered; add it to {DEFAULT_CONFIG} "
            "by hand, or delete it"
        )

    # Folders this run creates, deepest first, so a failure can remove them again.
    created_dirs = sorted(
        {
            folder
            for leaf in (target.parent, config.parent)
            for folder in (leaf, *leaf.parents)
            if folder.is_relative_to(root) and not folder.exists()
        },
        key=lambda folder: len(folder.parts),
        reverse=True,
    )
    for directory in reversed(created_dirs):
        directory.mkdir(exist_ok=True)
    try:
        _write_new(target, text)
        try:
            write_atomic(config, rendered)
        except BaseException:
            target.unlink()
            raise
    except FileExistsError as error:
        raise PromptScaffoldError(f"{relative} appeared while writing; nothing changed") from error
    except BaseException:
        for directory in created_dirs:
            with contextlib.suppress(OSError):
                directory.rmdir()
        raise
    return CreatedPrompt(
        key=plan.key,
        version=plan.version,
        path=relative,
        based_on=plan.based_on,
        latest=plan.latest,
        latest_moved=plan.latest_moved,
    )
