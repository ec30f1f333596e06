"""Cold and cached `PromptLoader.load` on a registry of 1,000 prompts x 10 versions.

Runs the template's own loader (copied from template/src/ into a temporary package) on a
generated project tree, and prints the cost of each kind of load side by side:

    python benchmarks/prompt_load.py [--prompts 1000] [--versions 10] [--rounds 5]

- registry parse: reading and parsing config/prompts.yaml once (10,000 versions)
- cold load: first load of each prompt in a fresh loader (resolve, read, parse file)
- cached load: the same loads again (two stat calls, no read)
- cached range: `load(name, "^1")`, a semver range, served from the resolution cache
- uncached baseline: read + parse the same file on every call, no loader cache
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE_SOURCE = REPO / "template" / "src" / "{{package_name}}"

BODY = """\
You are a research analyst. Analyze the following topic and provide insights.

## Topic
{topic}

## Context
{context}

## Instructions
1. Identify key themes
2. Highlight important findings
3. Suggest areas for deeper research
"""


def build_project(root: Path, prompts: int, versions: int) -> list[str]:
    lines = ["prompts:"]
    names = []
    for index in range(prompts):
        name = f"prompt_{index:04d}"
        names.append(name)
        folder = root / "prompts" / name
        folder.mkdir(parents=True)
        lines += [f"  {name}:", f'    description: "Prompt {index}"', "    versions:"]
        numbers = [f"1.{minor}.0" for minor in range(versions)]
        for number in numbers:
            (folder / f"v{number}.md").write_text(
                f"---\nversion: {number}\nmodel: gpt-4o\ntemperature: 0.7\n"
                f"max_tokens: 4096\ninputs: [topic, context]\n---\n{BODY}",
                encoding="utf-8",
            )
            lines.append(f'      "{number}": "prompts/{name}/v{number}.md"')
        lines += [f'    latest: "{numbers[-1]}"', '    resolution: "semver"']
    (root / "config").mkdir()
    (root / "config" / "prompts.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return names


def import_loader(workdir: Path) -> object:
    package = workdir / "bench_pkg"
    shutil.copytree(PACKAGE_SOURCE / "common", package / "common")
    (package / "__init__.py").write_text("", encoding="utf-8")
    sys.path.insert(0, str(workdir))
    return importlib.import_module("bench_pkg.common.prompt_loader")


def per_call(action: Callable[[], int], rounds: int) -> float:
    """Median seconds per call over `rounds` runs of `action` (which returns its call count)."""
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        calls = action()
        samples.append((time.perf_counter() - start) / calls)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=1000)
    parser.add_argument("--versions", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="prompt-bench-") as tmp:
        workdir = Path(tmp)
        root = workdir / "project"
        root.mkdir()
        names = build_project(root, args.prompts, args.versions)
        module = import_loader(workdir)
        loader_class = module.PromptLoader  # type: ignore[attr-defined]
        parse_prompt_file = module.parse_prompt_file  # type: ignore[attr-defined]

        def registry_parse() -> int:
            loader_class(root=root).names()
            return 1

        def cold() -> int:
            loader = loader_class(root=root)
            for name in names:
                loader.load_sync(name)
            return len(names)

        warm = loader_class(root=root)
        for name in names:
            warm.load_sync(name)
            warm.load_sync(name, "^1")

        def cached() -> int:
            for name in names:
                warm.load_sync(name)
            return len(names)

        def cached_range() -> int:
            for name in names:
                warm.load_sync(name, "^1")
            return len(names)

        def cached_async() -> int:
            async def run() -> None:
                for name in names:
                    await warm.load(name)

            asyncio.run(run())
            return len(names)

        last = f"1.{args.versions - 1}.0"

        def uncached_baseline() -> int:
            for name in names:
                relative = f"prompts/{name}/v{last}.md"
                text = (root / relative).read_text(encoding="utf-8")
                parse_prompt_file(text, name, last, relative)
            return len(names)

        registry = per_call(registry_parse, args.rounds)
        cold_load = per_call(cold, args.rounds)
        cached_load = per_call(cached, args.rounds)
        cached_range_load = per_call(cached_range, args.rounds)
        cached_async_load = per_call(cached_async, args.rounds)
        baseline = per_call(uncached_baseline, args.rounds)

    total = args.prompts * args.versions
    print(f"registry: {args.prompts} prompts x {args.versions} versions ({total} files)")
    print(f"  registry parse (once per change): {registry * 1e3:9.1f} ms")
    print(f"  cold load (per prompt):           {cold_load * 1e6:9.1f} us  (incl. registry share)")
    print(f"  uncached read+parse (per prompt): {baseline * 1e6:9.1f} us")
    print(f"  cached load, latest:              {cached_load * 1e6:9.1f} us")
    print(f"  cached load, '^1' range:          {cached_range_load * 1e6:9.1f} us")
    print(f"  cached await load(), latest:      {cached_async_load * 1e6:9.1f} us")
    print(f"  cold / cached:                    {cold_load / cached_load:9.1f}x")
    print(f"  uncached read+parse / cached:     {baseline / cached_load:9.1f}x")


if __name__ == "__main__":
    main()
