"""The shared speaker library, webinar panels, and registrants' questions for the panel."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

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
from eventsapp.services import access, audit, review, webinar_lifecycle
from eventsapp.services.errors import DomainError


class PanelError(DomainError):
    pass


@dataclass
class SpeakerInput:
    name: str
    professional_title: str = ""
    organisation: str = ""
    bio: str = ""
    # Welsh twins (models/speaker.py); empty shows the English on Welsh pages.
    professional_title_cy: str = ""
    bio_cy: str = ""


def speakers() -> list[Speaker]:
    return list(db.session.scalars(select(Speaker).order_by(func.lower(Speaker.name))))


@dataclass
class SpeakerSaved:
    """What saving a speaker did to the webinars they are on: approvals it withdrew (the
    library is shared, so an edit can change another organisation's page)."""

    withdrawn: list[tuple[Webinar, review.Withdrawal]]

    def messages(self, actor: User) -> list[str]:
        """For the one who saved: the webinars they manage by title; the others unnamed (an
        organisation's webinars are not shown to the other)."""
        mine = {w.id for w in db.session.scalars(access.manageable_webinars(actor))}
        named = [f"“{w.title}”: {gone.message}" for w, gone in self.withdrawn if w.id in mine]
        if any(w.id not in mine for w, _ in self.withdrawn):
            named.append(
                "This speaker is also on webinars of another organisation: your change "
                "withdrew their approval too, and their reviewers need to approve it again."
            )
        return named


def save_speaker(
    speaker: Speaker | None,
    data: SpeakerInput,
    actor: User,
    now: datetime,
    photo_filename: str | None = None,
    remove_photo: bool = False,
) -> SpeakerSaved:
    if speaker is None:
        speaker = Speaker()
        db.session.add(speaker)
        action = "speaker.created"
        shown_on: list[Webinar] = []
    else:
        action = "speaker.updated"
        # With what their fingerprints read, loaded together rather than webinar by webinar.
        shown_on = list(
            db.session.scalars(
                select(Webinar)
                .join(PanelMember)
                .where(PanelMember.speaker_id == speaker.id)
                .options(
                    selectinload(Webinar.panel),
                    selectinload(Webinar.approvals),
                    selectinload(Webinar.hosts),
                )
            )
        )
    approved = {w.id: review.counting(w) for w in shown_on}
    for field in fields(SpeakerInput):
        setattr(speaker, field.name, getattr(data, field.name))
    if photo_filename:
        speaker.photo_filename = photo_filename
    elif remove_photo:
        speaker.photo_filename = None
    db.session.flush()
    audit.record(action, actor=actor, now=now, speaker=speaker.id)
    withdrawn = [
        (webinar, gone)
        for webinar in shown_on
        if (gone := review.note_withdrawn(webinar, approved[webinar.id], actor, now))
        and now < webinar.ends_at  # a past webinar's is audited, not worth a word
    ]
    return SpeakerSaved(withdrawn)


def add_to_panel(webinar: Webinar, speaker: Speaker, role: str, actor: User, now: datetime) -> None:
    if role not in list(PanelRole):
        raise PanelError("Choose a role", "role")
    if any(m.speaker_id == speaker.id for m in webinar.panel):
        raise PanelError(f"{speaker.name} is already on this panel", "speaker")
    position = max((m.position for m in webinar.panel), default=-1) + 1
    webinar.panel.append(PanelMember(speaker=speaker, role=role, position=position))
    webinar_lifecycle.announce_change(webinar, ["panel"], now)
    audit.record("panel.added", actor=actor, now=now, webinar=webinar, speaker=speaker.id)


def remove_from_panel(webinar: Webinar, member_id: int, actor: User, now: datetime) -> None:
    member = next((m for m in webinar.panel if m.id == member_id), None)
    if member is None:
        raise PanelError("That person is not on this panel")
    webinar.panel.remove(member)
    webinar_lifecycle.announce_change(webinar, ["panel"], now)
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
    webinar_lifecycle.announce_change(webinar, ["panel"], now)
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
