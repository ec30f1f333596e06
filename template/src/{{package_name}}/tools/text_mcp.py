# Your code: restack-template generated it once; change it freely (`restack upgrade`
# merges template changes around your edits).
"""The `text` tool server: text utilities that need no network or API key.

Run this module alone with `python -m` (stdio), or add `--transport http --port 8701`;
the service starts it from config/tools.yaml. Each tool's `sample` meta is what
`restack test:tools` calls.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from fastmcp import FastMCP
from fastmcp.exceptions import ToolError
from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import JSONResponse

from ..mcp.serve import serve_from_command_line

mcp = FastMCP("text", instructions="Measure text and turn titles into URL slugs.")

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")


class TextStats(BaseModel):
    characters: int
    words: int
    lines: int
    top_words: list[str] = Field(description="Most frequent words, most frequent first")


class Slug(BaseModel):
    slug: str
    truncated: bool


@mcp.tool(meta={"sample": {"text": "The quick brown fox jumps over the lazy dog. The end."}})
def text_stats(
    text: str = Field(description="The text to measure"),
    top: int = Field(default=5, ge=1, le=50, description="How many frequent words to list"),
) -> TextStats:
    """Count characters, words and lines, and list the most frequent words."""
    if not text.strip():
        raise ToolError("text is empty: pass the text to measure")
    words = [word.lower() for word in _WORD.findall(text)]
    frequent = [word for word, _ in Counter(words).most_common(top)]
    return TextStats(
        characters=len(text), words=len(words), lines=len(text.splitlines()), top_words=frequent
    )


@mcp.tool(meta={"sample": {"title": "Hello, Wörld: MCP & Restack!"}})
def slugify(
    title: str = Field(description="A title or phrase"),
    max_length: int = Field(default=60, ge=8, le=200),
) -> Slug:
    """Turn a title into a lowercase ASCII URL slug (e.g. `hello-world`)."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if not slug:
        raise ToolError(f"'{title}' has no letters or digits to build a slug from")
    truncated = len(slug) > max_length
    if truncated:
        slug = slug[:max_length].rsplit("-", 1)[0] or slug[:max_length]
    return Slug(slug=slug, truncated=truncated)


@mcp.custom_route("/health", methods=["GET"])
async def health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok", "server": mcp.name})


def main(argv: list[str] | None = None) -> None:
    serve_from_command_line(mcp, default_port=8701, argv=argv)


if __name__ == "__main__":
    main()
