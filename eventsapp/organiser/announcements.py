"""Writing to registrants: announcements, and samples of the emails a webinar sends."""

from __future__ import annotations

from flask import abort, redirect, render_template, url_for
from werkzeug.wrappers import Response

from eventsapp import text
from eventsapp.extensions import db
from eventsapp.locales import ENGLISH, WELSH
from eventsapp.mail import render
from eventsapp.mail.outbox import EmailKind
from eventsapp.models import (
    Announcement,
    Audience,
    OutboxMessage,
    Registration,
    RegistrationStatus,
    Webinar,
)
from eventsapp.organiser import bp
from eventsapp.organiser.context import actor, apply, now, show_on_form, webinar_or_404
from eventsapp.organiser.forms import AnnouncementForm
from eventsapp.services import announcements
from eventsapp.services.announcements import AnnouncementError

# The emails that carry the organisers' note, as their samples are named in URLs.
NOTE_EMAILS = {
    "confirmation": EmailKind.CONFIRMATION,
    "reminder": EmailKind.REMINDER,
    "follow_up_attended": EmailKind.FOLLOW_UP_ATTENDED,
    "follow_up_missed": EmailKind.FOLLOW_UP_MISSED,
}


def _someone(webinar: Webinar, language: str = ENGLISH) -> Registration:
    """A registrant who is not real, for samples (never added to the database)."""
    return Registration(
        webinar=webinar,
        webinar_id=webinar.id,
        full_name="Alex Example",
        email="alex@example.com",
        status=RegistrationStatus.CONFIRMED,
        version=0,
        ical_sequence_offset=0,
        created_at=now(),
        language=language,
    )


@bp.route("/webinars/<int:webinar_id>/announcements", methods=["GET", "POST"])
def announcement_list(webinar_id: int) -> str | Response | tuple[str, int]:
    webinar = webinar_or_404(webinar_id)
    form = AnnouncementForm()
    reach = announcements.reach(webinar, now())
    form.audience.choices = [
        (a.value, f"{a.label.capitalize()} ({text.people(n)})") for a, n in reach.items()
    ]
    if form.validate_on_submit():
        try:
            draft = announcements.draft(
                webinar,
                Audience(form.audience.data),
                form.subject.data,
                form.body.data,
                actor(),
                now(),
                subject_cy=form.subject_cy.data or "",
                body_cy=form.body_cy.data or "",
            )
        except AnnouncementError as exc:
            show_on_form(form, exc, "subject_cy")
        else:
            db.session.commit()
            return redirect(
                url_for(".announcement", webinar_id=webinar_id, announcement_id=draft.id)
            )
    status = 400 if form.is_submitted() else 200
    everyone = announcements.recipients(webinar, Audience.EVERYONE)
    return render_template(
        "organiser/announcements.html",
        webinar=webinar,
        form=form,
        sent=[(a, Audience(a.audience)) for a in announcements.for_webinar(webinar)],
        reach=len(everyone),
        welsh=announcements.in_welsh(everyone),
    ), status


@bp.get("/webinars/<int:webinar_id>/announcements/<int:announcement_id>")
def announcement(webinar_id: int, announcement_id: int) -> str:
    """The preview: who it reaches, and the email as the first of them would get it."""
    webinar = webinar_or_404(webinar_id)
    found = announcements.find(webinar, announcement_id) or abort(404)
    people = announcements.recipients(webinar, Audience(found.audience))
    languages = [ENGLISH, WELSH] if found.has_welsh else [ENGLISH]
    return render_template(
        "organiser/announcement.html",
        webinar=webinar,
        announcement=found,
        audience=Audience(found.audience),
        reach=len(people),
        welsh=announcements.in_welsh(people),
        # (language, email): each version as the first person to get it would see it.
        emails=[(language, _sample(found, webinar, people, language)) for language in languages],
    )


def _sample(
    found: Announcement, webinar: Webinar, people: list[Registration], language: str
) -> render.RenderedEmail | None:
    """The email in `language` as the first person to get it in that language would see it
    (someone made up, when no one would)."""
    row = OutboxMessage(kind=EmailKind.ANNOUNCEMENT, context={"announcement_id": found.id})
    person = next(
        (p for p in people if render.email_language(EmailKind.ANNOUNCEMENT, p, row) == language),
        None,
    )
    return render.sample(
        EmailKind.ANNOUNCEMENT,
        person or _someone(webinar, language),
        now(),
        announcement_id=found.id,
    )


@bp.post("/webinars/<int:webinar_id>/announcements/<int:announcement_id>/send")
def send_announcement(webinar_id: int, announcement_id: int) -> Response:
    webinar = webinar_or_404(webinar_id)
    found = announcements.find(webinar, announcement_id) or abort(404)
    if apply(
        lambda: announcements.send(found, webinar, actor(), now()),
        "Sent. Each person gets it once; see the Emails page for each one's progress.",
    ):
        return redirect(url_for(".announcement_list", webinar_id=webinar_id))
    return redirect(
        url_for(".announcement", webinar_id=webinar_id, announcement_id=announcement_id)
    )


@bp.get(
    "/webinars/<int:webinar_id>/emails/sample/"
    "<any(confirmation, reminder, follow_up_attended, follow_up_missed):kind>"
)
def sample_email(webinar_id: int, kind: str) -> str:
    """What a registrant would get, with the organisers' note as saved."""
    webinar = webinar_or_404(webinar_id)
    email = render.sample(NOTE_EMAILS[kind], _someone(webinar), now(), offset=1440)
    return render_template(
        "organiser/email_sample.html", webinar=webinar, email=email, kinds=NOTE_EMAILS
    )
