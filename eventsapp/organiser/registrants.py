"""Registrants of a webinar, and the emails sent to them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import Response, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from eventsapp.mail.render import render
from eventsapp.models import AUDIENCES, OutboxStatus, RegistrationStatus, User, Webinar
from eventsapp.models.communication_needs import CommunicationNeed
from eventsapp.organiser import bp
from eventsapp.organiser.context import (
    actor,
    apply,
    audited_read,
    csv_download,
    now,
    webinar_or_404,
)
from eventsapp.services import email_log, registrants
from eventsapp.services import registration as registrations
from eventsapp.services.registrants import RegistrantError
from eventsapp.transactions import writes_on_get


def _filters() -> registrants.Filters:
    args = request.args
    status = args.get("status", "")
    audience = args.get("audience", "")
    marketing = args.get("marketing", "")
    need = args.get("need", "")
    return registrants.Filters(
        search=args.get("q", "")[:200],
        status=status if status in list(RegistrationStatus) else "",
        audience=audience if audience in AUDIENCES or audience == "unstated" else "",
        marketing=marketing if marketing in ("any", "none") else "",
        need=need if need in list(CommunicationNeed) else "",
    )


@bp.get("/webinars/<int:webinar_id>/registrants")
@writes_on_get
def registrant_list(webinar_id: int) -> str:
    webinar = webinar_or_404(webinar_id)
    filters = _filters()
    rows = registrants.search(webinar, filters)
    return audited_read(
        "registrants.viewed",
        lambda: render_template(
            "organiser/registrants.html",
            webinar=webinar,
            rows=rows,
            filters=filters,
            counts=registrants.counts(webinar),
            statuses=list(RegistrationStatus),
            audiences=AUDIENCES,
            needs=list(CommunicationNeed),
        ),
        webinar=webinar,
        rows=len(rows),
    )


@bp.get("/webinars/<int:webinar_id>/registrants.csv")
@writes_on_get
def export_registrants(webinar_id: int) -> Response:
    webinar = webinar_or_404(webinar_id)
    rows = registrants.search(webinar, _filters())
    body = audited_read(
        "registrants.exported",
        lambda: registrants.export_csv(webinar, rows),
        webinar=webinar,
        rows=len(rows),
    )
    return csv_download(body, f"{webinar.slug}-registrants.csv")


def _registrant_action(
    webinar_id: int,
    registration_id: int,
    change: Callable[[Webinar, int, User, datetime], object],
    done: str,
) -> BaseResponse:
    webinar = webinar_or_404(webinar_id)
    apply(lambda: change(webinar, registration_id, actor(), now()), done)
    return redirect(url_for(".registrant_list", webinar_id=webinar_id))


@bp.post("/webinars/<int:webinar_id>/registrants/<int:registration_id>/promote")
def promote_registrant(webinar_id: int, registration_id: int) -> BaseResponse:
    return _registrant_action(
        webinar_id,
        registration_id,
        registrants.promote,
        "They now have a place and will be emailed an invitation.",
    )


@bp.get("/webinars/<int:webinar_id>/registrants/<int:registration_id>/cancel")
def confirm_cancel_registrant(webinar_id: int, registration_id: int) -> str | BaseResponse:
    """A page of its own first: cancelling emails them and cannot be undone."""
    webinar = webinar_or_404(webinar_id)
    try:
        registration = registrants.registration_in(webinar, registration_id)
    except RegistrantError:
        abort(404)
    if registration.status == RegistrationStatus.CANCELLED:
        flash("That registration is already cancelled.")
        return redirect(url_for(".registrant_list", webinar_id=webinar_id))
    return render_template(
        "organiser/cancel_registrant.html",
        webinar=webinar,
        registration=registration,
        place_goes_on=registrations.place_goes_to_someone_waiting(registration),
    )


@bp.post("/webinars/<int:webinar_id>/registrants/<int:registration_id>/cancel")
def cancel_registrant(webinar_id: int, registration_id: int) -> BaseResponse:
    return _registrant_action(
        webinar_id,
        registration_id,
        registrants.cancel_for,
        "The registration is cancelled and they will be told by email.",
    )


@bp.get("/webinars/<int:webinar_id>/emails")
def emails(webinar_id: int) -> str:
    webinar = webinar_or_404(webinar_id)
    status = request.args.get("status", "")
    status = status if status in list(OutboxStatus) else ""
    return render_template(
        "organiser/emails.html",
        webinar=webinar,
        rows=email_log.for_webinar(webinar, status),
        status=status,
        statuses=list(OutboxStatus),
    )


@bp.post("/webinars/<int:webinar_id>/emails/<int:message_id>/resend")
def resend_email(webinar_id: int, message_id: int) -> BaseResponse:
    webinar = webinar_or_404(webinar_id)
    apply(
        lambda: email_log.resend(webinar, message_id, actor(), now()),
        "The email is queued to be sent again.",
    )
    return redirect(url_for(".emails", webinar_id=webinar_id))


@bp.get("/webinars/<int:webinar_id>/emails/<int:message_id>")
def preview_email(webinar_id: int, message_id: int) -> str:
    webinar = webinar_or_404(webinar_id)
    try:
        row = email_log.message_in(webinar, message_id)
    except email_log.EmailLogError:
        abort(404)
    email = render(row, row.sent_at or now(), preview=True)
    if email is None:
        abort(404)
    return render_template(
        "organiser/email_preview.html",
        webinar=webinar,
        row=row,
        email=email,
        ical=email.ical.decode() if email.ical else None,
    )
