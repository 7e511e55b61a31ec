"""Recordings made accessible: captions (WebVTT), a transcript and chapters, checked, saved
and published by organisers, read by the public recording page and the follow-up emails.

Everything is checked before anything is saved: a bad captions file or chapter line is
refused with a message naming the line, and nothing changes. Publishing waits until the
webinar has ended and the captions and transcript are there (deaf and hard of hearing
people, and anyone without good internet, depend on them). Like every service: takes
`now`, flushes, never commits; each change is audited (ids, counts and field names only).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

import webvtt
from sqlalchemy import select
from webvtt.errors import MalformedCaptionError, MalformedFileError

from eventsapp import text, uktime
from eventsapp.extensions import db
from eventsapp.models import Recording, User, Webinar, WebinarStatus
from eventsapp.security_headers import CSP
from eventsapp.services import audit
from eventsapp.services.content import render_markdown
from eventsapp.services.errors import DomainError

MAX_CAPTIONS_BYTES = 2 * 1024 * 1024  # a two-hour webinar's captions are about 200 kB
MAX_TRANSCRIPT_CHARS = 500_000  # an hour of talk is about 60,000 characters
MAX_CHAPTERS = 100
MAX_CHAPTER_TITLE = 200


class RecordingError(DomainError):
    """What is wrong, per form field (`errors`); the message is the first of them."""

    def __init__(self, errors: dict[str, str]):
        field_name, message = next(iter(errors.items()))
        super().__init__(message, field_name)
        self.errors = errors


# --- times ------------------------------------------------------------------------------


def clock(seconds: int) -> str:
    """12:34, 1:02:03, 0:05: how chapters' times are written and shown."""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def iso_duration(seconds: int) -> str:
    """PT1H2M3S, for <time datetime=…>."""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + f"{secs}S"


# --- captions ---------------------------------------------------------------------------

_TIMING = re.compile(r"^(\S+)[ \t]+-->[ \t]+(\S+)(?:[ \t].*)?$")
_TIMESTAMP = re.compile(r"^(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})$")
_HEADER = re.compile(r"^WEBVTT(?:[ \t].*)?$")


class CaptionsError(ValueError):
    """A captions file or chapter list refused; the message names the first bad line."""


def _fail(message: str) -> tuple[int, int]:
    raise CaptionsError(message)


@dataclass(frozen=True)
class Captions:
    """A WebVTT file that passed every check, as it is saved."""

    text: str
    count: int
    ends_at: int  # seconds: the last caption's end

    @property
    def ends_clock(self) -> str:
        return clock(self.ends_at)


def _seconds(stamp: str) -> float | None:
    found = _TIMESTAMP.match(stamp)
    if not found:
        return None
    hours, minutes, secs, millis = found.groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(secs) + int(millis) / 1000


def _quoted(line: str) -> str:
    line = line.strip()
    return f"“{line[:60]}…”" if len(line) > 60 else f"“{line}”"


def _bad_stamp(stamp: str, number: int) -> str:
    if "," in stamp:
        return (
            f"Line {number}: the time {_quoted(stamp)} has a comma. WebVTT needs a full stop "
            "before the thousandths of a second, like 00:01:02.500. (Is this an SRT file?)"
        )
    return (
        f"Line {number}: {_quoted(stamp)} is not a time. Write times like 00:01:02.500 "
        "(hours, minutes, seconds and thousandths of a second)."
    )


def _blocks(lines: list[str]) -> Iterable[tuple[int, list[str]]]:
    """(first line number, lines) of each block after the header: blocks end at an empty line."""
    block: list[str] = []
    start = 0
    for number, line in enumerate(lines, start=1):
        if line == "":
            if block:
                yield start, block
            block = []
        else:
            if not block:
                start = number
            block.append(line)
    if block:
        yield start, block


def _check_lines(lines: list[str]) -> tuple[int, int]:
    """(captions, last end in seconds), or CaptionsError naming the first bad line."""
    if not _HEADER.match(lines[0]):
        if len(lines) > 1 and "-->" in lines[1] and "," in lines[1]:
            return _fail(
                "This looks like an SRT file, not WebVTT. Convert it to WebVTT (.vtt) first: "
                "most caption tools can save as WebVTT."
            )
        says = f"it says {_quoted(lines[0])}" if lines[0].strip() else "it is empty"
        return _fail(
            f"The first line of the captions file must say WEBVTT, but {says}. "
            "Choose a WebVTT captions file (it ends in .vtt)."
        )
    header_end = lines.index("") if "" in lines else len(lines)
    for number in range(2, header_end + 1):
        if "-->" in lines[number - 1]:
            return _fail(
                f"Line {number}: put an empty line after WEBVTT, before the first caption."
            )
    count, previous_start, last_end = 0, -1.0, 0.0
    for first, block in _blocks(lines[header_end:]):
        first += header_end
        head = block[0]
        if re.match(r"^(NOTE|STYLE|REGION)(?:[ \t]|$)", head) and "-->" not in head:
            continue  # a comment, or styles and regions for players
        timing_at = 0 if "-->" in head else 1 if len(block) > 1 and "-->" in block[1] else None
        if timing_at is None:
            return _fail(
                f"Line {first}: {_quoted(head)} is not a caption. Each caption starts with its "
                "times, like 00:01:02.000 --> 00:01:05.000, after an empty line."
            )
        number = first + timing_at
        found = _TIMING.match(block[timing_at].strip())
        if not found:
            return _fail(
                f"Line {number}: {_quoted(block[timing_at])} is not a caption's times. Write "
                "them like 00:01:02.000 --> 00:01:05.000."
            )
        start, end = _seconds(found.group(1)), _seconds(found.group(2))
        if start is None:
            return _fail(_bad_stamp(found.group(1), number))
        if end is None:
            return _fail(_bad_stamp(found.group(2), number))
        if end <= start:
            return _fail(
                f"Line {number}: this caption ends ({found.group(2)}) before it starts "
                f"({found.group(1)})."
            )
        if start < previous_start:
            return _fail(
                f"Line {number}: this caption starts ({found.group(1)}) before the caption "
                "above it. Captions must be in time order."
            )
        for offset, line in enumerate(block[timing_at + 1 :], start=timing_at + 1):
            if "-->" in line:
                return _fail(f"Line {first + offset}: put an empty line between captions.")
        count, previous_start, last_end = count + 1, start, max(last_end, end)
    if not count:
        return _fail("The captions file has no captions in it.")
    return count, int(last_end + 0.999)


def check_captions(data: bytes | str) -> Captions:
    """The captions file checked line by line (naming the first bad line), then by webvtt-py
    in strict mode as a second opinion. Raises CaptionsError with a message for organisers."""
    raw = data.encode() if isinstance(data, str) else data
    if len(raw) > MAX_CAPTIONS_BYTES:
        size = len(raw) / 1024 / 1024
        raise CaptionsError(
            f"The captions file is too big ({size:.1f} MB). It must be 2 MB or less."
        )
    try:
        decoded = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CaptionsError(
            "The captions file is not UTF-8 text. Save it again as UTF-8 (most caption tools "
            "can), or check it is a .vtt file."
        ) from exc
    if "\x00" in decoded:
        raise CaptionsError("The captions file is not a text file. Choose the .vtt file.")
    normalised = decoded.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    if not normalised.strip():
        raise CaptionsError("The captions file is empty.")
    lines = normalised.split("\n")
    count, ends_at = _check_lines(lines)
    try:
        webvtt.from_string(normalised, strict=True)
    except (MalformedFileError, MalformedCaptionError) as exc:
        raise CaptionsError(f"The captions file is not valid WebVTT: {exc}.") from exc
    return Captions(normalised.rstrip("\n") + "\n", count, ends_at)


def captions_summary(captions: str) -> Captions | None:
    """What is saved, for the organisers' page (None: nothing saved)."""
    if not captions:
        return None
    try:
        return check_captions(captions)
    except CaptionsError:
        return None


# --- chapters ---------------------------------------------------------------------------

_CHAPTER = re.compile(r"^(\d+(?::\d+){1,2})(?=\s|$|[-–—:|])\s*(?:[-–—:|]\s*)?(.*)$")


@dataclass(frozen=True)
class Chapter:
    start: int  # seconds from the start of the recording
    title: str

    @property
    def clock(self) -> str:
        return clock(self.start)

    @property
    def iso(self) -> str:
        return iso_duration(self.start)


def _chapter_seconds(stamp: str) -> int | None:
    parts = stamp.split(":")
    if any(len(part) != 2 for part in parts[1:]):
        return None
    numbers = [int(part) for part in parts]
    if any(n >= 60 for n in numbers[1:]):
        return None
    if len(numbers) == 3:
        return numbers[0] * 3600 + numbers[1] * 60 + numbers[2]
    return numbers[0] * 60 + numbers[1]


def parse_chapters(typed: str, length_seconds: int) -> list[Chapter]:
    """One chapter a line, "12:34 Questions about sleep"; blank lines are ignored.
    Raises CaptionsError naming the first bad line."""
    chapters: list[Chapter] = []
    for number, line in enumerate((typed or "").split("\n"), start=1):
        line = text.one_line(line)
        if not line:
            continue
        found = _CHAPTER.match(line)
        if not found:
            raise CaptionsError(
                f"Line {number}: start each line with a time, then the title, like "
                "“12:34 Questions about sleep”."
            )
        start = _chapter_seconds(found.group(1))
        if start is None:
            raise CaptionsError(
                f"Line {number}: {_quoted(found.group(1))} is not a time. Write minutes and "
                "seconds like 12:34, or hours too like 1:02:03."
            )
        title = found.group(2).strip()
        if not title:
            raise CaptionsError(f"Line {number}: add a title after the time {found.group(1)}.")
        if len(title) > MAX_CHAPTER_TITLE:
            raise CaptionsError(
                f"Line {number}: the title is too long. Keep it under {MAX_CHAPTER_TITLE} "
                "characters."
            )
        if chapters and start <= chapters[-1].start:
            raise CaptionsError(
                f"Line {number}: {found.group(1)} is not after the chapter above it "
                f"({chapters[-1].clock}). List the chapters in time order."
            )
        if start >= length_seconds:
            raise CaptionsError(
                f"Line {number}: {found.group(1)} is after the end of the recording "
                f"({clock(length_seconds)}). Check the time."
            )
        chapters.append(Chapter(start, title))
        if len(chapters) > MAX_CHAPTERS:
            raise CaptionsError(f"There can be at most {MAX_CHAPTERS} chapters.")
    return chapters


def chapters_of(recording: Recording | None) -> list[Chapter]:
    return (
        [Chapter(int(c["start"]), str(c["title"])) for c in (recording.chapters or [])]
        if (recording)
        else []
    )


def chapters_as_text(recording: Recording | None) -> str:
    """The saved chapters as organisers type them."""
    return "\n".join(f"{c.clock} {c.title}" for c in chapters_of(recording))


# --- the video link ---------------------------------------------------------------------

_YOUTUBE = {"youtube.com", "www.youtube.com", "m.youtube.com", "youtu.be", "www.youtu.be"}
_VIMEO = {"vimeo.com", "www.vimeo.com", "player.vimeo.com"}
_FILES = (".mp4", ".webm")
_HOST = re.compile(r"^[A-Za-z0-9.-]+(?::\d{1,5})?$")


@dataclass(frozen=True)
class Video:
    """Where the recording is and how to point at a moment in it."""

    url: str

    @property
    def _parts(self) -> SplitResult:
        return urlsplit(self.url)

    @property
    def site(self) -> str:
        """ "youtube", "vimeo", "file" (a video file we can play on the page) or "other"."""
        parts = self._parts
        host = (parts.hostname or "").lower()
        if host in _YOUTUBE:
            return "youtube"
        if host in _VIMEO:
            return "vimeo"
        if parts.path.lower().endswith(_FILES) and _HOST.match(parts.netloc):
            return "file"
        return "other"

    @property
    def site_name(self) -> str:
        return {"youtube": "YouTube", "vimeo": "Vimeo"}.get(self.site, "")

    @property
    def file_type(self) -> str:
        return "video/webm" if self._parts.path.lower().endswith(".webm") else "video/mp4"

    def at(self, seconds: int) -> str | None:
        """The link that starts the video `seconds` in, or None where we do not know how."""
        parts, site = self._parts, self.site
        if site == "youtube":
            query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "t"]
            query.append(("t", str(seconds)))
            return urlunsplit(parts._replace(query=urlencode(query), fragment=""))
        if site == "vimeo":
            return urlunsplit(parts._replace(fragment=f"t={seconds}s"))
        if site == "file":
            return urlunsplit(parts._replace(fragment=f"t={seconds}"))
        return None

    def page_policy(self) -> str | None:
        """A Content-Security-Policy for a page that plays this file in a <video>: the
        usual one, with the file's own site allowed for media (nothing else); None for the
        usual one (links to YouTube, Vimeo or elsewhere load nothing from them)."""
        if self.site != "file":
            return None
        parts = self._parts
        origin = f"{parts.scheme}://{parts.netloc}".lower()
        return CSP.replace("default-src 'self';", f"default-src 'self'; media-src 'self' {origin};")


# --- reading ----------------------------------------------------------------------------


def for_webinar(webinar: Webinar) -> Recording | None:
    return db.session.scalars(select(Recording).where(Recording.webinar_id == webinar.id)).first()


def published_for(webinar: Webinar) -> Recording | None:
    recording = for_webinar(webinar)
    return recording if recording is not None and recording.published_at else None


def published_ids(webinar_ids: Iterable[int]) -> set[int]:
    """Which of these webinars have a published recording (one query, for lists)."""
    ids = list(webinar_ids)
    if not ids:
        return set()
    return set(
        db.session.scalars(
            select(Recording.webinar_id).where(
                Recording.webinar_id.in_(ids), Recording.published_at.is_not(None)
            )
        )
    )


_HEADING = re.compile(r"<(/?)h([234])>")


def transcript_html(transcript: str) -> str:
    """The transcript as safe HTML, its headings one level down (it sits under an h2).

    render_markdown's own cache is left alone: it is sized for descriptions, and one
    transcript is as big as hundreds of them; the page itself is kept (public/page_cache.py).
    """
    html = render_markdown.__wrapped__(transcript)  # type: ignore[attr-defined]
    return _HEADING.sub(lambda m: f"<{m.group(1)}h{min(int(m.group(2)) + 1, 4)}>", html)


# --- changing ---------------------------------------------------------------------------


@dataclass
class RecordingInput:
    recording_url: str | None
    transcript: str
    chapters: str
    # New captions (uploaded or pasted); None keeps what is saved.
    captions: bytes | None = None
    errors: dict[str, str] = field(default_factory=dict)  # from the form's own checks


def _length(webinar: Webinar, captions: Captions | None) -> int:
    """How long the recording is, as far as we know: the webinar's length, or the captions'
    last time if later (webinars overrun)."""
    return max(webinar.duration_minutes * 60, captions.ends_at if captions else 0)


def _in(where: str, exc: CaptionsError) -> str:
    """ "Line 8: …" says where on its own in the error summary: "Captions file, line 8: …"."""
    return re.sub(r"^Line (\d+): ", rf"{where}, line \1: ", str(exc))


def save(webinar: Webinar, data: RecordingInput, actor: User, now: datetime) -> Recording:
    """Check everything, then save it all (or nothing). A published recording shows the
    change at once."""
    if webinar.status == WebinarStatus.CANCELLED:
        raise RecordingError({"transcript": "A cancelled webinar has no recording."})
    # Two organisers saving the first version at once (PostgreSQL): the second waits here,
    # then finds the first's row instead of inserting a second. SQLite's BEGIN IMMEDIATE
    # already queues writers.
    db.session.execute(select(Webinar.id).where(Webinar.id == webinar.id).with_for_update())
    recording = for_webinar(webinar)
    errors = dict(data.errors)
    captions: Captions | None = None
    if data.captions is not None:
        try:
            captions = check_captions(data.captions)
        except CaptionsError as exc:
            errors["captions"] = f"{_in('Captions file', exc)} Nothing was saved."
    elif recording is not None:
        captions = captions_summary(recording.captions)
    transcript = text.lines(data.transcript or "")
    if len(transcript) > MAX_TRANSCRIPT_CHARS:
        errors["transcript"] = (
            f"The transcript is too long. It must be {MAX_TRANSCRIPT_CHARS:,} characters or fewer."
        )
    chapters: list[Chapter] = []
    try:
        chapters = parse_chapters(data.chapters, _length(webinar, captions))
    except CaptionsError as exc:
        errors["chapters"] = _in("Chapters", exc)
    if errors:
        raise RecordingError(errors)

    if recording is None:
        recording = Recording(webinar_id=webinar.id, chapters=[], updated_at=now)
        db.session.add(recording)
    new = {
        "transcript": transcript,
        "chapters": [{"start": c.start, "title": c.title} for c in chapters],
    }
    if data.captions is not None and captions is not None:
        new["captions"] = captions.text
    changed = [name for name, value in new.items() if getattr(recording, name) != value]
    for name in changed:
        setattr(recording, name, new[name])
    url = data.recording_url or None
    if url != webinar.recording_url:
        webinar.recording_url = url
        webinar.updated_at = now
        changed.append("recording_url")
    if changed:
        recording.updated_at = now
        audit.record(
            "recording.saved",
            actor=actor,
            now=now,
            webinar=webinar,
            fields=changed,
            captions=captions.count if captions else 0,
            chapters=len(chapters),
            published=recording.published_at is not None,
        )
    db.session.flush()
    return recording


def missing_for_publishing(webinar: Webinar, recording: Recording | None) -> list[str]:
    """What is still needed before publishing, in words for a sentence."""
    missing = []
    if not webinar.recording_url:
        missing.append("the recording link")
    if recording is None or not recording.captions:
        missing.append("the captions file")
    if recording is None or not recording.transcript.strip():
        missing.append("the transcript")
    return missing


def in_words(words: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def publish(webinar: Webinar, actor: User, now: datetime) -> Recording:
    if webinar.status != WebinarStatus.PUBLISHED:
        raise RecordingError(
            {
                "publish": "Publish the webinar first: only a webinar that took place "
                "has a recording."
            }
        )
    if now < webinar.ends_at:
        raise RecordingError(
            {
                "publish": "You can publish the recording once the webinar has ended, after "
                f"{uktime.format_datetime(webinar.ends_at)}."
            }
        )
    recording = for_webinar(webinar)
    missing = missing_for_publishing(webinar, recording)
    if missing or recording is None:
        raise RecordingError({"publish": f"Before publishing, add {in_words(missing)}."})
    if recording.published_at is None:
        recording.published_at = now
        recording.updated_at = now
        audit.record("recording.published", actor=actor, now=now, webinar=webinar)
        db.session.flush()
    return recording


def unpublish(webinar: Webinar, actor: User, now: datetime) -> None:
    recording = for_webinar(webinar)
    if recording is not None and recording.published_at is not None:
        recording.published_at = None
        recording.updated_at = now
        audit.record("recording.unpublished", actor=actor, now=now, webinar=webinar)
        db.session.flush()
