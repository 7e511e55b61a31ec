"""Sign-off before publishing: a reviewer of every host organisation approves the content.

Health-information standards, and the rules on promoting prescription-only medicines to
the public, ask for a named reviewer of what the public reads. An approval counts while
the public content is what the reviewer saw (its fingerprint matches): one rule, however
the content changed (the webinar form, the panel, a speaker's biography).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from eventsapp import uktime
from eventsapp.mail import outbox
from eventsapp.mail.outbox import EmailKind
from eventsapp.models import Approval, Organisation, User, Webinar, WebinarStatus
from eventsapp.services import audit
from eventsapp.services.errors import DomainError


class ReviewError(DomainError):
    pass


# The organisers' words a reviewer approves; their Welsh twins (`<name>_cy`,
# locales.words) are published content too.
_WEBINAR_WORDS = ("title", "summary", "description")
_SPEAKER_WORDS = ("professional_title", "bio")
# Words that reach the public only when written: the note every registrant reads in their
# emails, and its Welsh twin.
_WEBINAR_EXTRAS = ("email_note", "email_note_cy")


def _given(owner: object, names: Iterable[str]) -> dict[str, str]:
    """The words written, blank ones left out: content without them hashes as it did before
    they were reviewed content (Welsh; the email note), so approvals given then still count."""
    # Blank as locales.words() sees it: whitespace shows nothing, so it withdraws nothing.
    return {name: value for name in names if (value := getattr(owner, name) or "").strip()}


def _welsh(owner: object, names: tuple[str, ...]) -> dict[str, str]:
    """The Welsh versions there are."""
    return _given(owner, (f"{name}_cy" for name in names))


def fingerprint(webinar: Webinar) -> str:
    """What a reviewer approves: the title, summary, description, panel and times, the
    Welsh versions of the words when there are any, and the note in the emails if written."""
    panel = []
    for m in sorted(webinar.panel, key=lambda m: (m.position, m.id or 0)):
        member: list[object] = [
            m.role,
            m.speaker.name,
            m.speaker.professional_title,
            m.speaker.organisation,
            m.speaker.bio,
            m.speaker.photo_filename,
        ]
        if welsh := _welsh(m.speaker, _SPEAKER_WORDS):
            member.append(welsh)
        panel.append(member)
    content = {
        **{name: getattr(webinar, name) for name in _WEBINAR_WORDS},
        "starts_at": webinar.starts_at.isoformat(),
        "duration_minutes": webinar.duration_minutes,
        "panel": panel,
        **_welsh(webinar, _WEBINAR_WORDS),
        **_given(webinar, _WEBINAR_EXTRAS),
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def current(webinar: Webinar) -> list[Approval]:
    """The approvals that still count, one per host organisation at most."""
    hosts = {h.id for h in webinar.hosts}
    now_hash = fingerprint(webinar)
    return [
        a for a in webinar.approvals if a.content_hash == now_hash and a.organisation_id in hosts
    ]


def reviewed_by(webinar: Webinar) -> str | None:
    """The public page's line: "Reviewed by Rita Shah, Meadowbank Clinic, 30 November 2026"."""
    approvals = current(webinar)
    if not approvals:
        return None
    signed = [
        f"{a.reviewer_name}, {a.organisation.name}, {uktime.to_uk(a.approved_at):%-d %B %Y}"
        for a in approvals
    ]
    return "Reviewed by " + "; and ".join(signed)


def withdrawn(webinar: Webinar) -> list[Approval]:
    """Approvals given before the content last changed: a record, no longer counting."""
    counting = {a.id for a in current(webinar)}
    return [a for a in webinar.approvals if a.id not in counting]


@dataclass(frozen=True)
class HostReview:
    organisation: Organisation
    approval: Approval | None  # counting now
    withdrawn: Approval | None  # given, then the content changed


def by_host(webinar: Webinar) -> list[HostReview]:
    """Each host organisation and where its sign-off stands, for the organisers' page."""
    counting_now = {a.organisation_id: a for a in current(webinar)}
    earlier = {a.organisation_id: a for a in withdrawn(webinar)}
    return [
        HostReview(host, counting_now.get(host.id), earlier.get(host.id)) for host in webinar.hosts
    ]


def missing(webinar: Webinar) -> list[Organisation]:
    approved = {a.organisation_id for a in current(webinar)}
    return [h for h in webinar.hosts if h.id not in approved]


def can_approve(user: User, webinar: Webinar) -> bool:
    return user.is_reviewer and user.organisation_id in {h.id for h in webinar.hosts}


def approve(webinar: Webinar, actor: User, now: datetime) -> None:
    if not can_approve(actor, webinar):
        raise ReviewError("Only a reviewer of a host organisation can approve this webinar")
    content_hash = fingerprint(webinar)  # before any change: it may load (and so flush)
    approval = next(
        (a for a in webinar.approvals if a.organisation_id == actor.organisation_id), None
    )
    if approval is None:
        approval = Approval(organisation_id=actor.organisation_id)
        webinar.approvals.append(approval)
    approval.user_id, approval.reviewer_name = actor.id, actor.name
    approval.content_hash, approval.approved_at = content_hash, now
    audit.record(
        "webinar.approved",
        actor=actor,
        now=now,
        webinar=webinar,
        organisation=actor.organisation_id,
    )


def require_all(webinar: Webinar) -> None:
    """Refuse, naming who has still to approve, unless every host organisation has."""
    waiting = missing(webinar)
    if waiting:
        names = " and ".join(o.name for o in waiting)
        raise ReviewError(
            f"It needs approval from a reviewer at {names} before it can be published"
        )


@dataclass(frozen=True)
class Withdrawal:
    organisations: list[str]

    @property
    def message(self) -> str:
        names = " and ".join(self.organisations)
        return (
            f"This change withdrew the approval of {names}. A reviewer needs to approve it again."
        )


def note_withdrawn(
    webinar: Webinar, before: set[int], actor: User, now: datetime
) -> Withdrawal | None:
    """After a change: approvals that counted before and do not now, audited and named."""
    after = {a.organisation_id for a in current(webinar)}
    gone = [h for h in webinar.hosts if h.id in before - after]
    if not gone:
        return None
    audit.record(
        "webinar.approvals_withdrawn",
        actor=actor,
        now=now,
        webinar=webinar,
        organisations=[{"id": o.id, "name": o.name} for o in gone],
    )
    if webinar.status == WebinarStatus.PUBLISHED and now < webinar.ends_at:
        # The public reads it unreviewed meanwhile: the other reviewers hear, once for each
        # approval lost (a later edit withdraws nothing more until it is approved again).
        lost = {o.id for o in gone}
        for approval in webinar.approvals:
            if approval.organisation_id in lost:
                outbox.notify_organisers(
                    EmailKind.REVIEW_NEEDED,
                    [approval.organisation_id],
                    webinar,
                    now,
                    key={"about": webinar.id, "approved": approval.approved_at},
                    reviewers_only=True,
                    but=actor,  # who changed it knows
                    changed_by=actor.name,
                )
    return Withdrawal([o.name for o in gone])


def counting(webinar: Webinar) -> set[int]:
    """Host organisations whose approval counts now (to compare after a change)."""
    return {a.organisation_id for a in current(webinar)}
