# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""Keep secret values out of error messages, log lines and CLI output.

A provider's error body may echo the key it was sent (some proxies and self-hosted
servers do), and a transport error may quote a URL carrying one. Every text that
leaves the router passes through a `Redactor` that knows the config's secrets: the
api_key values, header values, and the values of referenced environment variables
whose names mark them as secret (`*KEY*`, `*TOKEN*`, `*SECRET*`, `*PASSWORD*`, ...).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from urllib.parse import quote

REDACTED = "<redacted>"  # not [..]: rich would read that as markup
# Shorter values would match ordinary words in messages, and no real key is that short.
MIN_SECRET_LENGTH = 8
SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH", re.IGNORECASE)


class Redactor:
    """Replace every known secret (and its JSON- or URL-escaped form) in a text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        forms: set[str] = set()
        for secret in secrets:
            if len(secret) < MIN_SECRET_LENGTH:
                continue
            forms.update({secret, json.dumps(secret)[1:-1], quote(secret, safe="")})
        # Longest first, so a key that contains another is replaced whole.
        self._forms = sorted(forms, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, self._forms))) if forms else None

    def __call__(self, text: str) -> str:
        if self._pattern is None:
            return text
        return self._pattern.sub(REDACTED, text)

    def __bool__(self) -> bool:
        return self._pattern is not None


NO_SECRETS = Redactor()
