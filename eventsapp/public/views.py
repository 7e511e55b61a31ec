"""Public pages. Each POST is one transaction: validate, call a service, commit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import (
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_babel import gettext
from werkzeug.wrappers import Response as BaseResponse

from eventsapp import locales, rate_limits, uktime
from eventsapp.extensions import csrf, db
from eventsapp.links import external_url
from eventsapp.mail import invites
from eventsapp.models import Organisation, Registration, RegistrationStatus, Speaker, Webinar
from eventsapp.platforms import webhooks
from eventsapp.public import bp, calendar_links, page_cache, structured_data
from eventsapp.public.forms import (
    LANGUAGE_CHANGED,
    FeedbackForm,
    LanguageForm,
    RegistrationForm,
    audience_label,
    registration_form,
)
from eventsapp.services import (
    certificates,
    form_questions,
    images,
    joining,
    organisations,
    privacy_notices,
    recordings,
    review,
    tokens,
    webinars,
)
from eventsapp.services import feedback as surveys
from eventsapp.services import privacy as data_protection
from eventsapp.services import registration as registrations
from eventsapp.services.content import render_markdown
from eventsapp.services.webinars import Availability
from eventsapp.transactions import writes_on_get
from eventsapp.uktime import utcnow

# Endpoints whose URL carries a personal token: nothing may leak it onwards or cache it.
TOKEN_ENDPOINTS = {
    "public.certificate",
    "public.verify_certificate",  # shows the holder's name
    "public.manage",
    "public.change_language",
    "public.cancel",
    "public.delete_details",
    "public.join",
    "public.stop_reminders",
    "public.feedback",
}


@bp.after_request
def protect_token_pages(response: Response) -> Response:
    if request.endpoint in TOKEN_ENDPOINTS:
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
    return response


bp.add_app_template_filter(page_cache.places_left)


@bp.app_template_global()
def photo_url(speaker: Speaker) -> str:
    return url_for("public.speaker_photo", speaker_id=speaker.id, v=speaker.photo_filename[:8])


@bp.app_template_global()
def logo_url(organisation: Organisation) -> str:
    return url_for(
        "public.organisation_logo",
        organisation_id=organisation.id,
        v=organisation.logo_filename[:8],
    )


def _calendar_details(webinar: Webinar) -> str:
    """The event's text for "Add to Google Calendar / Outlook", in the page's language."""
    url = external_url("public.webinar", locales.current(), slug=webinar.slug)
    return gettext(
        "%(summary)s\n\nDetails and registration: %(url)s",
        summary=locales.words(webinar, "summary"),
        url=url,
    )


@bp.get("/")
def home() -> str:
    now = utcnow()
    items = [(w, webinars.availability(w, now)) for w in webinars.upcoming(now)]
    feed = external_url("public.calendar_feed")
    return render_template(
        "public/home.html",
        items=items,
        # The partners, on the first screen: the hosts of what is coming up, by name.
        organisations=sorted({h for w, _ in items for h in w.hosts}, key=lambda o: o.name),
        feed_url=feed,
        subscribe_url="webcal://" + feed.split("://", 1)[1],
    )


@bp.get("/past")
def past() -> str:
    shown = webinars.past(utcnow())
    return render_template(
        "public/past.html",
        webinars=shown,
        # Those with a published recording page (captions, transcript, chapters) link there.
        with_recording=recordings.published_ids(w.id for w in shown),
    )


@bp.get("/privacy")
def privacy() -> str:
    return _privacy_notice(privacy_notices.current())


@bp.get("/privacy/<version>")
def privacy_version(version: str) -> str:
    notice = privacy_notices.find(version)
    if notice is None:
        abort(404)
    return _privacy_notice(notice)


def _privacy_notice(notice: privacy_notices.Notice) -> str:
    page = locales.current()
    # The notice in the page's language when this version has a text in it (the current one
    # in Welsh); an older version on a Welsh page is its English text, marked as English.
    language = notice.text_language(page)
    # The retention period goes inside the notice's text, so in the text's language.
    period = uktime.format_period_cy if language == locales.WELSH else uktime.format_period
    return render_template(
        "public/privacy.html",
        notice=notice,
        notice_text=notice.text(language),
        text_in_english=language != page,
        is_current=notice == privacy_notices.current(),
        history=list(reversed(privacy_notices.NOTICES)),
        organisations=organisations.all_by_name(),
        email_provider=current_app.config["EMAIL_PROVIDER_NAME"],
        text_provider=current_app.config["TEXT_PROVIDER_NAME"],
        video_platform=current_app.config["VIDEO_PLATFORM_NAME"],
        retention=period(current_app.config["RETENTION_DAYS"]),
    )


def _webinar_or_404(slug: str, *, with_hosts: bool = False) -> Webinar:
    webinar = webinars.public_by_slug(slug, with_hosts=with_hosts)
    if webinar is None:
        abort(404)
    return webinar


def _render_webinar(
    webinar: Webinar,
    form: RegistrationForm,
    state: Availability,
    refused: Availability | None = None,
) -> str:
    details = _calendar_details(webinar)
    description = locales.words(webinar, "description")
    return render_template(
        "public/webinar.html",
        webinar=webinar,
        description=description,
        description_html=render_markdown(description),
        state=state,
        refused=refused,
        form=form,
        google_url=calendar_links.google(webinar, details),
        outlook_url=calendar_links.outlook(webinar, details),
        page_url=external_url("public.webinar", locales.current(), slug=webinar.slug),
        structured_data=structured_data.event(webinar, state),
        reviewed_by=_reviewed_by(webinar),
        has_recording_page=state == Availability.PAST
        and recordings.published_for(webinar) is not None,
    )


def _reviewed_by(webinar: Webinar) -> str | None:
    """services/review.py's line, or on a Welsh page the same in Welsh."""
    if not locales.is_welsh():
        return review.reviewed_by(webinar)
    approvals = review.current(webinar)
    if not approvals:
        return None
    signed = [
        f"{a.reviewer_name}, {a.organisation.name}, {locales.format_date(a.approved_at)}"
        for a in approvals
    ]
    return gettext("Reviewed by %(names)s", names="; ".join(signed))


def registration_form_for(webinar: Webinar) -> RegistrationForm:
    return registration_form(
        webinar.hosts, form_questions.active(webinar), needs=webinar.offered_needs
    )


def _kept_page(name: str, webinar: Webinar, state: Availability, render: Callable[[], str]) -> str:
    """A page about one webinar, rendered once per version of what it shows."""
    if "_flashes" in session:  # a message for this visitor only: never kept
        return render()
    key = (name, webinar.id, webinar.content_version, state)
    return page_cache.page(key, webinar.seats_left, render, has_form=name == "webinar")


@bp.get("/webinars/<slug>")
def webinar(slug: str) -> str:
    webinar = _webinar_or_404(slug)
    state = webinars.availability(webinar, utcnow())
    return _kept_page(
        "webinar",
        webinar,
        state,
        lambda: _render_webinar(webinar, registration_form_for(webinar), state),
    )


@dataclass(frozen=True)
class Attempt:
    """What came of a registration form: `place` ("confirmed" or "waitlist") once saved,
    else the form to show again, with its errors or the refusal, and the status to send."""

    webinar: Webinar
    form: RegistrationForm
    state: Availability
    refused: Availability | None = None
    status: int = 200
    place: str | None = None


def attempt_registration(slug: str) -> Attempt:
    """The registration form as posted: checked, then one transaction that takes a place or
    refuses. Shared by the site's webinar page and the embeddable widget (embed/)."""
    now = utcnow()
    webinar = _webinar_or_404(slug, with_hosts=True)
    state = webinars.availability(webinar, now)
    form = registration_form_for(webinar)
    if not state.accepts_registrations:
        return Attempt(webinar, form, state, refused=state, status=409)
    if not form.validate_on_submit():
        return Attempt(webinar, form, state, status=400)
    data = registrations.RegistrationInput(
        full_name=form.full_name.data,
        email=form.email.data,
        audience=form.audience.data or None,
        question=form.question.data or "",
        access_needs=form.access_needs.data or "",
        marketing_organisation_ids=frozenset(form.marketing.data or ()),
        answers=form.answers(),
        text_reminder_phone=form.text_reminder_phone(),
        communication_needs=frozenset(form.communication_needs.data or ()),
        carer_name=form.carer_name_given(),
        language=locales.current(),
    )
    try:
        result = registrations.register(webinar, data, now)
    except registrations.RegistrationError as exc:
        db.session.rollback()  # `webinar` reads itself again, as the refusal left it
        return Attempt(webinar, form, exc.state, refused=exc.state, status=409)
    db.session.commit()
    return Attempt(webinar, form, state, place=result.place)


@bp.post("/webinars/<slug>")
@rate_limits.registration_per_ip
@rate_limits.registration_per_email
def register(slug: str) -> tuple[str, int] | BaseResponse:
    """The registration form of the webinar page."""
    attempt = attempt_registration(slug)
    if attempt.place:
        # #main: otherwise the browser keeps the form's #error-summary, which this page lacks,
        # and a screen reader starts at the top instead of at "Check your email".
        return redirect(
            url_for(".registered", slug=slug, place=attempt.place, _anchor="main"), code=303
        )
    page = _render_webinar(attempt.webinar, attempt.form, attempt.state, attempt.refused)
    return page, attempt.status


@bp.get("/webinars/<slug>/registered")
def registered(slug: str) -> str:
    place = "waitlist" if request.args.get("place") == "waitlist" else "confirmed"
    webinar = _webinar_or_404(slug)
    state = webinars.availability(webinar, utcnow())
    return _kept_page(
        f"registered-{place}",
        webinar,
        state,
        lambda: render_template("public/registered.html", webinar=webinar, place=place),
    )


@bp.get("/webinars/<slug>/recording")
def recording(slug: str) -> Response | BaseResponse:
    """A past webinar's recording made accessible: the video link (or the video itself, with
    captions, when it is a file), chapters, the captions file and the transcript as text, so
    it can be read and searched without the video. Not published (or withdrawn): the
    webinar's own page, so a link in an email never ends at a dead end."""
    webinar = _webinar_or_404(slug)
    published = recordings.published_for(webinar)
    if published is None:
        return redirect(url_for(".webinar", slug=slug))
    video = recordings.Video(webinar.recording_url) if webinar.recording_url else None
    page = _kept_page(
        "recording",
        webinar,
        webinars.availability(webinar, utcnow()),
        lambda: render_template(
            "public/recording.html",
            webinar=webinar,
            recording=published,
            video=video,
            chapters=recordings.chapters_of(published),
            transcript_html=recordings.transcript_html(published.transcript),
            captions_url=url_for(".recording_captions", slug=slug),
            page_url=external_url("public.recording", locales.current(), slug=slug),
        ),
    )
    response = Response(page)
    policy = video.page_policy() if video else None
    if policy:  # plays a video file from its own site: that site, for media only
        response.headers["Content-Security-Policy"] = policy
    return response


@bp.get("/webinars/<slug>/captions.vtt")
def recording_captions(slug: str) -> Response:
    """The published recording's captions (WebVTT), for the page's <track> and to download."""
    published = recordings.published_for(_webinar_or_404(slug))
    if published is None or not published.captions:
        abort(404)
    return Response(
        published.captions,
        mimetype="text/vtt",
        headers={"Content-Disposition": f'attachment; filename="{slug}-captions.vtt"'},
    )


@bp.get("/webinars/<slug>/calendar.ics")
def webinar_ics(slug: str) -> Response:
    webinar = _webinar_or_404(slug)
    body = invites.published_calendar(
        [
            (
                webinar,
                _calendar_details(webinar),
                external_url("public.webinar", locales.current(), slug=slug),
            )
        ],
        name=locales.words(webinar, "title"),
    )
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="{slug}.ics"'},
    )


def _image(filename: str | None) -> Response:
    """Uploads are checked and re-encoded on the way in; the URL carries the file name, so
    a new upload is a new URL and each can be cached for a day."""
    if not filename:
        abort(404)
    response = send_from_directory(images.directory(), filename, max_age=86400)
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    return response


@bp.get("/speakers/<int:speaker_id>/photo")
def speaker_photo(speaker_id: int) -> Response:
    speaker = db.session.get(Speaker, speaker_id)
    return _image(speaker and speaker.photo_filename)


@bp.get("/organisations/<int:organisation_id>/logo")
def organisation_logo(organisation_id: int) -> Response:
    organisation = db.session.get(Organisation, organisation_id)
    return _image(organisation and organisation.logo_filename)


@bp.get("/contact")
def contact() -> str:
    return render_template("public/contact.html", organisations=organisations.all_by_name())


@bp.get("/calendar.ics")
def calendar_feed() -> Response:
    items = [
        (w, _calendar_details(w), external_url("public.webinar", locales.current(), slug=w.slug))
        for w in webinars.published_for_feed()
    ]
    body = invites.published_calendar(items, name=gettext("Back pain webinars"))
    return Response(body, mimetype="text/calendar")


def _registration_or_404(token: str) -> Registration:
    registration = tokens.find_by_manage_token(token)
    if registration is None:
        abort(404)
    return registration


@bp.get("/manage/<token>")
@rate_limits.token_pages
def manage(token: str) -> str:
    registration = _registration_or_404(token)
    return _manage_page(registration, token, LanguageForm(language=registration.language))


def _manage_page(registration: Registration, token: str, language_form: LanguageForm) -> str:
    state = webinars.availability(registration.webinar, utcnow())
    cancelled = registration.status == RegistrationStatus.CANCELLED
    return render_template(
        "public/manage.html",
        registration=registration,
        webinar=registration.webinar,
        token=token,
        state=state,
        cancelled_on=registration.status_changed_at if cancelled else None,
        can_register_again=cancelled and state.accepts_registrations,
        can_cancel=not cancelled and state not in (Availability.PAST, Availability.CANCELLED),
        certificate_minutes=certificates.certified_minutes(registration),
        retention=locales.format_period(current_app.config["RETENTION_DAYS"]),
        audience=audience_label(registration.audience),
        # Nothing more is sent to someone who cancelled: no language to choose.
        language_form=None if cancelled else language_form,
    )


@bp.route("/manage/<token>/language", methods=["GET", "POST"])
@rate_limits.token_pages
def change_language(token: str) -> tuple[str, int] | BaseResponse:
    """The manage page's language choice ("Which language should we write to you in?"):
    later emails, reminders and texts in it.
    A GET (the other-language link of the page shown after a refused POST) is the page."""
    registration = _registration_or_404(token)
    if request.method == "GET":
        return redirect(url_for(".manage", token=token))
    if registration.status == RegistrationStatus.CANCELLED:
        abort(404)  # the page offers no choice then
    form = LanguageForm()
    if form.language.data and form.language.data not in LANGUAGE_CHANGED:
        abort(404)  # not a choice the page offers
    if not form.validate_on_submit():
        return _manage_page(registration, token, form), 400
    language = form.language.data
    registrations.change_language(registration, language, utcnow())
    db.session.commit()
    flash(str(LANGUAGE_CHANGED[language]))
    return redirect(url_for(".manage", token=token), code=303)


@bp.get("/manage/<token>/certificate.pdf")
@rate_limits.token_pages
@writes_on_get
def certificate(token: str) -> Response:
    registration = _registration_or_404(token)
    issued = certificates.issue(registration, utcnow())
    if issued is None:
        abort(404)
    verify_url = external_url("public.verify_certificate", locales.current(), number=issued.number)
    body = certificates.pdf(issued, verify_url)
    db.session.commit()
    return Response(
        body,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="certificate-{issued.number}.pdf"'},
    )


@bp.get("/certificates")
def certificate_lookup() -> BaseResponse | str:
    number = request.args.get("number", "").strip()
    if number:
        return redirect(url_for(".verify_certificate", number=number[:40]))
    return render_template("public/certificate_lookup.html")


@bp.get("/certificates/<number>")
@rate_limits.token_pages
def verify_certificate(number: str) -> tuple[str, int]:
    found = certificates.find(number)
    status = 200 if found else 404
    return render_template(
        "public/certificate_check.html", certificate=found, number=number
    ), status


def _confirm_then(
    registration: Registration,
    token: str,
    template: str,
    change: Callable[[Registration], object],
    done: str,
    **shown: Callable[[Registration], object],
) -> str | BaseResponse:
    """A personal-link action: GET shows a confirmation page (with `shown`, each worked out
    from the registration), POST does it (one transaction)."""
    webinar = registration.webinar
    if request.method == "GET":
        extra = {name: work_out(registration) for name, work_out in shown.items()}
        return render_template(
            template, registration=registration, webinar=webinar, token=token, **extra
        )
    slug = webinar.slug  # read before the commit expires it: no query after the commit
    change(registration)
    db.session.commit()
    return redirect(url_for(done, slug=slug), code=303)


@bp.route("/manage/<token>/cancel", methods=["GET", "POST"])
@rate_limits.token_pages
def cancel(token: str) -> str | BaseResponse:
    registration = _registration_or_404(token)
    if registration.status == RegistrationStatus.CANCELLED:
        return redirect(url_for(".manage", token=token), code=303)  # nothing left to cancel
    return _confirm_then(
        registration,
        token,
        "public/cancel.html",
        lambda registration: registrations.cancel(registration, utcnow()),
        ".cancelled",
        place_goes_to_someone_waiting=registrations.place_goes_to_someone_waiting,
    )


@bp.route("/manage/<token>/delete", methods=["GET", "POST"])
@rate_limits.token_pages
def delete_details(token: str) -> str | BaseResponse:
    """Delete my details (giving up any place, without further email)."""
    return _confirm_then(
        _registration_or_404(token),
        token,
        "public/delete_details.html",
        lambda registration: data_protection.erase_on_request(registration, utcnow()),
        ".details_deleted",
    )


@bp.get("/webinars/<slug>/details-deleted")
def details_deleted(slug: str) -> str:
    return render_template("public/details_deleted.html", webinar=_webinar_or_404(slug))


@bp.get("/webinars/<slug>/cancelled")
def cancelled(slug: str) -> str:
    return render_template("public/cancelled.html", webinar=_webinar_or_404(slug))


@bp.get("/join/<token>")
@rate_limits.token_pages
@writes_on_get
def join(token: str) -> str | BaseResponse:
    """The personal join link: a waiting page, the platform, or a clear explanation."""
    registration = tokens.find_by_join_token(token)
    if registration is None:
        abort(404)
    now = utcnow()
    state = joining.state(registration, now)
    if state is joining.JoinState.LIVE:
        url = joining.platform_url(registration)
        joining.record_join(registration, now)
        db.session.commit()
        # no-referrer (set for token pages) keeps the personal link from the platform.
        return redirect(url, code=303)
    webinar = registration.webinar
    ended = state is joining.JoinState.ENDED
    return render_template(
        "public/join.html",
        registration=registration,
        webinar=webinar,
        state=state,
        has_recording_page=ended and recordings.published_for(webinar) is not None,
        doors_open_in=locales.format_wait(uktime.felt_wait(now, webinar.doors_open_at)),
    )


@bp.route("/reminders/stop/<int:registration_id>/<token>", methods=["GET", "POST"])
@rate_limits.token_pages
@csrf.exempt  # RFC 8058 one-click: the mail client POSTs without a form or session
def stop_reminders(registration_id: int, token: str) -> str:
    registration = tokens.find_for_stop_reminders(registration_id, token)
    if registration is None:
        abort(404)
    webinar = registration.webinar
    if request.method == "POST":
        registration.reminders_opt_out = True
        db.session.commit()
        return render_template("public/reminders_stopped.html", webinar=webinar)
    return render_template(
        "public/stop_reminders.html",
        webinar=webinar,
        registration_id=registration_id,
        token=token,
        stopped=registration.reminders_opt_out,
    )


@bp.route("/feedback/<int:registration_id>/<token>", methods=["GET", "POST"])
@rate_limits.token_pages
def feedback(registration_id: int, token: str) -> str | BaseResponse | tuple[str, int]:
    registration = tokens.find_for_feedback(registration_id, token)
    if registration is None:
        abort(404)
    now = utcnow()
    state = surveys.state(registration, now)
    existing = surveys.response_of(registration)
    form = FeedbackForm()
    if state is surveys.SurveyState.OPEN and form.validate_on_submit():
        surveys.save(
            registration,
            surveys.FeedbackInput(
                overall=int(form.overall.data),
                usefulness=int(form.usefulness.data),
                would_recommend=form.would_recommend.data == "yes",
                comments=form.comments.data or "",
            ),
            now,
        )
        db.session.commit()
        return render_template(
            "public/feedback_thanks.html",
            webinar=registration.webinar,
            again=request.script_root + request.path,  # under /cy on a Welsh page
        )
    if not form.is_submitted() and existing is not None:
        form.overall.data, form.usefulness.data = str(existing.overall), str(existing.usefulness)
        form.would_recommend.data = "yes" if existing.would_recommend else "no"
        form.comments.data = existing.comments
    status = 400 if form.errors else 200
    return render_template(
        "public/feedback.html",
        webinar=registration.webinar,
        form=form,
        state=state,
        existing=existing,
    ), status


@bp.post("/webhooks/zoom")
@csrf.exempt
def zoom_webhook() -> tuple[Response, int] | Response:
    """Zoom's deliveries: only with a good signature; a copy or a stale one is a 401."""
    now = utcnow()
    secret = current_app.config.get("ZOOM_WEBHOOK_SECRET_TOKEN")
    event = webhooks.check(
        secret,
        request.headers.get("x-zm-request-timestamp", ""),
        request.headers.get("x-zm-signature", ""),
        request.get_data(cache=True),
        now,
    )
    if isinstance(event, webhooks.Refusal):
        db.session.rollback()
        current_app.logger.warning("Zoom webhook refused: %s", event)
        return jsonify(error="refused"), 401
    if event.get("event") == "endpoint.url_validation" and secret:
        db.session.commit()
        return jsonify(webhooks.url_validation(secret, event))
    webhooks.record(event, now)
    db.session.commit()
    return jsonify(received=True)
