"""Compile each template string once per render: Copier renders every path of the
template (and the answers file's name) through ``Environment.from_string``, which
compiles the source anew each time; a project render compiles the same few hundred
short strings thousands of times, about half of what a `copier update` costs.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, Template
from jinja2.ext import Extension


class CompileOnce(Extension):
    """Makes `environment.from_string` reuse the template compiled from the same source.

    A compiled template is immutable and renders with whatever context it is given, so
    reusing it is safe whenever no globals or template class are passed (Copier passes
    neither). The cache lives on the environment, which Copier makes per render.

    Compiling also runs every extension's `preprocess` hook, and Copier's yield
    extension uses that hook to reset the state it reads after each path part; a reused
    template runs the hooks too, so the cache changes nothing but the compiling.
    """

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        compile_string = environment.from_string
        compiled: dict[str, Template] = {}

        def from_string(source: Any, globals: Any = None, template_class: Any = None) -> Template:
            if globals is not None or template_class is not None or not isinstance(source, str):
                return compile_string(source, globals, template_class)
            template = compiled.get(source)
            if template is None:
                template = compiled[source] = compile_string(source)
            else:
                environment.preprocess(source)
            return template

        environment.from_string = from_string  # type: ignore[method-assign]
