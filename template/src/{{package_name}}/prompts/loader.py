# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""Versioned prompts: `config/prompts.yaml` names them, `prompts/<name>/v<semver>.md` holds them.

    loader = PromptLoader()
    prompt = await loader.load("summarize", "1")        # highest 1.x.y
    text = prompt.format(text=document, audience="engineers")

Loading reads files, so call it from a Restack function (see
`functions/render_prompt.py`), never from agent or workflow code. Parsed files are
cached and re-read when their size or modification time changes, so editing a prompt
takes effect without a restart.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from ..common.settings import project_root
from ..common.yaml_errors import describe_yaml_error
from .errors import (
    InvalidVersionError,
    MissingPromptVariablesError,
    PromptConfigError,
    PromptError,
    PromptFileError,
    PromptFormatError,
    PromptNotFoundError,
    PromptVersionNotFoundError,
)
from .format import (
    Segment,
    parse_template,
    placeholder_names,
    substitute,
)
from .versions import (
    REQUIREMENT_FORMS,
    highest_release,
    parse_requirement,
    parse_version,
    select,
    sort_versions,
)

# libyaml's parser, when present, reads a large registry several times faster.
_YamlLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

DEFAULT_CONFIG = Path("config") / "prompts.yaml"
PROMPTS_DIR = "prompts"
_LINE = re.compile(r"\bline (\d+)")
Resolution = Literal["semver", "exact"]
_ENTRY_KEYS = {"description", "versions", "latest", "resolution"}
_FRONTMATTER_TYPES: dict[str, tuple[type, ...]] = {
    "version": (str,),
    "model": (str,),
    "temperature": (int, float),
    "max_tokens": (int,),
    "description": (str,),
}
REQUEST_DEFAULT_KEYS = ("model", "temperature", "max_tokens")


@dataclass(frozen=True)
class PromptTemplate:
    """One version of one prompt: the body, its frontmatter, and safe formatting.

    The body is parsed once, here: a malformed placeholder raises PromptFormatError
    when the file is loaded, not when the prompt is first used.
    """

    content: str
    metadata: dict[str, Any]
    version: str
    name: str = ""
    path: str = ""
    _segments: tuple[Segment, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_segments", parse_template(self.content))

    @property
    def placeholders(self) -> tuple[str, ...]:
        """Placeholder names used in the body, in order of first appearance."""
        return placeholder_names(self._segments)

    @property
    def inputs(self) -> tuple[str, ...]:
        """Names declared under `inputs:` in the frontmatter."""
        return declared_inputs(self.metadata.get("inputs"))

    def format(self, **variables: object) -> str:
        """Fill every `{name}`; raises MissingPromptVariablesError naming each missing one."""
        # Imported here: the `restack` commands read prompts without counting renders, and
        # start faster without prometheus_client.
        from .metrics import rendered

        text = substitute(self._segments, variables, self.name)
        rendered(self.name, self.version)
        return text

    def request_defaults(self) -> dict[str, Any]:
        """`model`, `temperature` and `max_tokens` from the frontmatter, where set."""
        return {key: self.metadata[key] for key in REQUEST_DEFAULT_KEYS if key in self.metadata}

    def render_messages(self, **variables: object) -> list[dict[str, str]]:
        """The formatted prompt as a one-message chat conversation."""
        return [{"role": "user", "content": self.format(**variables)}]

    def build_request(self, variables: Mapping[str, object], **overrides: Any) -> dict[str, Any]:
        """A chat request: messages plus the frontmatter defaults; `overrides` win."""
        request: dict[str, Any] = {"messages": self.render_messages(**variables)}
        request.update(self.request_defaults())
        request.update({key: value for key, value in overrides.items() if value is not None})
        return request


def declared_inputs(raw: object) -> tuple[str, ...]:
    """`inputs` may be a list of names or a mapping of name -> description."""
    if isinstance(raw, Mapping):
        return tuple(str(key) for key in raw)
    if isinstance(raw, list):
        return tuple(str(item) for item in raw)
    return ()


@dataclass(frozen=True)
class PromptEntry:
    """One validated entry of config/prompts.yaml."""

    name: str
    versions: dict[str, str]
    latest: str | None
    resolution: Resolution
    description: str = ""

    def ordered_versions(self) -> list[str]:
        return sort_versions(self.versions)

    def default_version(self) -> str:
        chosen = self.latest or highest_release(self.versions)
        if chosen is None:
            raise PromptVersionNotFoundError(
                f"prompt '{self.name}' has only prereleases "
                f"({', '.join(self.ordered_versions())}) and no 'latest'; set latest: in "
                "config/prompts.yaml or ask for a version explicitly"
            )
        return chosen

    def resolve(self, requested: str | None) -> str:
        """The registered version `requested` means (None or 'latest' -> latest)."""
        if requested is None or requested.strip() == "latest":
            return self.default_version()
        requested = requested.strip()
        if self.resolution == "exact":
            if requested in self.versions:
                return requested
            raise PromptVersionNotFoundError(
                f"prompt '{self.name}' resolves versions exactly and has no version "
                f"'{requested}'; available: {self._available()}"
            )
        try:
            requirement = parse_requirement(requested)
        except InvalidVersionError as error:
            raise PromptVersionNotFoundError(
                f"prompt '{self.name}': {error}; available: {self._available()}"
            ) from error
        chosen = select(requirement, self.versions)
        if chosen is None:
            raise PromptVersionNotFoundError(
                f"prompt '{self.name}' has no version matching '{requested}' "
                f"({requirement.describe()}; prereleases only when named); "
                f"available: {self._available()}"
            )
        return chosen

    def _available(self) -> str:
        latest = f" (latest: {self.latest})" if self.latest else ""
        return (", ".join(self.ordered_versions()) or "none") + latest


def entry_problems(name: str, raw: object) -> list[str]:
    """Every way the registry entry `raw` breaks the schema (empty when it is valid)."""
    if not isinstance(raw, Mapping):
        return [f"'{name}' should be a mapping with versions: and latest:"]
    problems = [
        f"'{name}' has an unknown key '{key}' (allowed: {', '.join(sorted(_ENTRY_KEYS))})"
        for key in raw
        if key not in _ENTRY_KEYS
    ]
    versions = raw.get("versions")
    if not isinstance(versions, Mapping) or not versions:
        problems.append(f"'{name}' needs versions: a mapping of \"X.Y.Z\": prompts/... paths")
        versions = {}
    for version, path in versions.items():
        if not isinstance(version, str):
            problems.append(f"'{name}': version {version!r} must be a quoted string (\"1.0.0\")")
            continue
        try:
            parse_version(version)
        except InvalidVersionError as error:
            problems.append(f"'{name}': {error}")
        if not isinstance(path, str) or not path.strip():
            problems.append(f"'{name}' version {version}: the path must be a string")
    latest = raw.get("latest")
    if latest is not None and (not isinstance(latest, str) or latest not in versions):
        problems.append(
            f"'{name}': latest {latest!r} is not one of its versions "
            f"({', '.join(str(v) for v in versions) or 'none'})"
        )
    resolution = raw.get("resolution", "semver")
    if resolution not in ("semver", "exact"):
        problems.append(f"'{name}': resolution must be semver or exact, not {resolution!r}")
    description = raw.get("description", "")
    if description is not None and not isinstance(description, str):
        problems.append(f"'{name}': description must be text")
    return problems


def parse_entry(name: str, raw: object) -> PromptEntry:
    problems = entry_problems(name, raw)
    if problems:
        raise PromptConfigError(
            "config/prompts.yaml: " + "; ".join(problems) + ". Fix the entry (see docs/prompts.md)"
        )
    assert isinstance(raw, Mapping)
    return PromptEntry(
        name=name,
        versions={str(k): str(v) for k, v in raw["versions"].items()},
        latest=raw.get("latest"),
        resolution=raw.get("resolution", "semver"),
        description=raw.get("description") or "",
    )


def split_frontmatter(text: str) -> tuple[dict[str, Any], str, bool]:
    """(frontmatter, body, had_frontmatter) for a prompt file; raises on broken YAML."""
    text = text.removeprefix("\ufeff")
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip("\r\n") != "---":
        return {}, text, False
    for index, line in enumerate(lines[1:], start=1):
        if line.rstrip("\r\n") == "---":
            raw = "".join(lines[1:index])
            body = "".join(lines[index + 1 :]).lstrip("\r\n")
            try:
                data = yaml.load(raw, Loader=_YamlLoader) if raw.strip() else {}
            except yaml.YAMLError as error:
                # The frontmatter starts on the file's second line, after '---'.
                problem = describe_yaml_error(error, lines_before=1)
                raise ValueError(f"frontmatter is not valid YAML ({problem})") from error
            if not isinstance(data, dict):
                raise ValueError("frontmatter must be a YAML mapping (key: value lines)")
            return data, body, True
    raise ValueError("frontmatter starts with '---' but has no closing '---' line")


def frontmatter_problems(metadata: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    for key, types in _FRONTMATTER_TYPES.items():
        value = metadata.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, types):
            expected = " or ".join(t.__name__ for t in types)
            problems.append(f"'{key}' should be {expected}, not {type(value).__name__}")
    temperature = metadata.get("temperature")
    if isinstance(temperature, int | float) and not 0 <= temperature <= 2:
        problems.append(f"'temperature' {temperature} is outside 0..2")
    max_tokens = metadata.get("max_tokens")
    if isinstance(max_tokens, int) and not isinstance(max_tokens, bool) and max_tokens <= 0:
        problems.append(f"'max_tokens' must be positive, not {max_tokens}")
    inputs = metadata.get("inputs")
    if inputs is not None:
        names = declared_inputs(inputs)
        if not isinstance(inputs, list | Mapping) or not all(
            isinstance(n, str) and n.isidentifier() for n in names
        ):
            problems.append("'inputs' should list placeholder names (or map name: description)")
    return problems


@dataclass
class _Registry:
    signature: tuple[int, ...]
    raw: dict[str, Any]
    entries: dict[str, PromptEntry] = field(default_factory=dict)
    # (name, requested) -> (version, resolved file path, registered relative path)
    resolved: dict[tuple[str, str | None], tuple[str, Path, str]] = field(default_factory=dict)


def _signature(stat: os.stat_result) -> tuple[int, ...]:
    return (stat.st_mtime_ns, stat.st_ctime_ns, stat.st_size, stat.st_ino)


class PromptLoader:
    """Resolves, reads and caches prompts; safe to share across concurrent calls."""

    def __init__(
        self, config_path: str | Path = DEFAULT_CONFIG, *, root: str | Path | None = None
    ) -> None:
        self.root = Path(root) if root is not None else project_root()
        path = Path(config_path)
        self.config_path = path if path.is_absolute() else self.root / path
        self.prompts_dir = (self.root / PROMPTS_DIR).resolve()
        self._registry: _Registry | None = None
        self._files: dict[Path, tuple[tuple[int, ...], PromptTemplate]] = {}

    # -- registry ---------------------------------------------------------------------
    def _read_registry(self) -> _Registry:
        try:
            stat = os.stat(self.config_path)
        except FileNotFoundError:
            raise PromptConfigError(
                f"{self.config_path} does not exist; run from the project root, or create it "
                "with `restack g prompt NAME --version 1.0.0`"
            ) from None
        signature = _signature(stat)
        if self._registry is not None and self._registry.signature == signature:
            return self._registry
        try:
            data = yaml.load(self.config_path.read_text(encoding="utf-8"), Loader=_YamlLoader)
        except yaml.YAMLError as error:
            raise PromptConfigError(
                f"{self.config_path} is not valid YAML ({describe_yaml_error(error)}); "
                "fix it or restore it from git"
            ) from error
        if data is None:
            data = {"prompts": {}}
        prompts = data.get("prompts") if isinstance(data, dict) else None
        if prompts is None and isinstance(data, dict) and "prompts" in data:
            prompts = {}
        if not isinstance(prompts, dict):
            raise PromptConfigError(
                f"{self.config_path} must hold a top-level 'prompts:' mapping of name -> entry"
            )
        self._registry = _Registry(signature=signature, raw={str(k): v for k, v in prompts.items()})
        return self._registry

    def names(self) -> list[str]:
        return sorted(self._read_registry().raw)

    def raw_entries(self) -> dict[str, Any]:
        """The registry's entries as written (not yet validated), by name."""
        return dict(self._read_registry().raw)

    def entry(self, name: str) -> PromptEntry:
        """The validated registry entry for `name`; raises listing the known names."""
        registry = self._read_registry()
        cached = registry.entries.get(name)
        if cached is not None:
            return cached
        if name not in registry.raw:
            known = sorted(registry.raw)
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise PromptNotFoundError(
                f"no prompt named '{name}' in {self.config_path.name}; registered: "
                f"{', '.join(known) or 'none'}.{hint} Create it with "
                f"`restack g prompt {name} --version 1.0.0`"
            )
        entry = parse_entry(name, registry.raw[name])
        registry.entries[name] = entry
        return entry

    def resolve(self, name: str, version: str | None = None) -> str:
        """The registered version that `load(name, version)` would return."""
        return self._locate(name, version)[0]

    def _locate(self, name: str, version: str | None) -> tuple[str, Path, str]:
        registry = self._read_registry()
        key = (name, version)
        found = registry.resolved.get(key)
        if found is None:
            entry = self.entry(name)
            resolved = entry.resolve(version)
            relative = entry.versions[resolved]
            found = (resolved, self.safe_path(relative, name, resolved), relative)
            registry.resolved[key] = found
        return found

    def safe_path(self, relative: str, name: str = "", version: str = "") -> Path:
        """The absolute path of a registered file, refusing anything outside prompts/."""
        what = f"prompt '{name}' version {version}" if name else "a prompt"
        candidate = Path(relative)
        if candidate.is_absolute():
            raise PromptFileError(
                f"{what} points at the absolute path {relative}; registry paths are relative "
                f"to the project root and must live under {PROMPTS_DIR}/"
            )
        resolved = (self.root / candidate).resolve()
        if not resolved.is_relative_to(self.prompts_dir):
            raise PromptFileError(
                f"{what} points at {relative}, outside {PROMPTS_DIR}/; move the file under "
                f"{PROMPTS_DIR}/ and fix its path in config/prompts.yaml"
            )
        return resolved

    # -- files ------------------------------------------------------------------------
    def _read_file(self, path: Path, name: str, version: str, relative: str) -> PromptTemplate:
        try:
            stat = os.stat(path)
        except FileNotFoundError:
            raise PromptFileError(
                f"{relative} is missing (registered for prompt '{name}' version {version} in "
                f"config/prompts.yaml); restore the file, or remove that version from the "
                "registry"
            ) from None
        signature = _signature(stat)
        cached = self._files.get(path)
        if cached is not None and cached[0] == signature:
            return cached[1]
        template = parse_prompt_file(path.read_text(encoding="utf-8"), name, version, relative)
        self._files[path] = (signature, template)
        return template

    def load_sync(self, name: str, version: str | None = None) -> PromptTemplate:
        """`load` for synchronous callers (the CLI, tests)."""
        resolved, path, relative = self._locate(name, version)
        return self._read_file(path, name, resolved, relative)

    async def load(self, name: str, version: str | None = None) -> PromptTemplate:
        """Resolve `version` (None: latest) and return the parsed prompt, cached."""
        # Small local files: reading inline costs less than a hop to a thread.
        return self.load_sync(name, version)


def parse_prompt_file(text: str, name: str, version: str, relative: str) -> PromptTemplate:
    """Parse one prompt file, raising PromptFileError that names the file and the entry."""
    where = f"{relative} (prompt '{name}' version {version})"
    try:
        metadata, body, _ = split_frontmatter(text)
    except ValueError as error:
        raise PromptFileError(f"{where}: {error}") from error
    problems = frontmatter_problems(metadata)
    declared = metadata.get("version")
    if declared is not None and str(declared) != version:
        problems.append(
            f"frontmatter says version {declared} but config/prompts.yaml registers this "
            f"file as {version}"
        )
    if problems:
        raise PromptFileError(f"{where}: " + "; ".join(problems) + "; fix the frontmatter")
    try:
        return PromptTemplate(
            content=body, metadata=metadata, version=version, name=name, path=relative
        )
    except PromptFormatError as error:
        # The template parser counts lines in the body; the user reads them in the file.
        offset = text[: len(text) - len(body)].count("\n")
        problem = _LINE.sub(lambda m: f"line {int(m.group(1)) + offset}", str(error), count=1)
        raise PromptFileError(f"{where}: {problem}") from error


__all__ = [
    "REQUIREMENT_FORMS",
    "MissingPromptVariablesError",
    "PromptConfigError",
    "PromptEntry",
    "PromptError",
    "PromptFileError",
    "PromptLoader",
    "PromptNotFoundError",
    "PromptTemplate",
    "PromptVersionNotFoundError",
]
