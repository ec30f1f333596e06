# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""`restack g ...`: add components to the project with Copier, following Rails' conventions.

Copier renders the component into a temporary folder first; every file is then compared
with the project and reported as `create`, `identical`, `conflict`, `force` or `skip`
(see `changes.py`), and nothing is written while a conflict stands. No Copier question
or overwrite prompt is ever shown. Each component keeps its own answers file under
`.copier/`, so `copier update -a .copier/<kind>-<name>.yml` (or `restack upgrade`)
updates it alone.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from ..common.naming import check_component_name, snake
from .changes import FileChange, Force, Pretend, Skip, WriteOptions, carry_out, change, summary
from .changes import write_options as write_options
from .components import Component, find_component
from .console import console, fail
from .template import (
    COMPONENT_ANSWERS_DIR,
    PROJECT_ANSWERS,
    TemplateError,
    TemplateSource,
    project_files,
    template_source,
)
from .template_cache import local_source

app = typer.Typer(help="Generate components (agents, workflows, functions) into this project.")


@dataclass
class GeneratorRequest:
    kind: str
    name: str
    command: str
    data: dict[str, Any] = field(default_factory=dict)

    def module_name(self) -> str:
        return check_component_name(self.name, self.kind)


def render_changes(request: GeneratorRequest, source: TemplateSource) -> list[FileChange]:
    """Every file the component would write, rendered by Copier into a temporary folder."""
    import copier  # imported late: only the generator commands need Copier

    answers_file = f"{COMPONENT_ANSWERS_DIR}/{request.kind}-{request.module_name()}.yml"
    with tempfile.TemporaryDirectory(prefix="restack-g-") as folder:
        staging = Path(folder)
        # The template reads the project's answers (`_external_data`) from the destination.
        shutil.copyfile(source.root / PROJECT_ANSWERS, staging / PROJECT_ANSWERS)
        template = local_source(source.src_path, source.vcs_ref)
        copier.run_copy(
            template,
            str(staging),
            data={
                "kind": request.kind,
                "name": request.name,
                "package_name": source.package_name,
                "generator_command": request.command,
                **request.data,
            },
            answers_file=answers_file,
            vcs_ref=source.vcs_ref,
            defaults=True,
            unsafe=True,  # the template's Jinja extensions need trust, as on `copier copy --trust`
            quiet=True,
        )
        if template != source.src_path:  # rendered from the cache: record the real source
            record_source(staging / answers_file, source.src_path)
        rendered = sorted(project_files(staging) - {Path(PROJECT_ANSWERS)})
        return [
            change(source.root, path.as_posix(), (staging / path).read_bytes()) for path in rendered
        ]


def record_source(answers_file: Path, src_path: str) -> None:
    lines = answers_file.read_text(encoding="utf-8").splitlines(keepends=True)
    recorded = yaml.safe_dump({"_src_path": src_path}, default_flow_style=False)
    answers_file.write_text(
        "".join(recorded if line.startswith("_src_path:") else line for line in lines),
        encoding="utf-8",
    )


def plan_component(
    kind: str, name: str, command: str, data: dict[str, Any] | None = None
) -> tuple[Path, list[FileChange]]:
    """The project root and the files a component generator would write; exits on refusal."""
    request = GeneratorRequest(kind=kind, name=name, command=command, data=data or {})
    # A bad name or a broken answers file is refused here, before anything is rendered;
    # the `restack` command reports both with their fix.
    request.module_name()
    source = template_source()
    try:
        with console.status(f"Rendering {kind} {name}..."):
            return source.root, render_changes(request, source)
    except TemplateError:
        raise  # says itself what to do; the restack command reports it
    except ValueError as error:  # Copier's validators raise plain ValueError
        fail(f"The template refused the answers: {error}", code=2)
    except Exception as error:  # Copier could not fetch or render the template
        fail(
            f"Copier could not render the {kind} from {source.src_path} "
            f"({source.vcs_ref or 'latest'}): {type(error).__name__}: {error}",
            fix="Check that the template source recorded in .copier-answers.yml (_src_path, "
            "_commit) is reachable, or set RESTACK_TEMPLATE_SRC / RESTACK_TEMPLATE_REF.",
        )


def generate(
    kind: str,
    name: str,
    command: str,
    data: dict[str, Any] | None = None,
    *,
    options: WriteOptions | None = None,
    extra: list[FileChange] | None = None,
    before_writing: Callable[[bool], None] | None = None,
) -> bool:
    """Run a component generator for the CLI; True when files were (or would be) written.

    `extra` are changes beside the component's files (a registry entry); `before_writing`
    runs once no conflict stands, told whether it may write (not under --pretend).
    """
    options = options or WriteOptions()
    root, changes = plan_component(kind, name, command, data)
    changes += extra or []
    if before_writing is not None and all(
        item.action(options.on_conflict) != "conflict" for item in changes
    ):
        before_writing(not options.pretend)
    decided = carry_out(root, changes, options)
    unchanged = summary(decided, options)
    if unchanged:
        console.print(unchanged)
        return False
    if not options.pretend:
        console.print(
            f"[bold]{kind.capitalize()} {name} generated.[/] "
            "The service discovers it on its next start."
        )
    return True


@app.command("agent")
def agent(
    name: str = typer.Argument(..., help="Agent name, e.g. ResearchAgent"),
    with_llm: bool = typer.Option(
        False, "--with-llm", help="Think with the LLM router (llm_chat) in a durable loop"
    ),
    tools: Annotated[
        list[str] | None,
        typer.Option(
            "--tools", help="Tool server from config/tools.yaml; repeat or comma-separate"
        ),
    ] = None,
    prompt: str | None = typer.Option(
        None, "--prompt", help="Prompt from config/prompts.yaml holding the instructions"
    ),
    max_steps: int = typer.Option(8, "--max-steps", min=1, max=50, help="LLM turns per request"),
    force: Force = False,
    skip: Skip = False,
    pretend: Pretend = False,
) -> None:
    """Generate an agent: event-driven, or an LLM agent with tools and a prompt."""
    options = write_options(force, skip, pretend)
    check_component_name(name, "agent")  # refuse a bad name before any other check
    servers = [snake(part) for value in tools or [] for part in value.split(",") if part.strip()]
    prompt_key = snake(prompt) if prompt else ""
    if (servers or prompt_key) and not with_llm:
        with_llm = True
        console.print("[dim]--tools and --prompt imply --with-llm[/]")
    command = " ".join(
        ["restack g agent", name]
        + (["--with-llm"] if with_llm else [])
        + [f"--tools {server}" for server in servers]
        + ([f"--prompt {prompt_key}"] if prompt_key else [])
        + ([f"--max-steps {max_steps}"] if with_llm and max_steps != 8 else [])
    )
    if with_llm:
        _require_component("with_llm", "--with-llm")
    references: list[tuple[Component | None, list[str]]] = []
    if servers:
        references.append((_require_component("with_tools", "--tools"), servers))
    if prompt_key:
        references.append((_require_component("with_prompts", "--prompt"), [prompt_key]))

    def check_references(may_write: bool) -> None:
        for component, names in references:
            if component is not None and component.check_references is not None:
                component.check_references(names, may_write)

    data: dict[str, Any] = {"llm": with_llm}
    if with_llm:
        data.update(tools=servers, prompt=prompt_key, max_steps=max_steps)
    if prompt_key:
        prompts = find_component("with_prompts")
        if prompts is not None and prompts.agent_fields is not None:
            data["prompt_inputs"] = prompts.agent_fields(prompt_key)
    generate("agent", name, command, data, options=options, before_writing=check_references)


_TITLES = {"with_llm": "the LLM router", "with_tools": "tool servers", "with_prompts": "prompts"}


def _require_component(answer: str, flag: str) -> Component | None:
    """Refuse a flag whose component this project was generated without."""
    component = find_component(answer)
    if component is not None:
        return component
    fail(
        f"{flag} needs {_TITLES.get(answer, answer)}, and this project was generated "
        f"without it ({answer}=false).",
        fix="Add it, then run this command again: `git commit -am wip && copier update "
        f"--trust --defaults -a .copier-answers.yml --vcs-ref=:current: --data {answer}=true`",
        code=2,
    )


@app.command("workflow")
def workflow(
    name: str = typer.Argument(..., help="Workflow name, e.g. DailyReport"),
    force: Force = False,
    skip: Skip = False,
    pretend: Pretend = False,
) -> None:
    """Generate a workflow that calls functions as durable steps, and its test."""
    options = write_options(force, skip, pretend)
    generate("workflow", name, f"restack g workflow {name}", options=options)


@app.command("function")
def function(
    name: str = typer.Argument(..., help="Function name, e.g. normalize_text"),
    force: Force = False,
    skip: Skip = False,
    pretend: Pretend = False,
) -> None:
    """Generate a function (where I/O belongs), and its test."""
    options = write_options(force, skip, pretend)
    generate("function", name, f"restack g function {name}", options=options)
