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
    return importlib.import_module("bench_pkg.prompts.loader")


def interleaved(actions: dict[str, Callable[[], int]], rounds: int) -> dict[str, list[float]]:
    """Seconds per call of each action, measured in turn within every round.

    Interleaving keeps a busy machine from favouring whichever action ran last.
    """
    samples: dict[str, list[float]] = {label: [] for label in actions}
    for _ in range(rounds):
        for label, action in actions.items():
            start = time.perf_counter()
            calls = action()
            samples[label].append((time.perf_counter() - start) / calls)
    return samples


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

        samples = interleaved(
            {
                "registry": registry_parse,
                "cold": cold,
                "baseline": uncached_baseline,
                "cached": cached,
                "cached_range": cached_range,
                "cached_async": cached_async,
            },
            args.rounds,
        )
    median = {label: statistics.median(values) for label, values in samples.items()}
    cold_ratio = statistics.median(
        c / w for c, w in zip(samples["cold"], samples["cached"], strict=True)
    )
    baseline_ratio = statistics.median(
        b / w for b, w in zip(samples["baseline"], samples["cached"], strict=True)
    )
    registry, cold_load, baseline = median["registry"], median["cold"], median["baseline"]
    cached_load, cached_range_load = median["cached"], median["cached_range"]
    cached_async_load = median["cached_async"]

    total = args.prompts * args.versions
    print(f"registry: {args.prompts} prompts x {args.versions} versions ({total} files)")
    print(f"  registry parse (once per change): {registry * 1e3:9.1f} ms")
    print(f"  cold load (per prompt):           {cold_load * 1e6:9.1f} us  (incl. registry share)")
    print(f"  uncached read+parse (per prompt): {baseline * 1e6:9.1f} us")
    print(f"  cached load, latest:              {cached_load * 1e6:9.1f} us")
    print(f"  cached load, '^1' range:          {cached_range_load * 1e6:9.1f} us")
    print(f"  cached await load(), latest:      {cached_async_load * 1e6:9.1f} us")
    print(f"  cold / cached (median of rounds): {cold_ratio:9.1f}x")
    print(f"  uncached read+parse / cached:     {baseline_ratio:9.1f}x")


if __name__ == "__main__":
    main()
