"""Attendance: check-in by hand, and importing the platform's report."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_wtf.file import FileField, FileRequired
from werkzeug.wrappers import Response

from eventsapp.extensions import db
from eventsapp.form_fields import Form
from eventsapp.organiser import bp
from eventsapp.organiser.context import actor, apply, now, webinar_or_404
from eventsapp.request_limits import allows_upload
from eventsapp.services import attendance, feedback, follow_ups

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
        ),
        status,
    )


@bp.get("/webinars/<int:webinar_id>/attendance")
def attendance_page(webinar_id: int) -> tuple[str, int]:
    return _page(webinar_id, ReportForm())


@bp.post("/webinars/<int:webinar_id>/attendance/<int:registration_id>/<any(checkin, undo):action>")
def check_in(webinar_id: int, registration_id: int, action: str) -> Response:
    webinar = webinar_or_404(webinar_id)
    change = attendance.check_in if action == "checkin" else attendance.undo_check_in
    apply(lambda: change(webinar, registration_id, actor(), now()))
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
    registration_id = request.form.get("registration_id", type=int) or 0
    apply(
        lambda: attendance.match_by_hand(webinar, import_id, key, registration_id, actor(), now()),
        "Matched.",
    )
    return redirect(url_for(".attendance_page", webinar_id=webinar_id))


@bp.post("/webinars/<int:webinar_id>/follow-ups")
def send_follow_ups(webinar_id: int) -> Response:
    webinar = webinar_or_404(webinar_id)
    queued: list[int] = []
    if apply(lambda: queued.append(follow_ups.send(webinar, actor(), now()))):
        flash(f"{queued[0]} follow-up email(s) queued. No one is followed up twice.")
    return redirect(url_for(".attendance_page", webinar_id=webinar_id))


@bp.get("/webinars/<int:webinar_id>/feedback")
def feedback_summary(webinar_id: int) -> str:
    webinar = webinar_or_404(webinar_id)
    return render_template(
        "organiser/feedback.html", webinar=webinar, summary=feedback.summary(webinar)
    )
