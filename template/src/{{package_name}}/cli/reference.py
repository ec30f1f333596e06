# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""`restack docs:cli` (hidden): every command and flag of `restack`, as Markdown.

The reference is read from the command objects Typer builds, so it lists exactly what
this project's `restack` accepts (a project generated without a component has none of
its commands). The docs site builds its command reference page from it at build time
(`docs/hooks/cli_reference.py`), so the page cannot fall behind the CLI.

Typer's command classes changed between releases (recent ones carry their own copy of
click), so they are read through the attributes every release has, not by type.
"""

from __future__ import annotations

import inspect
from typing import Any

import typer

PROGRAM = "restack"


def _cell(text: str) -> str:
    """Text that fits in one Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")


def _help(command: Any) -> str:
    text = inspect.cleandoc(command.help or command.short_help or "")
    # click's "\b" marks a paragraph it must not rewrap; Markdown keeps the lines anyway.
    return "\n".join(line for line in text.splitlines() if line.strip() != "\b").strip()


def _is_option(param: Any) -> bool:
    return bool(param.param_type_name == "option")


def _is_flag(option: Any) -> bool:
    return bool(getattr(option, "is_flag", False))


def _placeholder(param: Any) -> str:
    return str(param.metavar or param.name.upper())


def _default(option: Any, ctx: Any) -> str:
    value = option.get_default(ctx, call=False)
    if isinstance(value, bool):
        if not option.secondary_opts:
            return ""  # a plain flag is off unless given
        name = option.opts[0] if value else option.secondary_opts[0]
        return f"`{name}`"
    if callable(value) or value is None or value in ((), [], ""):
        return ""
    return f"`{value}`"


def _choices(param: Any) -> list[str]:
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is not None and getattr(descriptor, "is_choice", False):
        return [str(choice) for choice in descriptor.choices or ()]
    return [str(choice) for choice in getattr(getattr(param, "type", None), "choices", None) or ()]


def _bounds(param: Any) -> tuple[Any, Any]:
    holder = param if hasattr(param, "min") else getattr(param, "type", None)
    return getattr(holder, "min", None), getattr(holder, "max", None)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in ".!?)" else text + "."


def _describe(param: Any) -> str:
    text = _sentence(getattr(param, "help", None) or "")
    if getattr(param, "multiple", False):
        text += " Repeatable."
    if choices := _choices(param):
        text += " One of " + ", ".join(f"`{choice}`" for choice in choices) + "."
    low, high = _bounds(param)
    if low is not None and high is not None:
        text += f" From {low} to {high}."
    elif low is not None:
        text += f" At least {low}."
    elif high is not None:
        text += f" At most {high}."
    if envvar := getattr(param, "envvar", None):
        names = [envvar] if isinstance(envvar, str) else list(envvar)
        text += " Read from " + ", ".join(f"`{name}`" for name in names) + " when unset."
    return text


def _option_names(option: Any) -> str:
    names = ", ".join(f"`{name}`" for name in option.opts)
    if option.secondary_opts:
        names += " / " + ", ".join(f"`{name}`" for name in option.secondary_opts)
    if not _is_flag(option):
        names += f" `{_placeholder(option)}`"
    return names


def _usage(command: Any, path: list[str]) -> str:
    pieces = [" ".join(path)]
    if any(_is_option(p) and "--help" not in p.opts for p in command.params):
        pieces.append("[OPTIONS]")
    for argument in (p for p in command.params if not _is_option(p)):
        name = _placeholder(argument) + ("..." if argument.nargs != 1 else "")
        pieces.append(name if argument.required else f"[{name}]")
    return " ".join(pieces)


def _section(command: Any, path: list[str], ctx: Any) -> list[str]:
    lines = [f"## `{' '.join(path)}`", ""]
    if help_text := _help(command):
        lines += [help_text, ""]
    lines += ["```text", _usage(command, path), "```", ""]

    arguments = [p for p in command.params if not _is_option(p)]
    if arguments:
        lines += ["| Argument | Description |", "|---|---|"]
        for argument in arguments:
            optional = "" if argument.required else " Optional."
            text = _cell(_describe(argument) + optional)
            lines.append(f"| `{_placeholder(argument)}` | {text} |")
        lines.append("")

    options = [
        p for p in command.params if _is_option(p) and not p.hidden and "--help" not in p.opts
    ]
    if options:
        lines += ["| Option | Description | Default |", "|---|---|---|"]
        for option in options:
            required = " Required." if option.required else ""
            text = _cell(_describe(option) + required)
            cells = (_option_names(option), text, _default(option, ctx))
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return lines


def _walk(command: Any, path: list[str], parent: Any) -> list[list[str]]:
    ctx = command.context_class(command, info_name=path[-1], parent=parent)
    if not hasattr(command, "list_commands"):
        return [_section(command, path, ctx)]
    sections: list[list[str]] = []
    for name in command.list_commands(ctx):
        sub = command.get_command(ctx, name)
        if sub is not None and not sub.hidden:
            sections += _walk(sub, [*path, name], ctx)
    return sections


def command_reference(app: typer.Typer, program: str = PROGRAM) -> str:
    """The Markdown reference of every visible command and option of `app`."""
    root = typer.main.get_command(app)
    lines = ["# Command reference", ""]
    if intro := _help(root):
        lines += [intro, ""]
    lines += [
        f"Every command and flag of `{program}`, generated from the command itself "
        f"(`{program} docs:cli`). `{program} COMMAND --help` prints the same in a terminal.",
        "",
    ]
    for section in _walk(root, [program], None):
        lines += section
    return "\n".join(lines).rstrip() + "\n"


def docs_cli() -> None:
    """Print the command reference (Markdown) of this project's `restack` command."""
    from . import app  # the finished app, with every component's commands registered

    typer.echo(command_reference(app), nl=False)
