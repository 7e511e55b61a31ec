"""Access logs without personal data or secrets: gunicorn's in production, and the
development server's (werkzeug) under `make run`.

The format (gunicorn.conf.py) leaves out the client address, query string, referrer and
user agent; these loggers also hide personal link tokens in paths (/manage/<token>), which
work like passwords for whoever reads the log.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from gunicorn.glogging import Logger

# Personal tokens are 43 URL-safe characters (256 bits); slugs are lower-case words and
# hyphens. A long segment that is not a slug is a token.
_SEGMENT = re.compile(r"(?<=/)[A-Za-z0-9_\-]{32,}(?=[/?\s\x1b]|$)")
_QUERY = re.compile(r"\?[^\s\x1b]*")
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


class RedactingFilter(logging.Filter):
    """For the development server's request lines ("GET /manage/… HTTP/1.1" 200 -): no
    client address, no query string, no tokens."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and " - - [" in record.msg:
            record.msg = "-" + record.msg[record.msg.index(" - - [") :]
        if isinstance(record.args, tuple) and record.args:
            line = _QUERY.sub("", str(record.args[0]))
            record.args = (redact(line), *record.args[1:])
        return True


def quiet_development_server() -> None:
    logger = logging.getLogger("werkzeug")
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter())
