# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""`restack prompts list|show`, `restack g prompt` and the prompt checks of `restack doctor`."""

from __future__ import annotations

import importlib
import keyword
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path

import typer
from rich.table import Table

from ..cli.changes import Force, Pretend, Skip, carry_out, change, summary, write_options
from ..cli.checks import Check
from ..cli.components import Component
from ..cli.console import console, fail, report
from ..common.naming import check_component_name
from ..common.settings import project_root
from .errors import PromptConfigError, PromptError
from .loader import (
    DEFAULT_CONFIG,
    PromptLoader,
    entry_problems,
    parse_entry,
    parse_prompt_file,
    split_frontmatter,
)
from .scaffold import create_prompt_version, plan_prompt_version
from .versions import is_valid_version, sort_versions

prompts_app = typer.Typer(help="See what the prompt registry resolves.", no_args_is_help=True)
_EDIT_FIX = f"Edit {DEFAULT_CONFIG} (see docs/prompts.md for the schema)."


def _loader() -> PromptLoader:
    return PromptLoader(root=project_root())


@prompts_app.command("list")
def list_prompts() -> None:
    """Every registered prompt with its versions, `latest` and resolution mode."""
    loader = _loader()
    names = loader.names()
    if not names:
        console.print("No prompts registered. Add one: restack g prompt NAME --version 1.0.0")
        return
    table = Table(show_header=True, header_style="bold", box=None)
    for column in ("Prompt", "Versions", "Latest", "Resolution", "Description"):
        table.add_column(column)
    for name in names:
        try:
            entry = loader.entry(name)
        except PromptError as error:
            table.add_row(name, "[red]invalid[/]", "", "", str(error))
            continue
        table.add_row(
            name,
            ", ".join(entry.ordered_versions()),
            entry.latest or f"({entry.default_version()})",
            entry.resolution,
            entry.description,
        )
    console.print(table)


@prompts_app.command("show")
def show_prompt(
    name: str = typer.Argument(..., help="Prompt name in config/prompts.yaml"),
    version: str | None = typer.Option(
        None, "--version", "-v", help="Version or range, e.g. 1, 1.2, ^1.2 (default: latest)"
    ),
) -> None:
    """Print the version a request resolves to, its settings, placeholders and text."""
    prompt = _loader().load_sync(name, version)
    asked = version or "latest"
    console.print(f"[bold]{name}[/] {asked} -> [green]{prompt.version}[/]  ({prompt.path})")
    for key, value in prompt.request_defaults().items():
        console.print(f"  {key}: {value}", highlight=False)
    console.print(f"  placeholders: {', '.join(prompt.placeholders) or 'none'}", highlight=False)
    console.print("")
    console.print(prompt.content, markup=False, highlight=False)


def generate_prompt(
    name: str = typer.Argument(..., help="Prompt name, e.g. analyze-research"),
    version: str = typer.Option(..., "--version", help="Semantic version, e.g. 1.0.0"),
    model: str | None = typer.Option(None, "--model", help="Default model in the frontmatter"),
    description: str | None = typer.Option(None, "--description", help="What the prompt does"),
    force: Force = False,
    skip: Skip = False,
    pretend: Pretend = False,
) -> None:
    """Create prompts/<name>/v<version>.md and register it in config/prompts.yaml."""
    options = write_options(force, skip, pretend)
    root = project_root()
    check_component_name(name, "prompt")
    plan = plan_prompt_version(root, name, version, model=model, description=description)
    prompt_file = change(root, plan.path, plan.text)
    differs = prompt_file.current not in (None, prompt_file.content)
    if plan.published and differs:
        prompt_file = replace(
            prompt_file,
            note=f"prompt '{plan.key}' already has version {plan.version}; published versions "
            f"never change: pick a version above {plan.highest}",
        )
    elif differs:
        prompt_file = replace(prompt_file, note=f"not registered in {DEFAULT_CONFIG}")
    elif plan.based_on:
        prompt_file = replace(prompt_file, note=f"copied from {plan.based_on}")
    registry = change(root, DEFAULT_CONFIG.as_posix(), plan.registry, edit=True)
    decided = carry_out(root, [prompt_file, registry], options)
    unchanged = summary(decided, options)
    if unchanged:
        console.print(unchanged)
    elif options.pretend:
        return
    elif plan.published:
        console.print(f"Prompt {plan.key} {plan.version} rewritten.")
    elif plan.latest_moved:
        console.print(f"Prompt {plan.key} {plan.version} registered; latest is now it.")
    else:
        console.print(
            f"Prompt {plan.key} {plan.version} registered; latest stays "
            f"{plan.latest or '(the highest release)'}."
        )


def preflight() -> None:
    """Agents render prompts from config/prompts.yaml: refuse to start with a broken one."""
    loader = _loader()
    if not loader.config_path.exists():  # no registry: agents that use no prompt still run
        return
    try:
        loader.names()
    except PromptError as error:
        fail(str(error), fix=_EDIT_FIX, code=2)


def register(app: typer.Typer, generators: typer.Typer) -> None:
    app.add_typer(prompts_app, name="prompts", help="See what the prompt registry resolves.")
    generators.command("prompt")(generate_prompt)


# ------------------------------------------------------------------------------ doctor
_SECTION = "Prompts"


def prompt_checks() -> Iterable[Check]:
    return list(check_registry(project_root()))


def check_registry(root: Path) -> Iterator[Check]:
    """Files exist, versions and frontmatter are valid, placeholders match declared inputs."""
    loader = PromptLoader(root=root)
    try:
        names = loader.names()
    except PromptConfigError as error:
        yield Check(_SECTION, "registry", "fail", str(error), _EDIT_FIX)
        return
    yield Check(_SECTION, "registry", "ok", f"{len(names)} prompt(s) in {DEFAULT_CONFIG}")
    registered: set[Path] = set()
    raw = loader.raw_entries()
    for name in names:
        problems = entry_problems(name, raw[name])
        if problems:
            yield Check(_SECTION, name, "fail", "; ".join(problems), _EDIT_FIX)
        failures = len(problems)
        for version, relative in _usable_versions(raw[name]):
            label = f"{name} {version}"
            try:
                path = loader.safe_path(relative, name, version)
            except PromptError as error:
                failures += 1
                yield Check(_SECTION, label, "fail", str(error), _EDIT_FIX)
                continue
            registered.add(path)
            checks = list(_check_file(path, name, version, relative))
            failures += sum(check.status == "fail" for check in checks)
            yield from checks
        if not failures:
            entry = parse_entry(name, raw[name])
            latest = entry.latest or f"{entry.default_version()} (highest release)"
            count = len(entry.versions)
            yield Check(_SECTION, name, "ok", f"{count} version(s), latest {latest}")
    yield from _unregistered(loader, registered)


def _usable_versions(raw: object) -> list[tuple[str, str]]:
    """Valid version keys with text paths, in version order, even in a broken entry."""
    versions = raw.get("versions") if isinstance(raw, dict) else None
    if not isinstance(versions, dict):
        return []
    usable = {
        v: p
        for v, p in versions.items()
        if isinstance(v, str) and is_valid_version(v) and isinstance(p, str) and p.strip()
    }
    return [(v, usable[v]) for v in sort_versions(usable)]


def _check_file(path: Path, name: str, version: str, relative: str) -> Iterator[Check]:
    label = f"{name} {version}"
    if not path.is_file():
        yield Check(
            _SECTION,
            label,
            "fail",
            f"{relative} is missing",
            f"Restore {relative}, or remove version {version} of '{name}' from {DEFAULT_CONFIG}.",
        )
        return
    text = path.read_text(encoding="utf-8")
    try:
        prompt = parse_prompt_file(text, name, version, relative)
    except PromptError as error:
        yield Check(
            _SECTION,
            label,
            "fail",
            str(error),
            f"Fix {relative}: frontmatter between '---' lines, placeholders as plain "
            "{name}, '{{' and '}}' for literal braces.",
        )
        return
    _, _, has_frontmatter = split_frontmatter(text)
    if not has_frontmatter:
        yield Check(
            _SECTION,
            label,
            "warn",
            f"{relative} has no frontmatter",
            f"Start {relative} with '---', version: {version}, inputs: [...], '---'.",
        )
        return
    if "inputs" not in prompt.metadata:
        if prompt.placeholders:
            yield Check(
                _SECTION,
                label,
                "warn",
                f"placeholders {', '.join(prompt.placeholders)} are not declared",
                f"Add inputs: [{', '.join(prompt.placeholders)}] to the frontmatter of {relative}.",
            )
        return
    undeclared = [p for p in prompt.placeholders if p not in prompt.inputs]
    unused = [i for i in prompt.inputs if i not in prompt.placeholders]
    details: list[str] = []
    fixes: list[str] = []
    if undeclared:
        details.append(f"placeholder(s) not declared in inputs: {', '.join(undeclared)}")
        fixes.append("declare them under inputs: or remove them from the text")
    if unused:
        details.append(f"declared input(s) never used in the text: {', '.join(unused)}")
        fixes.append("use them as {name} in the text or drop them from inputs:")
    if details:
        yield Check(
            _SECTION, label, "warn", "; ".join(details), f"In {relative}: {'; '.join(fixes)}."
        )


def _unregistered(loader: PromptLoader, registered: set[Path]) -> Iterator[Check]:
    folder = loader.prompts_dir
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*.md")):
        if path.resolve() in registered:
            continue
        relative = path.relative_to(loader.root.resolve()).as_posix()
        version = path.stem.removeprefix("v")
        if path.parent != folder and path.stem.startswith("v") and is_valid_version(version):
            fix = (
                f'Register it under {path.parent.name}: versions: "{version}": "{relative}" '
                f"in {DEFAULT_CONFIG}, or delete it."
            )
        else:
            fix = "Move it to prompts/<name>/v<MAJOR.MINOR.PATCH>.md and register it, or delete it."
        yield Check(
            _SECTION, relative, "warn", f"{relative} is not registered in {DEFAULT_CONFIG}", fix
        )


def check_prompt_references(names: list[str], may_write: bool = False) -> None:
    """Refuse prompts the registry does not define (for `g agent --prompt`); in a terminal,
    and unless `may_write` is false (--pretend), offer to create version 1.0.0 of one."""
    try:
        known = PromptLoader().names()
    except PromptError as error:
        report(error, code=2)  # a reference the user passed, so bad input
    for key in names:
        if key in known:
            continue
        fix = f"Create it with `restack g prompt {key} --version 1.0.0`, or use one of: " + (
            ", ".join(known) or "none"
        )
        if (
            not may_write
            or not sys.stdin.isatty()
            or not typer.confirm(
                f"Prompt '{key}' is not in config/prompts.yaml. Create {key} 1.0.0 now?",
                default=True,
            )
        ):
            fail(f"No prompt named '{key}' in config/prompts.yaml.", fix=fix, code=2)
        created = create_prompt_version(project_root(), key, "1.0.0")
        console.print(f"  [green]create[/]  {created.path}")


def prompt_agent_fields(name: str) -> dict[str, str]:
    """The input fields an agent instructed by prompt `name` needs: each placeholder of
    its latest version that the agent's input does not have yet, with the description
    the frontmatter's `inputs` gives it."""
    # An agent with a prompt is an LLM agent, so the LLM component is there; imported by
    # name because a project without it type-checks this module too.
    agent_loop = importlib.import_module("..llm.agent_loop", __package__)
    own_fields = set(agent_loop.LLMAgentInput.model_fields)
    try:
        template = PromptLoader().load_sync(name)
    except PromptError:
        return {}  # not registered yet: check_prompt_references refuses or creates it
    declared = template.metadata.get("inputs")
    descriptions = declared if isinstance(declared, Mapping) else {}
    return {
        field: str(descriptions.get(field) or f"Fills {{{field}}} in the {name} prompt")
        for field in dict.fromkeys([*template.inputs, *template.placeholders])
        if field.isidentifier() and not keyword.iskeyword(field) and field not in own_fields
    }


COMPONENT = Component(
    name="prompts",
    title="prompts",
    answer="with_prompts",
    check_flag="--check-prompts",
    check_help="Also check config/prompts.yaml and the prompt files",
    checks=prompt_checks,
    register=register,
    check_references=check_prompt_references,
    agent_fields=prompt_agent_fields,
    preflight=preflight,
)
