"""extensions/compiled.py: Copier's Jinja environment compiles each string once, and
renders exactly as it would without the cache."""

from __future__ import annotations

import importlib.util
from types import ModuleType

import pytest
from copier._jinja_ext import YieldExtension, get_yield_context
from jinja2 import Environment, Template, TemplateSyntaxError

from .conftest import REPO_ROOT

YIELDING = "{% yield name from names %}{{ name }}{% endyield %}"


def _compiled_module() -> ModuleType:
    """extensions/compiled.py, loaded by file path as copier-template-extensions loads it."""
    path = REPO_ROOT / "extensions" / "compiled.py"
    spec = importlib.util.spec_from_file_location("restack_template_compiled", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def environment(cached: bool) -> Environment:
    """An environment like Copier's: its yield extension, and ours when `cached`."""
    extensions: list[object] = [YieldExtension]
    if cached:
        extensions.append(_compiled_module().CompileOnce)
    return Environment(extensions=extensions)  # type: ignore[arg-type]


def test_a_source_is_compiled_once_and_renders_every_context() -> None:
    env = environment(cached=True)

    first = env.from_string("{{ name | upper }}/{{ kind }}")
    again = env.from_string("{{ name | upper }}/{{ kind }}")

    assert first is again
    assert first.render(name="a", kind="agent") == "A/agent"
    assert again.render(name="b", kind="tool") == "B/tool"
    assert env.from_string("{{ name }}") is not first


def test_globals_or_a_template_class_compile_anew() -> None:
    env = environment(cached=True)
    source = "{{ greeting }}"

    plain = env.from_string(source)
    with_globals = env.from_string(source, globals={"greeting": "hi"})

    class Custom(Template):
        pass

    assert with_globals is not plain and with_globals.render() == "hi"
    assert plain.render() == ""
    assert isinstance(env.from_string(source, template_class=Custom), Custom)


def test_a_syntax_error_is_raised_every_time_and_not_cached() -> None:
    env = environment(cached=True)

    for _ in range(2):
        with pytest.raises(TemplateSyntaxError):
            env.from_string("{% if %}")


@pytest.mark.parametrize("cached", [False, True], ids=["copier", "compiled-once"])
def test_yield_paths_render_as_without_the_cache(cached: bool) -> None:
    """Copier resets its yield context when it compiles a string and reads it after
    rendering a path part: a cached string must reset it too, or a plain part rendered
    after a yielding one would be taken for one (and the same yielding part, rendered
    again, would refuse to set it twice)."""
    env = environment(cached)
    seen: list[tuple[str, str | None]] = []

    for source in (YIELDING, "plain", YIELDING, "plain"):
        rendered = env.from_string(source).render(names=["a", "b"])
        seen.append((rendered, get_yield_context(env).yield_name))

    assert seen == [("", "name"), ("plain", None), ("", "name"), ("plain", None)]


def test_copier_loads_it() -> None:
    """The extension is listed in copier.yml, where Copier loads it."""
    config = (REPO_ROOT / "copier.yml").read_text(encoding="utf-8")
    assert "  - extensions/compiled.py:CompileOnce\n" in config
