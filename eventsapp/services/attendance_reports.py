"""Reading webinar platforms' attendance reports: Zoom's attendee report and Teams'.

Both formats put summary sections before the table we want, and both vary: Zoom writes
one row per join/leave (a person who rejoined appears several times, so minutes are
summed); Teams writes a "Participants" section, often as UTF-16 with tabs. A file that
does not have the expected shape gets an error naming the line.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from eventsapp.models import AttendanceSource


class ReportError(ValueError):
    """The file is not a report we can read; the message names the line."""


@dataclass
class ReportRow:
    name: str
    email: str  # lower-case; "" when the platform had none
    minutes: int
    # Zoom's registrant id, when the report came from Zoom's API (matched before the email).
    registrant_id: str = ""

    @property
    def key(self) -> str:
        return self.email or f"name:{self.name.strip().lower()}"


def decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if len(data) > 1 and data[1:2] == b"\x00":  # UTF-16LE without a BOM
        return data.decode("utf-16-le")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReportError("The file is not text in a known encoding (UTF-8 or UTF-16)") from exc


def _rows(text: str) -> list[list[str]]:
    delimiter = "\t" if text.count("\t") > text.count(",") else ","
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def _column(header: list[str], *names: str, line: int) -> int:
    lowered = [h.strip().lower() for h in header]
    for name in names:
        for i, h in enumerate(lowered):
            if h.startswith(name):
                return i
    raise ReportError(f"Line {line}: the table has no column {names[0]!r}")


def _add(found: dict[str, ReportRow], row: ReportRow) -> None:
    if row.key in found:
        found[row.key].minutes += row.minutes
    else:
        found[row.key] = row


def parse_zoom(text: str) -> list[ReportRow]:
    rows = _rows(text)
    start = next(
        (i for i, r in enumerate(rows) if r and r[0].strip().lower() == "attendee details"), None
    )
    if start is None or start + 1 >= len(rows):
        raise ReportError("This does not look like a Zoom attendee report: no 'Attendee Details'")
    header = rows[start + 1]
    line = start + 2
    name_col = _column(header, "user name", "name", line=line)
    email_col = _column(header, "email", line=line)
    minutes_col = _column(header, "time in session", line=line)
    attended_col = _column(header, "attended", line=line)
    found: dict[str, ReportRow] = {}
    for number, row in enumerate(rows[start + 2 :], start=start + 3):
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) <= max(name_col, email_col, minutes_col, attended_col):
            if len(row) == 1:  # the next section's title
                break
            raise ReportError(f"Line {number}: expected {len(header)} columns, found {len(row)}")
        if row[attended_col].strip().lower() != "yes":
            continue
        raw = row[minutes_col].strip()
        if not raw.isdigit():
            raise ReportError(
                f"Line {number}: 'Time in Session (minutes)' is {raw!r}, not a number"
            )
        name = re.sub(r"\s*\(.*\)$", "", row[name_col]).strip()  # "Name (Original Name)"
        _add(found, ReportRow(name, row[email_col].strip().lower(), int(raw)))
    return list(found.values())


_DURATION = re.compile(r"^\s*(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+)s)?\s*$")


def _teams_minutes(raw: str, line: int) -> int:
    match = _DURATION.match(raw)
    if not raw.strip() or match is None:
        raise ReportError(f"Line {line}: the duration {raw!r} is not like '1h 5m 10s'")
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return (hours * 3600 + minutes * 60 + seconds) // 60


def parse_teams(text: str) -> list[ReportRow]:
    rows = _rows(text)
    start = next(
        (
            i
            for i, r in enumerate(rows)
            if r and re.sub(r"^\d+\.\s*", "", r[0].strip()).lower() == "participants"
        ),
        None,
    )
    if start is None or start + 1 >= len(rows):
        raise ReportError("This does not look like a Teams attendance report: no 'Participants'")
    header = rows[start + 1]
    line = start + 2
    name_col = _column(header, "name", line=line)
    email_col = _column(header, "email", line=line)
    duration_col = _column(header, "in-meeting duration", "duration", line=line)
    lowered = [h.strip().lower() for h in header]
    role_col = lowered.index("role") if "role" in lowered else None
    found: dict[str, ReportRow] = {}
    for number, row in enumerate(rows[start + 2 :], start=start + 3):
        if not row or not any(cell.strip() for cell in row):
            break  # a blank line ends the section
        if len(row) <= max(name_col, email_col, duration_col):
            raise ReportError(f"Line {number}: expected {len(header)} columns, found {len(row)}")
        if role_col is not None and row[role_col].strip().lower() == "organizer":
            continue  # the meeting's organiser, not a registrant
        minutes = _teams_minutes(row[duration_col], number)
        _add(found, ReportRow(row[name_col].strip(), row[email_col].strip().lower(), minutes))
    return list(found.values())


def parse(data: bytes) -> tuple[AttendanceSource, list[ReportRow]]:
    """Recognise the format and read it: (its source, rows)."""
    text = decode(data)
    lowered = text.lower()
    if "attendee details" in lowered:
        return AttendanceSource.ZOOM, parse_zoom(text)
    if "participants" in lowered:
        return AttendanceSource.TEAMS, parse_teams(text)
    raise ReportError(
        "This is neither a Zoom attendee report nor a Teams attendance report. "
        "Download the report from the platform as CSV and upload it unchanged"
    )
