"""Attendance: check-in by hand, and importing the platform's report."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_wtf.file import FileField, FileRequired
from werkzeug.wrappers import Response

from eventsapp import odd_input, text
from eventsapp.extensions import db
from eventsapp.form_fields import Form
from eventsapp.mail import render
from eventsapp.models import Webinar
from eventsapp.organiser import bp
from eventsapp.organiser.context import (
    actor,
    apply,
    audited_read,
    csv_download,
    now,
    webinar_or_404,
)
from eventsapp.request_limits import allows_upload
from eventsapp.services import attendance, feedback, follow_ups
from eventsapp.transactions import writes_on_get

REPORT_MAX_BYTES = 5 * 1024 * 1024


class ReportForm(Form):
    report = FileField(
        "Attendance report (CSV)", validators=[FileRequired("Choose the report file to upload")]
    )


def _page(webinar_id: int, form: ReportForm, status: int = 200) -> tuple[str, int]:
    webinar = webinar_or_404(webinar_id)
    search = request.args.get("q", "")[:200]
    rows = attendance.check_in_list(webinar, search)
    return (
        render_template(
            "organiser/attendance.html",
            webinar=webinar,
            rows=rows,
            search=search,
            attended=sum(1 for r in rows if r.attended),
            form=form,
            imports=attendance.imports(webinar),
            registrants=attendance.registrants_for_matching(webinar),
            ended=now() >= webinar.ends_at,
        ),
        status,
    )


@bp.get("/webinars/<int:webinar_id>/attendance")
def attendance_page(webinar_id: int) -> tuple[str, int]:
    return _page(webinar_id, ReportForm())


@bp.post("/webinars/<int:webinar_id>/attendance/<int:registration_id>/<any(checkin, undo):action>")
def check_in(webinar_id: int, registration_id: int, action: str) -> Response:
    webinar = webinar_or_404(webinar_id)

    minutes = request.form.get("minutes", "").strip()

    def check_in_then_catch_up() -> None:
        if action == "checkin":
            attendance.check_in(webinar, registration_id, actor(), now(), _minutes(minutes))
        else:
            attendance.undo_check_in(webinar, registration_id, actor(), now())
        _catch_up(webinar)

    apply(check_in_then_catch_up)
    return redirect(url_for(".attendance_page", webinar_id=webinar_id, q=request.args.get("q", "")))


@bp.post("/webinars/<int:webinar_id>/attendance/import")
@allows_upload(REPORT_MAX_BYTES)
def import_attendance(webinar_id: int) -> Response | tuple[str, int]:
    webinar = webinar_or_404(webinar_id)
    form = ReportForm()
    if not form.validate_on_submit():
        return _page(webinar_id, form, 400)
    try:
        record, new = attendance.import_report(webinar, form.report.data.read(), actor(), now())
    except attendance.AttendanceError as exc:
        db.session.rollback()
        form.report.errors = [f"{exc} Nothing was imported."]
        return _page(webinar_id, form, 400)
    _catch_up(webinar)
    db.session.commit()
    if new:
        flash(
            f"Imported the {record.source.title()} report: {record.matched} matched, "
            f"{len(record.unmatched)} to match by hand."
        )
    else:
        flash("This report was already imported. Nothing has changed.")
    return redirect(url_for(".attendance_page", webinar_id=webinar_id))


@bp.post("/webinars/<int:webinar_id>/attendance/imports/<int:import_id>/match")
def match_attendance(webinar_id: int, import_id: int) -> Response:
    webinar = webinar_or_404(webinar_id)
    key = request.form.get("key", "")
    registration_id = odd_input.row_id(request.form.get("registration_id")) or 0

    def match_then_catch_up() -> None:
        attendance.match_by_hand(webinar, import_id, key, registration_id, actor(), now())
        _catch_up(webinar)

    apply(match_then_catch_up, "Matched.")
    return redirect(url_for(".attendance_page", webinar_id=webinar_id))


def _minutes(text: str) -> int | None:
    """Blank is the whole session; anything else must be a whole number of minutes."""
    if not text:
        return None
    if not text.isdigit():
        raise attendance.AttendanceError("Enter the minutes as a number, like 45", "minutes")
    return int(text)


@bp.get("/webinars/<int:webinar_id>/attendance.csv")
@writes_on_get
def attendance_export(webinar_id: int) -> Response:
    webinar = webinar_or_404(webinar_id)
    body = audited_read(
        "attendance.exported", lambda: attendance.export_csv(webinar), webinar=webinar
    )
    return csv_download(body, f"{webinar.slug}-attendance.csv")


def _catch_up(webinar: Webinar) -> None:
    """Attendance changed: if the follow-ups went already, the newly attended are thanked."""
    db.session.flush()
    late = follow_ups.catch_up(webinar, now())
    if late:
        flash(f"{text.people(late)} newly counted as attending will get the thank-you email.")


@bp.post("/webinars/<int:webinar_id>/attendance/final")
def finalise_attendance(webinar_id: int) -> Response:
    webinar = webinar_or_404(webinar_id)
    if apply(lambda: follow_ups.finalise_attendance(webinar, actor(), now())):
        return redirect(url_for(".follow_ups_page", webinar_id=webinar_id))
    return redirect(url_for(".attendance_page", webinar_id=webinar_id))


@bp.route("/webinars/<int:webinar_id>/follow-ups", methods=["GET", "POST"])
def follow_ups_page(webinar_id: int) -> str | Response:
    """Who gets which follow-up, with a sample of each; the button sends them."""
    webinar = webinar_or_404(webinar_id)
    if request.method == "POST":
        queued: list[int] = []
        if apply(lambda: queued.append(follow_ups.send(webinar, actor(), now()))):
            flash(f"{text.people(queued[0])} will be emailed. No one is followed up twice.")
        return redirect(url_for(".attendance_page", webinar_id=webinar_id))
    todo = follow_ups.plan(webinar)
    samples = [
        (title, len(people), render.sample(kind, people[0], now()))
        for title, kind, people in (
            ("Thank you for joining", follow_ups.KINDS[0], todo.thank),
            ("Sorry we missed you", follow_ups.KINDS[1], todo.missed),
        )
        if people
    ]
    return render_template("organiser/follow_ups.html", webinar=webinar, plan=todo, samples=samples)


@bp.get("/webinars/<int:webinar_id>/feedback")
def feedback_summary(webinar_id: int) -> str:
    webinar = webinar_or_404(webinar_id)
    return render_template(
        "organiser/feedback.html", webinar=webinar, summary=feedback.summary(webinar)
    )
