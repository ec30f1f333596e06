# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""config/tools.yaml: which MCP tool servers the project uses and how to reach them.

Three ways to name a server:
- `module`: a server generated into this project, started as `python -m <module>`;
- `command` + `args`: any other stdio MCP server (an npm package, a binary, a script);
- `url`: a streamable-HTTP (or SSE) server, started by the service when it also has a
  `module` or `command` and `autostart: true`, or managed elsewhere otherwise.

Children get only the environment written here (`env`, with `${VAR}` and
`${VAR:-default}` taken from the service's environment), never the whole parent
environment, so a key reaches exactly the servers that are given it.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..common.settings import project_root
from ..common.yaml_errors import describe_yaml_error
from . import TOOLS_CONFIG
from .errors import ToolsConfigError

SERVER_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
# What a child needs to run at all; everything else must be listed under `env`.
_BASE_ENV = ("PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM", "LANG", "LC_ALL", "TMPDIR")


class HealthCheck(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    interval: float = Field(default=30.0, gt=0, description="Seconds between checks")
    endpoint: str = Field(default="/health", description="HTTP route probed on http servers")
    timeout: float = Field(default=5.0, gt=0)


class ServerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str
    transport: Literal["stdio", "http", "sse"] = "stdio"
    module: str | None = None
    command: str | None = None
    args: list[str] = Field(default_factory=list)
    url: str | None = None
    autostart: bool = True
    env: dict[str, str] = Field(default_factory=dict)
    cwd: str | None = None
    timeout: float = Field(default=30.0, gt=0, description="Seconds a tool call may take")
    startup_timeout: float = Field(default=30.0, gt=0, description="Seconds to start/connect")
    health_check: HealthCheck = Field(default_factory=HealthCheck)

    @model_validator(mode="after")
    def _check_shape(self) -> ServerConfig:
        if not SERVER_NAME.match(self.name):
            raise ValueError(
                f"server name '{self.name}' must be lowercase letters, digits and '_', "
                "starting with a letter (e.g. research)"
            )
        if self.module and self.command:
            raise ValueError(f"server '{self.name}': give either `module` or `command`, not both")
        if self.transport == "stdio":
            if not (self.module or self.command):
                raise ValueError(
                    f"server '{self.name}' uses stdio, so it needs `module` (a server in this "
                    "project) or `command` + `args` (any other MCP server)"
                )
        elif not self.url:
            raise ValueError(
                f"server '{self.name}' uses {self.transport}, so it needs `url` "
                "(e.g. http://127.0.0.1:8701/mcp)"
            )
        return self

    @property
    def launchable(self) -> bool:
        """True when this project can start the server process itself."""
        return bool(self.module or self.command)

    @property
    def managed(self) -> bool:
        """True when the service starts and supervises this server."""
        return self.autostart and self.launchable

    def launch_command(self) -> list[str]:
        """The command line that runs the server (for http, listening on `url`)."""
        if self.command:
            return [self.command, *self.args]
        if not self.module:
            raise ToolsConfigError(
                f"Server '{self.name}' has no `module` or `command` to run.",
                fix="Give it `module` (a server in this project) or `command` in "
                "config/tools.yaml, or start it yourself and give only its `url`.",
            )
        command = [sys.executable, "-m", self.module, *self.args]
        if self.transport != "stdio" and self.url:
            host, port = _host_port(self.url)
            command += ["--transport", self.transport, "--host", host, "--port", str(port)]
        return command

    def health_url(self) -> str | None:
        if self.transport == "stdio" or not self.url:
            return None
        scheme, _, rest = self.url.partition("://")
        authority = rest.split("/", 1)[0]
        return f"{scheme}://{authority}{self.health_check.endpoint}"

    def child_env(self, environ: dict[str, str] | None = None) -> dict[str, str]:
        """The whole environment of the server's process: a minimal base plus `env`."""
        source = dict(os.environ if environ is None else environ)
        env = {key: source[key] for key in _BASE_ENV if key in source}
        # A server module must import this package even when it is not installed.
        source_root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [source_root, source.get("PYTHONPATH")]))
        env["FASTMCP_SHOW_SERVER_BANNER"] = "false"
        env["FASTMCP_LOG_LEVEL"] = source.get("FASTMCP_LOG_LEVEL", "WARNING")
        for key, value in self.env.items():
            env[key] = substitute(value, source, where=f"server '{self.name}', env {key}")
        return env

    def working_dir(self) -> str:
        return str(Path(self.cwd) if self.cwd else project_root())


class ToolsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    servers: list[ServerConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_names(self) -> ToolsConfig:
        seen: set[str] = set()
        for server in self.servers:
            if server.name in seen:
                raise ValueError(f"server name '{server.name}' is used twice")
            seen.add(server.name)
        return self

    def server(self, name: str) -> ServerConfig:
        for server in self.servers:
            if server.name == name:
                return server
        known = ", ".join(s.name for s in self.servers) or "none"
        raise ToolsConfigError(
            f"No tool server named '{name}' in config/tools.yaml (configured: {known}).",
            fix=f"Add it there, or generate one with `restack g tool-server {name}`.",
        )


def substitute(value: str, environ: dict[str, str], *, where: str) -> str:
    """Replace `${VAR}` / `${VAR:-default}`; a missing variable without default is an error."""

    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in environ:
            return environ[name]
        if default is not None:
            return default
        raise ToolsConfigError(
            f"{where} needs the environment variable {name}, which is not set.",
            fix=f"Set it (e.g. in .env), or write `${{{name}:-default}}` in config/tools.yaml.",
        )

    return _VARIABLE.sub(replace, value)


def parse_tools_config(data: Any, source: str = "config/tools.yaml") -> ToolsConfig:
    if data is None:
        return ToolsConfig()
    if not isinstance(data, dict) or not isinstance(data.get("fastmcp", {}), dict):
        raise ToolsConfigError(f"{source} must be a mapping with a `fastmcp:` section.")
    section = data.get("fastmcp") or {}
    try:
        return ToolsConfig.model_validate({"servers": section.get("servers") or []})
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'servers'}: {e['msg']}" for e in error.errors()
        )
        raise ToolsConfigError(f"{source} is invalid: {problems}") from None


def load_tools_config(path: Path | None = None) -> ToolsConfig:
    """Read config/tools.yaml; raise ToolsConfigError naming the problem and the fix."""
    path = path or project_root() / TOOLS_CONFIG
    if not path.is_file():
        raise ToolsConfigError(
            f"{path} does not exist.",
            fix="Create it (see docs/tools.md), or generate a server with "
            "`restack g tool-server NAME`, which writes it.",
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ToolsConfigError(
            f"{path} is not valid YAML ({describe_yaml_error(error)}).",
            fix=f"Correct the syntax at the line named, or restore {TOOLS_CONFIG} from git.",
        ) from None
    return parse_tools_config(data, str(path))


def _host_port(url: str) -> tuple[str, int]:
    authority = url.partition("://")[2].split("/", 1)[0]
    host, _, port = authority.rpartition(":")
    if not host or not port.isdigit():
        raise ToolsConfigError(
            f"url '{url}' names no host and port to start the server on.",
            fix="Write the url with both, e.g. http://127.0.0.1:8701/mcp.",
        )
    return host, int(port)
