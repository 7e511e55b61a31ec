"""The shared speaker library, webinar panels, and registrants' questions for the panel."""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PIL import Image, UnidentifiedImageError
from sqlalchemy import func, select

from eventsapp.extensions import db
from eventsapp.models import (
    PanelMember,
    PanelRole,
    QuestionStatus,
    Registration,
    Speaker,
    User,
    Webinar,
)
from eventsapp.services import access, audit
from eventsapp.services.errors import DomainError

PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding
Image.MAX_IMAGE_PIXELS = PHOTO_MAX_PIXELS  # Pillow's setting is global: set once, on import
PHOTO_SIZE = 400  # stored as a square-ish JPEG no larger than this
_ACCEPTED_FORMATS = {"PNG", "JPEG", "WEBP"}


class PanelError(DomainError):
    pass


@dataclass
class SpeakerInput:
    name: str
    professional_title: str = ""
    organisation: str = ""
    bio: str = ""


def save_photo(data: bytes, photos_dir: Path) -> str:
    """Check the bytes are a PNG, JPEG or WebP image, and store a re-encoded JPEG.

    The file name and the browser's content type are ignored: Pillow decides by content.
    Re-encoding drops metadata (location in EXIF) and anything smuggled after the image.
    """
    if len(data) > PHOTO_MAX_BYTES:
        raise PanelError("The photo must be smaller than 5 MB", "photo")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in _ACCEPTED_FORMATS:
                raise PanelError("The photo must be a PNG, JPEG or WebP image", "photo")
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image = image.convert("RGB")
            image.thumbnail((PHOTO_SIZE, PHOTO_SIZE))
            out = io.BytesIO()
            image.save(out, "JPEG", quality=85, optimize=True)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError) as exc:
        raise PanelError("The photo must be a PNG, JPEG or WebP image", "photo") from exc
    photos_dir.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(12)}.jpg"
    (photos_dir / name).write_bytes(out.getvalue())
    return name


def speakers() -> list[Speaker]:
    return list(db.session.scalars(select(Speaker).order_by(func.lower(Speaker.name))))


def save_speaker(
    speaker: Speaker | None,
    data: SpeakerInput,
    actor: User,
    now: datetime,
    photo_filename: str | None = None,
    remove_photo: bool = False,
) -> Speaker:
    if speaker is None:
        speaker = Speaker()
        db.session.add(speaker)
        action = "speaker.created"
    else:
        action = "speaker.updated"
    speaker.name = data.name
    speaker.professional_title = data.professional_title
    speaker.organisation = data.organisation
    speaker.bio = data.bio
    if photo_filename:
        speaker.photo_filename = photo_filename
    elif remove_photo:
        speaker.photo_filename = None
    db.session.flush()
    audit.record(action, actor=actor, now=now, speaker=speaker.id)
    return speaker


def add_to_panel(webinar: Webinar, speaker: Speaker, role: str, actor: User, now: datetime) -> None:
    if role not in list(PanelRole):
        raise PanelError("Choose a role", "role")
    if any(m.speaker_id == speaker.id for m in webinar.panel):
        raise PanelError(f"{speaker.name} is already on this panel", "speaker")
    position = max((m.position for m in webinar.panel), default=-1) + 1
    webinar.panel.append(PanelMember(speaker=speaker, role=role, position=position))
    audit.record("panel.added", actor=actor, now=now, webinar=webinar, speaker=speaker.id)


def remove_from_panel(webinar: Webinar, member_id: int, actor: User, now: datetime) -> None:
    member = next((m for m in webinar.panel if m.id == member_id), None)
    if member is None:
        raise PanelError("That person is not on this panel")
    webinar.panel.remove(member)
    audit.record("panel.removed", actor=actor, now=now, webinar=webinar, speaker=member.speaker_id)


def move(webinar: Webinar, member_id: int, offset: int, actor: User, now: datetime) -> None:
    """Move a panel member up (-1) or down (+1); positions are renumbered 0..n-1."""
    members = list(webinar.panel)
    index = next((i for i, m in enumerate(members) if m.id == member_id), None)
    if index is None:
        raise PanelError("That person is not on this panel")
    target = index + offset
    if 0 <= target < len(members):
        members[index], members[target] = members[target], members[index]
    for position, member in enumerate(members):
        member.position = position
    audit.record("panel.reordered", actor=actor, now=now, webinar=webinar)


def questions(webinar: Webinar, status: str | None = None) -> list[Registration]:
    query = (
        select(Registration)
        .where(Registration.webinar_id == webinar.id, Registration.question != "")
        .order_by(Registration.created_at, Registration.id)
    )
    if status:
        query = query.where(Registration.question_status == status)
    return list(db.session.scalars(query))


def set_question_status(
    webinar: Webinar, registration_id: int, status: str, actor: User, now: datetime
) -> None:
    if status not in list(QuestionStatus):
        raise PanelError("Choose a status")
    registration = access.row_of(
        webinar, Registration, registration_id, PanelError("That question is not on this webinar")
    )
    registration.question_status = status
    audit.record(
        "question.marked",
        actor=actor,
        now=now,
        webinar=webinar,
        registration=registration_id,
        status=status,
    )
