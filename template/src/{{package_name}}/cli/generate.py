"""`restack g ...`: add components to the project with Copier, new files only.

Each component keeps its own answers file under `.copier/`, so
`copier update -a .copier/<kind>-<name>.yml` (or `restack upgrade`) updates it alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer

from ..common.naming import InvalidNameError, check_component_name, snake
from .components import Component, find_component
from .console import console, fail, report
from .template import COMPONENT_ANSWERS_DIR, TemplateError, project_files, template_source

app = typer.Typer(help="Generate components (agents, workflows, functions) into this project.")


@dataclass
class GeneratorRequest:
    kind: str
    name: str
    command: str
    data: dict[str, Any] = field(default_factory=dict)
    overwrite: bool = False

    def module_name(self) -> str:
        return check_component_name(self.name, self.kind)


# Where each kind's main file lands; checked before Copier runs so nothing is half-written.
_MAIN_FILE = {
    "agent": "src/{package}/agents/{module}.py",
    "workflow": "src/{package}/workflows/{module}.py",
    "function": "src/{package}/functions/{module}.py",
    "tool-server": "src/{package}/tools/{module}_mcp.py",
}


def run_generator(request: GeneratorRequest) -> list[Path]:
    """Render one component; return the files it created. Raises on refusal, writing nothing."""
    import copier  # imported late: only the generator commands need Copier

    source = template_source()
    module = request.module_name()
    answers_file = Path(COMPONENT_ANSWERS_DIR) / f"{request.kind}-{module}.yml"
    planned = [answers_file]
    if request.kind in _MAIN_FILE:
        main_file = _MAIN_FILE[request.kind].format(package=source.package_name, module=module)
        planned.append(Path(main_file))
    clashes = [path for path in planned if (source.root / path).exists()]
    if clashes and not request.overwrite:
        raise FileExistsError(
            f"The {request.kind} '{request.name}' already exists "
            f"({', '.join(str(p) for p in clashes)}). Pick another name, or delete those "
            "files first."
        )

    before = project_files(source.root)
    copier.run_copy(
        source.src_path,
        str(source.root),
        data={
            "kind": request.kind,
            "name": request.name,
            "package_name": source.package_name,
            "generator_command": request.command,
            **request.data,
        },
        answers_file=str(answers_file),
        vcs_ref=source.vcs_ref,
        defaults=True,
        overwrite=request.overwrite,
        unsafe=True,  # the template's Jinja extensions need trust, as on `copier copy --trust`
        quiet=True,
    )
    return sorted(project_files(source.root) - before)


def generate(
    kind: str,
    name: str,
    command: str,
    data: dict[str, Any] | None = None,
    *,
    overwrite: bool = False,
) -> list[Path]:
    """Run a generator for the CLI: print and return what was created, or refuse clearly."""
    request = GeneratorRequest(
        kind=kind, name=name, command=command, data=data or {}, overwrite=overwrite
    )
    try:
        with console.status(f"Generating {kind} {name}..."):
            created = run_generator(request)
    except InvalidNameError as error:
        report(error)
    except FileExistsError as error:
        fail(str(error), code=2)
    except TemplateError as error:
        report(error)
    except ValueError as error:  # Copier's validators raise plain ValueError
        fail(f"The template refused the answers: {error}", code=2)
    for path in created:
        console.print(f"  [green]create[/]  {path}")
    if overwrite:
        console.print("  [yellow]force[/]   existing files of this component were replaced")
    console.print(
        f"[bold]{kind.capitalize()} {name} generated.[/] "
        "The service discovers it on its next start."
    )
    return created


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
    force: bool = typer.Option(False, "--force", help="Replace an existing agent of that name"),
) -> None:
    """Generate an agent: event-driven, or an LLM agent with tools and a prompt."""
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
    if servers:
        _check_references(_require_component("with_tools", "--tools"), servers)
    if prompt_key:
        _check_references(_require_component("with_prompts", "--prompt"), [prompt_key])
    data: dict[str, Any] = {"llm": with_llm}
    if with_llm:
        data.update(tools=servers, prompt=prompt_key, max_steps=max_steps)
    generate("agent", name, command, data, overwrite=force)


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


def _check_references(component: Component | None, names: list[str]) -> None:
    if component is not None and component.check_references is not None:
        component.check_references(names)


@app.command("workflow")
def workflow(name: str = typer.Argument(..., help="Workflow name, e.g. DailyReport")) -> None:
    """Generate a workflow that calls functions as durable steps, and its test."""
    generate("workflow", name, f"restack g workflow {name}")


@app.command("function")
def function(name: str = typer.Argument(..., help="Function name, e.g. fetch_weather")) -> None:
    """Generate a function (where I/O belongs), and its test."""
    generate("function", name, f"restack g function {name}")
