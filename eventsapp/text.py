"""Text made safe to put in one line (a header, a calendar property) or in many.

Used at the edge (form filters) and again where text leaves us (email subjects, invites),
so rows written before a rule existed are safe too.
"""

from __future__ import annotations

import re

# C0 control characters but tab and newline: never typed, refused by PostgreSQL (NUL), and a
# lone carriage return would end a line in an email header or a calendar file.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def one_line(text: str) -> str:
    """Any run of spaces, tabs or line breaks becomes one space; control characters go."""
    return " ".join(_CONTROLS.sub("", text).split())


def lines(text: str) -> str:
    """Line ends made \\n, control characters dropped, ends trimmed."""
    return _CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def people(n: int) -> str:
    """ "1 person", "3 people": how many an action reaches, as organisers are told."""
    return "1 person" if n == 1 else f"{n} people"
