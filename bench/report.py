"""Writing a bench script's figures into its section of docs/benchmarks.md.

A section is: its heading, prose written by hand (kept as it is), a "Measured ..." line,
then one result line per variant ("- SQLite, ...", "- PostgreSQL, ..."). A run replaces the
stamp and its own variant's lines and keeps everything else.
"""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from pathlib import Path

PATH = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def write_section(heading: str, variant: str, lines: list[str]) -> None:
    """Replace this variant's result lines (those starting "- {variant}") under heading."""
    text = PATH.read_text() if PATH.exists() else "# Benchmarks\n"
    if heading not in text:
        text = text.rstrip() + f"\n\n{heading}\n"
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    end = len(text) if end == -1 else end + 1
    body = text[start + len(heading) : end].splitlines()
    prose = [line for line in body if not line.startswith(("- ", "Measured "))]
    results = [
        line for line in body if line.startswith("- ") and not line.startswith(f"- {variant}")
    ]
    # Blank lines that separated the old results would pile up run after run: keep one.
    prose = [line for i, line in enumerate(prose) if line.strip() or (i and prose[i - 1].strip())]
    while prose and not prose[-1].strip():
        prose.pop()
    stamp = f"Measured {datetime.now(UTC):%Y-%m-%d} on {machine()}."
    section = "\n".join([heading, *prose, "", stamp, "", *results, *lines]) + "\n"
    rest = text[end:]
    PATH.write_text(text[:start] + section + ("\n" + rest if rest else ""))
