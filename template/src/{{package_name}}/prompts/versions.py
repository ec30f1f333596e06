# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""Semantic-version rules of the prompt registry: which registered version a request means.

semver's `Version.match` understands one `<op><full version>` at a time, so requests
such as `1.2`, `^1.2`, `~1.2.3` or `>=1.0,<2` are first translated into clauses of
full-version comparisons (an AND of ORs), then matched with `Version.match`.

Prereleases (`1.3.0-rc.1`) are never picked by a range unless one of its comparators
names a prerelease of the same `major.minor.patch` (the npm rule), so `^1.2` never
serves a release candidate by accident while `>=1.3.0-rc.1` can.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import semver

from .errors import InvalidVersionError

Version = semver.Version

REQUIREMENT_FORMS = (
    "a full version (1.2.3, or 1.3.0-rc.1 for a prerelease), a partial one (1, 1.2, 1.x), "
    "^1.2, ~1.2.3, comparisons (>=1.0, <2, !=1.1.0) joined by commas, or 'latest'"
)

_PART = re.compile(
    r"^(?P<op>\^|~|>=|<=|==|!=|>|<|=)?\s*v?"
    r"(?P<major>\d+|[xX*])(?:\.(?P<minor>\d+|[xX*]))?(?:\.(?P<patch>\d+|[xX*]))?"
    r"(?:-(?P<pre>[0-9A-Za-z.-]+))?$"
)
_WILDCARDS = {"x", "X", "*"}


def parse_version(text: str) -> Version:
    """Parse a registered version: full `MAJOR.MINOR.PATCH[-prerelease]`, no build metadata."""
    try:
        version = Version.parse(text)
    except (ValueError, TypeError) as error:
        raise InvalidVersionError(
            f"'{text}' is not a semantic version (expected MAJOR.MINOR.PATCH, e.g. 1.0.0)"
        ) from error
    if version.build:
        raise InvalidVersionError(
            f"'{text}' carries build metadata (+{version.build}), which takes no part in "
            "ordering; drop it, or use a prerelease tag such as 1.0.0-rc.1"
        )
    return version


def is_valid_version(text: str) -> bool:
    try:
        parse_version(text)
    except InvalidVersionError:
        return False
    return True


def sort_versions(versions: Iterable[str]) -> list[str]:
    """Ascending numeric order (1.9.0 < 1.10.0; 1.0.0-rc.1 < 1.0.0)."""
    return sorted(versions, key=parse_version)


@dataclass(frozen=True)
class Requirement:
    """A parsed request: every clause must hold, and a clause holds when any test does."""

    text: str
    clauses: tuple[tuple[str, ...], ...]
    # (major, minor, patch) of the versions whose prereleases the request names explicitly.
    prerelease_cores: frozenset[tuple[int, int, int]]

    def allows(self, version: Version) -> bool:
        if version.prerelease and (
            (version.major, version.minor, version.patch) not in self.prerelease_cores
        ):
            return False
        return all(any(version.match(test) for test in clause) for clause in self.clauses)

    def describe(self) -> str:
        """The translation, e.g. `^1.2` -> `>=1.2.0, <2.0.0`."""
        return ", ".join(" or ".join(clause) for clause in self.clauses) or "any version"


def _number(text: str | None) -> int | None:
    if text is None or text in _WILDCARDS:
        return None
    return int(text)


def _translate(part: str, whole: str) -> tuple[list[tuple[str, ...]], tuple[int, int, int] | None]:
    match = _PART.match(part.strip())
    if not match:
        raise InvalidVersionError(
            f"'{whole}' is not a version requirement; use {REQUIREMENT_FORMS}"
        )
    op = match["op"] or ""
    major, minor, patch = _number(match["major"]), _number(match["minor"]), _number(match["patch"])
    # Wildcards only at the end: 1.x.3 means nothing.
    if (major is None and (minor is not None or patch is not None)) or (
        minor is None and patch is not None
    ):
        raise InvalidVersionError(f"'{whole}': a wildcard can only end a version (1.x, 1.2.*)")
    pre = match["pre"]
    if pre and (major is None or minor is None or patch is None):
        raise InvalidVersionError(f"'{whole}': a prerelease needs a full version (1.3.0-rc.1)")

    if major is None:  # "*" / "x": any released version
        return [], None
    full = minor is not None and patch is not None
    low = Version(major, minor or 0, patch or 0, prerelease=pre)

    if op == "^":
        # Compatible with the left-most non-zero part of the version as written.
        if major > 0 or minor is None:
            high = Version(major + 1, 0, 0)
        elif minor > 0 or patch is None:
            high = Version(0, minor + 1, 0)
        else:
            high = Version(0, 0, (patch or 0) + 1)
        return [(f">={low}",), (f"<{high}",)], _core(low)
    if op == "~":
        high = Version(major + 1, 0, 0) if minor is None else Version(major, minor + 1, 0)
        return [(f">={low}",), (f"<{high}",)], _core(low)

    if full:
        comparator = {"": "==", "=": "=="}.get(op, op)
        return [(f"{comparator}{low}",)], _core(low)

    # A partial version stands for the range it covers: 1.2 is [1.2.0, 1.3.0).
    high = Version(major + 1, 0, 0) if minor is None else Version(major, minor + 1, 0)
    ranges: dict[str, list[tuple[str, ...]]] = {
        "": [(f">={low}",), (f"<{high}",)],
        "=": [(f">={low}",), (f"<{high}",)],
        "==": [(f">={low}",), (f"<{high}",)],
        "!=": [(f"<{low}", f">={high}")],
        ">=": [(f">={low}",)],
        ">": [(f">={high}",)],
        "<": [(f"<{low}",)],
        "<=": [(f"<{high}",)],
    }
    return ranges[op], None


def _core(version: Version) -> tuple[int, int, int] | None:
    return (version.major, version.minor, version.patch) if version.prerelease else None


def parse_requirement(text: str) -> Requirement:
    """Translate a request into full-version comparisons, or raise naming the accepted forms."""
    parts = [part for part in text.split(",")]
    if not text.strip() or any(not part.strip() for part in parts):
        raise InvalidVersionError(f"'{text}' is not a version requirement; use {REQUIREMENT_FORMS}")
    clauses: list[tuple[str, ...]] = []
    cores: set[tuple[int, int, int]] = set()
    for part in parts:
        if "+" in part:
            raise InvalidVersionError(
                f"'{text}': build metadata (+...) takes no part in version selection; drop it"
            )
        part_clauses, core = _translate(part, text)
        clauses.extend(part_clauses)
        if core:
            cores.add(core)
    return Requirement(text=text.strip(), clauses=tuple(clauses), prerelease_cores=frozenset(cores))


def highest_release(versions: Iterable[str]) -> str | None:
    """The highest registered version that is not a prerelease, if any."""
    released = [v for v in versions if not parse_version(v).prerelease]
    return max(released, key=parse_version) if released else None


def select(requirement: Requirement, versions: Iterable[str]) -> str | None:
    """The highest registered version the requirement allows, or None."""
    allowed = [v for v in versions if requirement.allows(parse_version(v))]
    return max(allowed, key=parse_version) if allowed else None
