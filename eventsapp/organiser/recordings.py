"""A webinar's recording: its link, captions (WebVTT), transcript and chapters; publishing."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_wtf.file import FileField
from werkzeug.wrappers import Response as BaseResponse
from wtforms import StringField, TextAreaField

from eventsapp.extensions import db
from eventsapp.form_fields import Form, one_line, strip
from eventsapp.organiser import bp
from eventsapp.organiser.context import actor, now, webinar_or_404
from eventsapp.organiser.forms import HTTPS_URL
from eventsapp.request_limits import allows_upload
from eventsapp.services import recordings, webinars
from eventsapp.services.recordings import RecordingError

# The captions (2 MB at most) as a file or pasted, with the transcript and the rest.
RECORDING_MAX_BYTES = 5 * 1024 * 1024


class RecordingForm(Form):
    recording_url = StringField("Recording link", filters=[one_line], validators=HTTPS_URL)
    captions_file = FileField("Captions file (WebVTT)")
    captions_text = TextAreaField("Or paste the captions", filters=[strip])
    transcript = TextAreaField("Transcript", filters=[strip])
    chapters = TextAreaField("Chapters (optional)", filters=[strip])


def _new_captions(form: RecordingForm) -> bytes | None:
    """The captions sent with this save, from the file or the box; None keeps the saved."""
    upload = form.captions_file.data
    if upload is not None and getattr(upload, "filename", ""):
        return bytes(upload.read())
    if form.captions_text.data:
        return form.captions_text.data.encode()
    return None


def _page(webinar_id: int, form: RecordingForm, status: int = 200) -> tuple[str, int]:
    webinar = webinar_or_404(webinar_id)
    recording = recordings.for_webinar(webinar)
    ended = now() >= webinar.ends_at
    return (
        render_template(
            "organiser/recording.html",
            webinar=webinar,
            recording=recording,
            form=form,
            captions=recordings.captions_summary(recording.captions) if recording else None,
            ended=ended,
            missing=recordings.missing_for_publishing(webinar, recording),
            in_words=recordings.in_words,
            public_url=url_for("public.recording", slug=webinar.slug),
        ),
        status,
    )


@bp.route("/webinars/<int:webinar_id>/recording", methods=["GET", "POST"])
@allows_upload(RECORDING_MAX_BYTES)
def recording(webinar_id: int) -> tuple[str, int] | BaseResponse:
    webinar = webinar_or_404(webinar_id)
    form = RecordingForm()
    if request.method == "GET":
        saved = recordings.for_webinar(webinar)
        form.recording_url.data = webinar.recording_url or ""
        form.transcript.data = saved.transcript if saved else ""
        form.chapters.data = recordings.chapters_as_text(saved)
        return _page(webinar_id, form)
    checked = form.validate()
    data = recordings.RecordingInput(
        recording_url=form.recording_url.data or None,
        transcript=form.transcript.data or "",
        chapters=form.chapters.data or "",
        captions=_new_captions(form),
        errors={name: errors[0] for name, errors in form.errors.items()} if not checked else {},
    )
    try:
        saved = recordings.save(webinar, data, actor(), now())
    except RecordingError as exc:
        db.session.rollback()
        for name, message in exc.errors.items():
            target = "captions_file" if name == "captions" else name
            field = getattr(form, target, form.transcript)
            if message not in field.errors:
                field.errors = [*field.errors, message]  # type: ignore[misc]
        return _page(webinar_id, form, 400)
    published = saved.published_at is not None
    db.session.commit()
    flash("Saved. The public page shows it now." if published else "Saved.")
    return redirect(url_for(".recording", webinar_id=webinar_id))


@bp.post("/webinars/<int:webinar_id>/recording/<any(publish, unpublish):action>")
def publish_recording(webinar_id: int, action: str) -> BaseResponse:
    webinar = webinar_or_404(webinar_id)
    try:
        if action == "publish":
            recordings.publish(webinar, actor(), now())
        else:
            recordings.unpublish(webinar, actor(), now())
    except RecordingError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for(".recording", webinar_id=webinar_id))
    db.session.commit()
    flash(
        "Published: the recording page is on the public site, and follow-up emails link to it."
        if action == "publish"
        else "The recording page is no longer public. Links to it go to the webinar's page."
    )
    return redirect(url_for(".recording", webinar_id=webinar_id))


@bp.get("/webinars/<int:webinar_id>/recording/preview")
def preview_recording(webinar_id: int) -> Response:
    """The public recording page as it will look, published or not."""
    webinar = webinar_or_404(webinar_id)
    recording = recordings.for_webinar(webinar)
    video = recordings.Video(webinar.recording_url) if webinar.recording_url else None
    response = Response(
        render_template(
            "organiser/recording_preview.html",
            webinar=webinar,
            recording=recording,
            video=video,
            chapters=recordings.chapters_of(recording),
            transcript_html=recordings.transcript_html(recording.transcript) if recording else "",
            captions_url=url_for(".recording_captions", webinar_id=webinar_id),
            state=webinars.availability(webinar, now()),
        )
    )
    policy = video.page_policy() if video else None
    if policy:
        response.headers["Content-Security-Policy"] = policy
    return response


@bp.get("/webinars/<int:webinar_id>/recording/captions.vtt")
def recording_captions(webinar_id: int) -> Response:
    """The saved captions, published or not (the public's copy: public.recording_captions)."""
    webinar = webinar_or_404(webinar_id)
    recording = recordings.for_webinar(webinar)
    return Response(
        recording.captions if recording and recording.captions else "WEBVTT\n",
        mimetype="text/vtt",
        headers={"Content-Disposition": f'attachment; filename="{webinar.slug}-captions.vtt"'},
    )
