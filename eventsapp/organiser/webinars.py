"""Webinars: list, create, edit, preview, publish, close, cancel, duplicate, delete."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import current_app, flash, redirect, render_template, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from eventsapp import locales, text, uktime
from eventsapp.extensions import db
from eventsapp.models import Organisation, Webinar, WebinarStatus
from eventsapp.organiser import bp
from eventsapp.organiser.context import actor, apply, now, webinar_or_404
from eventsapp.organiser.forms import CancelWebinarForm, WebinarForm, welsh_values
from eventsapp.services import (
    access,
    communication_needs,
    content,
    platform_calls,
    registrants,
    review,
    webinars,
)
from eventsapp.services import webinar_lifecycle as lifecycle
from eventsapp.services.text_reminders import counts as text_reminder_counts


def _organisations() -> list[Organisation]:
    return list(db.session.scalars(select(Organisation).order_by(Organisation.id)))


def _utc(form: WebinarForm, date_field: str, time_field: str) -> datetime | None:
    """A UK date and time from the form in UTC; a DST gap or fold becomes a form error."""
    day, wall = form[date_field].data, form[time_field].data
    if day is None and wall is None:
        return None
    if day is None or wall is None:
        form[date_field if day is None else time_field].errors.append(
            "Enter both a date and a time"
        )
        return None
    try:
        return uktime.uk_to_utc(day, wall)
    except uktime.LocalTimeError as exc:
        form[time_field].errors.append(str(exc))
        return None


def _input(form: WebinarForm) -> lifecycle.WebinarInput | None:
    starts_at = _utc(form, "start_date", "start_time")
    closes_at = _utc(form, "closes_date", "closes_time")
    if starts_at is None or any(form[name].errors for name in ("closes_date", "closes_time")):
        return None
    return lifecycle.WebinarInput(
        title=form.title.data,
        slug=form.slug.data or "",
        summary=form.summary.data or "",
        description=form.description.data or "",
        starts_at=starts_at,
        duration_minutes=form.duration_minutes.data,
        capacity=form.capacity.data if form.capacity.data is not None else 0,
        waitlist_enabled=form.waitlist_enabled.data,
        registration_closes_at=closes_at,
        host_ids=list(form.hosts.data or []),
        join_url=form.join_url.data or None,
        recording_url=form.recording_url.data or None,
        zoom_webinar_id=form.zoom_webinar_id.data or None,
        teams_webinar_id=form.teams_webinar_id.data or None,
        email_note=form.email_note.data or "",
        reminder_offsets=list(form.reminders.data or []),
        dial_in_numbers=form.dial_in_numbers.data or "",
        dial_in_meeting_id=form.dial_in_meeting_id.data or "",
        dial_in_passcode=form.dial_in_passcode.data or "",
        needs_offered=list(form.needs_offered.data or []),
        **welsh_values(form),
        **(
            {"needs_booking_days": form.needs_booking_days.data}
            if form.needs_booking_days.data is not None
            else {}
        ),
    )


def _fill(form: WebinarForm, data: lifecycle.WebinarInput) -> None:
    local = uktime.to_uk(data.starts_at)
    form.title.data, form.slug.data = data.title, data.slug
    form.summary.data, form.description.data = data.summary, data.description
    form.start_date.data, form.start_time.data = local.date(), local.time()
    form.duration_minutes.data, form.capacity.data = data.duration_minutes, data.capacity
    form.waitlist_enabled.data = data.waitlist_enabled
    if data.registration_closes_at:
        closes = uktime.to_uk(data.registration_closes_at)
        form.closes_date.data, form.closes_time.data = closes.date(), closes.time()
    form.hosts.data = data.host_ids
    form.join_url.data, form.recording_url.data = data.join_url, data.recording_url
    form.zoom_webinar_id.data = data.zoom_webinar_id
    form.teams_webinar_id.data = data.teams_webinar_id
    form.reminders.data = data.reminder_offsets
    form.email_note.data = data.email_note
    for name in welsh_values(form):
        form[name].data = getattr(data, name)
    form.dial_in_numbers.data = data.dial_in_numbers
    form.dial_in_meeting_id.data = data.dial_in_meeting_id
    form.dial_in_passcode.data = data.dial_in_passcode
    _fill_needs(form, data)


def _fill_needs(form: WebinarForm, data: lifecycle.WebinarInput) -> None:
    """What it offers; a new webinar starts from WebinarInput's defaults (every need)."""
    form.needs_offered.data = list(data.needs_offered)
    form.needs_booking_days.data = data.needs_booking_days


def _apply_error(form: WebinarForm, exc: ValueError) -> None:
    field = getattr(exc, "field", None)
    target = form[field] if field and field in form else form.title
    target.errors.append(str(exc))


def _form_page(form: WebinarForm, webinar: Webinar | None, status: int) -> tuple[str, int]:
    return render_template(
        "organiser/webinar_form.html",
        form=form,
        webinar=webinar,
        reading_hint=content.reading_hint(form.description.data or ""),
    ), status


@bp.get("/")
def dashboard() -> str:
    user = actor()
    rows = db.session.scalars(
        access.manageable_webinars(user)
        .options(selectinload(Webinar.hosts))
        .order_by(Webinar.starts_at.desc())
    )
    current = now()
    items = [(w, webinars.availability(w, current)) for w in rows]
    return render_template("organiser/dashboard.html", items=items)


@bp.route("/webinars/new", methods=["GET", "POST"])
def create_webinar() -> str | Response | tuple[str, int]:
    form = WebinarForm()
    form.set_hosts(_organisations())
    if not form.is_submitted():
        user = actor()
        form.hosts.data = [user.organisation_id] if user.organisation_id else []
        form.reminders.data = list(lifecycle.DEFAULT_REMINDERS)
        form.duration_minutes.data, form.capacity.data = 60, 100
        form.waitlist_enabled.data = True
        _fill_needs(form, lifecycle.WebinarInput("", now(), 60, 100, []))
    elif form.validate() and (data := _input(form)) is not None:
        try:
            webinar = lifecycle.create(data, actor(), now())
        except lifecycle.WebinarError as exc:
            db.session.rollback()
            _apply_error(form, exc)
        else:
            db.session.commit()
            flash("Draft saved. Add the panel, preview it, then publish.")
            return redirect(url_for(".webinar", webinar_id=webinar.id))
    status = 400 if form.is_submitted() else 200
    return _form_page(form, None, status)


@bp.get("/webinars/<int:webinar_id>")
def webinar(webinar_id: int) -> str:
    webinar = webinar_or_404(webinar_id)
    user = actor()
    return render_template(
        "organiser/webinar.html",
        webinar=webinar,
        state=webinars.availability(webinar, now()),
        counts=registrants.counts(webinar),
        can_delete=lifecycle.can_delete(webinar),
        reviews=review.by_host(webinar),
        can_approve=review.can_approve(user, webinar)
        and user.organisation_id in {o.id for o in review.missing(webinar)},
        can_stop_cohosting=not user.is_admin and len(webinar.hosts) > 1,
        zoom_calls=platform_calls.summary(webinar),
        can_create_on_zoom=platform_calls.can_create_on_zoom(webinar, _zoom_configured()),
        texts=text_reminder_counts(webinar.id),
        needs=communication_needs.summary(webinar),
        needs_booking_at=communication_needs.booking_due_at(webinar),
        booking_due=communication_needs.booking_due_at(webinar) <= now(),
    )


def _zoom_configured() -> bool:
    cfg = current_app.config
    return all(cfg.get(n) for n in ("ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET"))


@bp.post("/webinars/<int:webinar_id>/zoom/create")
def create_zoom_webinar(webinar_id: int) -> Response:
    webinar = webinar_or_404(webinar_id)
    if not _zoom_configured():
        flash("Zoom is not set up for this site, so a Zoom webinar cannot be created.", "error")
    elif platform_calls.create_on_zoom(webinar, actor(), now()):
        db.session.commit()
        flash(
            "A Zoom webinar is being created, with registration required and manual approval. "
            "Its ID appears here once Zoom has made it; everyone with a place is then added."
        )
    else:
        db.session.rollback()
        flash("Nothing to do: a Zoom webinar is already linked or on its way.")
    return redirect(url_for(".webinar", webinar_id=webinar_id))


@bp.post("/webinars/<int:webinar_id>/zoom/retry")
def retry_zoom_calls(webinar_id: int) -> Response:
    webinar = webinar_or_404(webinar_id)
    retried = platform_calls.retry_failed(webinar, actor(), now())
    db.session.commit()
    platform = "Teams" if webinar.teams_webinar_id else "Zoom"
    flash(
        f"{retried} {platform} call{'' if retried == 1 else 's'} queued again."
        if retried
        else f"No failed {platform} calls to retry."
    )
    return redirect(url_for(".webinar", webinar_id=webinar_id))


@bp.post("/webinars/<int:webinar_id>/approve")
def approve_webinar(webinar_id: int) -> Response:
    return _act(
        webinar_id,
        lambda w: review.approve(w, actor(), now()),
        "Approved. Your name, organisation and today's date show on the public page.",
    )


@bp.post("/webinars/<int:webinar_id>/stop-cohosting")
def stop_cohosting(webinar_id: int) -> Response:
    webinar = webinar_or_404(webinar_id)
    if apply(
        lambda: lifecycle.stop_cohosting(webinar, actor(), now()),
        "Your organisation no longer co-hosts that webinar. The other host has been told.",
    ):
        return redirect(url_for(".dashboard"))
    return redirect(url_for(".webinar", webinar_id=webinar_id))


@bp.route("/webinars/<int:webinar_id>/edit", methods=["GET", "POST"])
def edit_webinar(webinar_id: int) -> str | Response | tuple[str, int]:
    webinar = webinar_or_404(webinar_id)
    form = WebinarForm()
    form.set_hosts(_organisations())
    if not form.is_submitted():
        _fill(form, lifecycle.input_from(webinar))
    elif form.validate() and (data := _input(form)) is not None:
        approved = review.counting(webinar)
        try:
            updated = lifecycle.update(webinar, data, actor(), now())
        except lifecycle.WebinarError as exc:
            db.session.rollback()
            _apply_error(form, exc)
        else:
            withdrawal = review.note_withdrawn(webinar, approved, actor(), now())
            db.session.commit()
            if not updated.changed:
                flash("Nothing had changed.")
            elif updated.emailed:
                flash(
                    f"Saved. {text.people(updated.emailed).capitalize()} will be emailed the "
                    "change, with an updated calendar invitation."
                )
            else:
                flash("Saved.")
            if "recording_url" in updated.changed and webinar.recording_url:
                flash(_recording_note(webinar))
            if withdrawal:
                flash(withdrawal.message, "error")
            return redirect(url_for(".webinar", webinar_id=webinar_id))
    status = 400 if form.is_submitted() else 200
    return _form_page(form, webinar, status)


@bp.get("/webinars/<int:webinar_id>/preview")
def preview_webinar(webinar_id: int) -> str:
    """The public page as the public would see it (drafts included), without the form."""
    webinar = webinar_or_404(webinar_id)
    return render_template(
        "organiser/preview.html",
        webinar=webinar,
        description_html=content.render_markdown(webinar.description),
        state=webinars.availability(webinar, now()),
        # What the Welsh page shows (locales.words): reviewers approve it too.
        welsh_description_html=content.render_markdown(
            locales.words(webinar, "description", locales.WELSH)
        ),
        # The note every registrant reads in their emails: reviewed content too.
        note_html=content.render_markdown(webinar.email_note),
        welsh_note_html=content.render_markdown(webinar.email_note_cy),
    )


def _act(webinar_id: int, change: Callable[[Webinar], object], done: str) -> Response:
    webinar = webinar_or_404(webinar_id)
    apply(lambda: change(webinar), done)
    return redirect(url_for(".webinar", webinar_id=webinar_id))


@bp.post("/webinars/<int:webinar_id>/publish")
def publish_webinar(webinar_id: int) -> Response:
    return _act(
        webinar_id,
        lambda w: lifecycle.publish(w, actor(), now()),
        "Published: the webinar is on the public site.",
    )


@bp.post("/webinars/<int:webinar_id>/close")
def close_registration(webinar_id: int) -> Response:
    return _act(
        webinar_id,
        lambda w: lifecycle.set_registration_open(w, False, actor(), now()),
        "Registration is closed.",
    )


@bp.post("/webinars/<int:webinar_id>/reopen")
def reopen_registration(webinar_id: int) -> Response:
    return _act(
        webinar_id,
        lambda w: lifecycle.set_registration_open(w, True, actor(), now()),
        "Registration is open again.",
    )


@bp.route("/webinars/<int:webinar_id>/cancel", methods=["GET", "POST"])
def cancel_webinar(webinar_id: int) -> str | Response | tuple[str, int]:
    """A page of its own that says how many people will be emailed, then a confirm."""
    webinar = webinar_or_404(webinar_id)
    if webinar.status == WebinarStatus.CANCELLED:
        flash("This webinar is already cancelled.")
        return redirect(url_for(".webinar", webinar_id=webinar_id))
    form = CancelWebinarForm()
    if form.validate_on_submit():
        queued = lifecycle.cancel(webinar, form.message.data, actor(), now())
        db.session.commit()
        flash(f"The webinar is cancelled. {text.people(queued)} will be emailed.")
        return redirect(url_for(".webinar", webinar_id=webinar_id))
    counts = registrants.counts(webinar)
    to_email = (
        counts.confirmed + counts.waitlisted if webinar.status == WebinarStatus.PUBLISHED else 0
    )
    status = 400 if form.is_submitted() else 200
    return render_template(
        "organiser/cancel_webinar.html", webinar=webinar, form=form, to_email=text.people(to_email)
    ), status


def _recording_note(webinar: Webinar) -> str:
    if webinar.follow_ups_sent_at:
        return (
            "The recording link is saved. The follow-ups went before it, so tell people "
            "with an announcement."
        )
    return (
        "The recording link is saved. The follow-up emails carry it when you send them "
        "from the Attendance page, once the attendance is complete."
    )


@bp.post("/webinars/<int:webinar_id>/duplicate")
def duplicate_webinar(webinar_id: int) -> Response:
    webinar = webinar_or_404(webinar_id)
    copy = lifecycle.duplicate(webinar, actor(), now())
    db.session.commit()
    flash("A copy has been made as a draft, one week later. Check the date and details.")
    return redirect(url_for(".edit_webinar", webinar_id=copy.id))


@bp.get("/webinars/<int:webinar_id>/delete")
def confirm_delete_webinar(webinar_id: int) -> str:
    """A page of its own first: a deleted draft, and all that was written in it, is gone
    (or, for one that cannot be deleted, why not and what to do instead)."""
    webinar = webinar_or_404(webinar_id)
    return render_template(
        "organiser/delete_webinar.html", webinar=webinar, can_delete=lifecycle.can_delete(webinar)
    )


@bp.post("/webinars/<int:webinar_id>/delete")
def delete_webinar(webinar_id: int) -> Response:
    webinar = webinar_or_404(webinar_id)
    if apply(lambda: lifecycle.delete(webinar, actor(), now()), "The draft has been deleted."):
        return redirect(url_for(".dashboard"))
    return redirect(url_for(".webinar", webinar_id=webinar_id))
