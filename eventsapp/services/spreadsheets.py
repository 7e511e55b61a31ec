"""CSV for spreadsheets: every cell written so a spreadsheet shows it and never runs it."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

# Spreadsheet programs run cells that start with these as formulas (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    """A CSV cell that a spreadsheet shows as text, never runs."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([neutralise(v) for v in row] for row in rows)
    return out.getvalue()
