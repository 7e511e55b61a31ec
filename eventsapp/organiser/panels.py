"""The speaker library, a webinar's panel, and registrants' questions for the panel."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from eventsapp import odd_input
from eventsapp.extensions import db
from eventsapp.models import QuestionStatus, Speaker
from eventsapp.organiser import bp
from eventsapp.organiser.context import (
    actor,
    apply,
    audited_read,
    csv_download,
    now,
    webinar_or_404,
)
from eventsapp.organiser.forms import AddPanellistForm, SpeakerForm, welsh_values
from eventsapp.request_limits import allows_upload
from eventsapp.services import images, panels, registrants, review
from eventsapp.services.errors import DomainError
from eventsapp.transactions import writes_on_get


@bp.get("/speakers")
def speakers() -> str:
    return render_template("organiser/speakers.html", speakers=panels.speakers())


def _speaker_or_404(speaker_id: int) -> Speaker:
    speaker = db.session.get(Speaker, speaker_id)
    if speaker is None:
        abort(404)
    return speaker


@bp.route("/speakers/new", methods=["GET", "POST"], defaults={"speaker_id": None})
@bp.route("/speakers/<int:speaker_id>/edit", methods=["GET", "POST"])
@allows_upload(images.MAX_BYTES + 64 * 1024)
def edit_speaker(speaker_id: int | None) -> str | BaseResponse | tuple[str, int]:
    speaker = _speaker_or_404(speaker_id) if speaker_id is not None else None
    form = SpeakerForm(obj=speaker)
    if form.validate_on_submit():
        try:
            photo_name = None
            upload = form.photo.data
            if upload:
                photo_name = images.store(upload.read(images.MAX_BYTES + 1), images.Kind.PHOTO)
            data = panels.SpeakerInput(
                name=form.name.data,
                professional_title=form.professional_title.data or "",
                organisation=form.organisation.data or "",
                bio=form.bio.data or "",
                **welsh_values(form),
            )
            saved = panels.save_speaker(
                speaker,
                data,
                actor(),
                now(),
                photo_filename=photo_name,
                remove_photo=form.remove_photo.data,
            )
        except DomainError as exc:
            db.session.rollback()
            form.photo.errors = [str(exc)]
        else:
            notes = saved.messages(actor())
            db.session.commit()
            flash("Speaker saved.")
            for note in notes:
                flash(note, "error")
            back = odd_input.row_id(request.args.get("back_to_webinar"))
            return redirect(url_for(".panel", webinar_id=back) if back else url_for(".speakers"))
    status = 400 if form.is_submitted() else 200
    return render_template("organiser/speaker_form.html", form=form, speaker=speaker), status


@bp.route("/webinars/<int:webinar_id>/panel", methods=["GET", "POST"])
def panel(webinar_id: int) -> str | BaseResponse | tuple[str, int]:
    webinar = webinar_or_404(webinar_id)
    form = AddPanellistForm()
    on_panel = {m.speaker_id for m in webinar.panel}
    form.speaker.choices = [(0, "Choose a speaker")] + [
        (s.id, f"{s.name}, {s.professional_title}" if s.professional_title else s.name)
        for s in panels.speakers()
        if s.id not in on_panel
    ]
    if form.validate_on_submit():
        speaker = db.session.get(Speaker, form.speaker.data)
        approved = review.counting(webinar)
        try:
            if speaker is None:
                raise panels.PanelError("Choose a speaker", "speaker")
            panels.add_to_panel(webinar, speaker, form.role.data, actor(), now())
        except panels.PanelError as exc:
            db.session.rollback()
            form.speaker.errors = [str(exc)]
        else:
            withdrawal = review.note_withdrawn(webinar, approved, actor(), now())
            db.session.commit()
            flash(f"{speaker.name} added to the panel.")
            if withdrawal:
                flash(withdrawal.message, "error")
            return redirect(url_for(".panel", webinar_id=webinar_id))
    status = 400 if form.is_submitted() else 200
    return render_template("organiser/panel.html", webinar=webinar, form=form), status


@bp.post("/webinars/<int:webinar_id>/panel/<int:member_id>/<any(up, down, remove):action>")
def change_panel(webinar_id: int, member_id: int, action: str) -> BaseResponse:
    webinar = webinar_or_404(webinar_id)
    approved = review.counting(webinar)
    try:
        if action == "remove":
            panels.remove_from_panel(webinar, member_id, actor(), now())
        else:
            panels.move(webinar, member_id, -1 if action == "up" else 1, actor(), now())
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        withdrawal = review.note_withdrawn(webinar, approved, actor(), now())
        db.session.commit()
        if withdrawal:
            flash(withdrawal.message, "error")
    return redirect(url_for(".panel", webinar_id=webinar_id))


@bp.get("/webinars/<int:webinar_id>/questions")
@writes_on_get
def questions(webinar_id: int) -> str:
    webinar = webinar_or_404(webinar_id)
    status = request.args.get("status", "")
    status = status if status in list(QuestionStatus) else ""
    rows = panels.questions(webinar, status or None)
    return audited_read(
        "questions.viewed",
        lambda: render_template(
            "organiser/questions.html",
            webinar=webinar,
            rows=rows,
            status=status,
            statuses=list(QuestionStatus),
        ),
        webinar=webinar,
    )


@bp.post("/webinars/<int:webinar_id>/questions/<int:registration_id>")
def mark_question(webinar_id: int, registration_id: int) -> BaseResponse:
    webinar = webinar_or_404(webinar_id)
    status = request.form.get("status", "")
    apply(lambda: panels.set_question_status(webinar, registration_id, status, actor(), now()))
    return redirect(
        url_for(".questions", webinar_id=webinar_id, status=request.args.get("status", ""))
    )


@bp.get("/webinars/<int:webinar_id>/questions.csv")
@writes_on_get
def export_questions(webinar_id: int) -> Response:
    webinar = webinar_or_404(webinar_id)
    rows = [r for r in panels.questions(webinar) if r.question_status != QuestionStatus.HIDDEN]
    body = audited_read(
        "questions.exported",
        lambda: registrants.export_questions_csv(rows),
        webinar=webinar,
        rows=len(rows),
    )
    return csv_download(body, f"{webinar.slug}-questions.csv")
