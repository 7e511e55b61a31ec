"""gunicorn's access log without personal data or secrets.

The format (gunicorn.conf.py) leaves out the client address, query string, referrer and
user agent; this logger also hides personal link tokens in paths (/manage/<token>), which
work like passwords for whoever reads the log.
"""

from __future__ import annotations

import re
from typing import Any

from gunicorn.glogging import Logger

# Personal tokens are 43 URL-safe characters (256 bits); slugs are lower-case words and
# hyphens. A long segment that is not a slug is a token.
_SEGMENT = re.compile(r"(?<=/)[A-Za-z0-9_\-]{32,}(?=/|$)")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def redact(path: str) -> str:
    return _SEGMENT.sub(lambda m: m.group(0) if _SLUG.fullmatch(m.group(0)) else "<token>", path)


class RedactingLogger(Logger):
    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["U"] = redact(atoms.get("U") or "")
        atoms["r"] = f"{atoms.get('m')} {atoms['U']} {atoms.get('H')}"
        atoms["q"] = atoms["h"] = atoms["f"] = atoms["a"] = "-"
        return atoms
