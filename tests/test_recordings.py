"""Accessible recordings: captions (WebVTT), a transcript and chapters, published by
organisers after the webinar; the public recording page reads without the video."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import webvtt
from sqlalchemy import select

from eventsapp.extensions import db
from eventsapp.mail import worker
from eventsapp.models import Attendance, AuditEvent, Recording, Webinar
from eventsapp.services import registration as registrations
from eventsapp.services.content import PLAIN_ENGLISH, reading_ease
from tests.support import (
    assert_accessible,
    create_user,
    create_webinar,
    form_token,
    login,
    post,
)
from tests.test_readability import _organisers_words, _sentences, _visible

YOUTUBE = "https://www.youtube.com/watch?v=abc123"

CAPTIONS = """WEBVTT

1
00:00:00.000 --> 00:00:04.000
<v Helen>Welcome, everyone, to tonight's webinar.

2
00:00:04.500 --> 00:00:09.000
<v Helen>We will talk about sleep and back pain.

NOTE Questions from the audience start here.

3
00:12:34.000 --> 00:12:40.000
<v Sam>How do I get to sleep when my back hurts?
"""

TRANSCRIPT = """## Welcome

Helen: Welcome, everyone, to tonight's webinar. We will talk about sleep and back pain.

## Questions about sleep

Sam: How do I get to sleep when my back hurts?

Helen: A warm bath and a regular bedtime help many people."""

CHAPTERS = "0:00 Welcome\n12:34 Questions about sleep\n45:07 Thank you"


def _past_webinar(slug: str = "sleep", **extra: Any) -> Webinar:
    now = datetime.now(UTC)
    return create_webinar(
        slug=slug,
        title="Sleeping well with back pain",
        starts_at=(now - timedelta(hours=3)).replace(second=0, microsecond=0),
        hosts=("clinic",),
        recording_url=extra.pop("recording_url", YOUTUBE),
        **extra,
    )


def _save(client: Any, webinar_id: int, **fields: Any) -> Any:
    """The organisers' recording form as a browser sends it (the captions as a file)."""
    data: dict[str, Any] = {
        "recording_url": YOUTUBE,
        "transcript": TRANSCRIPT,
        "chapters": CHAPTERS,
        "csrf_token": form_token(client),
    }
    captions = fields.pop("captions", CAPTIONS)
    if captions is not None:
        data["captions_file"] = (io.BytesIO(captions.encode()), "sleep.vtt")
    data.update(fields)
    return client.post(
        f"/organiser/webinars/{webinar_id}/recording",
        data=data,
        content_type="multipart/form-data",
    )


def _shown(client: Any, response: Any) -> str:
    """The page a redirect leads to (with its message), or the page itself."""
    if response.status_code in (302, 303):
        return client.get(response.headers["Location"]).get_data(as_text=True)
    return response.get_data(as_text=True)


def _recording(webinar_id: int) -> Recording | None:
    db.session.rollback()
    return db.session.scalars(select(Recording).where(Recording.webinar_id == webinar_id)).first()


def test_a_published_recording_reads_without_the_video(any_app, any_ctx):
    """The story: an organiser publishes captions, transcript and chapters; a visitor reads
    the transcript, follows the chapters to their times and downloads the captions, and no
    video is put in the page (the recording is on YouTube: a link, nothing loaded from it)."""
    client = any_app.test_client()
    webinar_id = _past_webinar().id
    create_user("colin@clinic.example", org="clinic")
    login(client, "colin@clinic.example")

    page = client.get(f"/organiser/webinars/{webinar_id}/recording").get_data(as_text=True)
    assert "<h1>Recording</h1>" in page and "Not published" in page
    saved = _save(client, webinar_id)
    assert saved.status_code == 302
    assert "Saved." in _shown(client, saved)
    # Saved, not yet public: the recording page is the webinar's page.
    assert client.get("/webinars/sleep/recording").headers["Location"] == "/webinars/sleep"
    published = post(client, f"/organiser/webinars/{webinar_id}/recording/publish")
    assert "Published" in _shown(client, published)

    response = client.get("/webinars/sleep/recording")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.count("<h1") == 1 and "Recording: Sleeping well with back pain" in html
    # The transcript is text on the page, headed, under its own heading, reachable at once.
    assert '<h2 id="transcript-title">Transcript</h2>' in html
    assert '<a href="#transcript">Skip to the transcript</a>' in html
    assert "A warm bath and a regular bedtime help many people." in html
    assert "<h3>Questions about sleep</h3>" in html  # its own headings sit under "Transcript"
    # Chapters go to their times on YouTube.
    assert (
        f'<a href="{YOUTUBE}&amp;t=754" rel="noopener noreferrer">'
        '<time datetime="PT12M34S">12:34</time> Questions about sleep</a>'
    ) in html
    assert f'href="{YOUTUBE}&amp;t=0"' in html and f'href="{YOUTUBE}&amp;t=2707"' in html
    # Nothing is embedded: no player, no frame, nothing from YouTube in the policy.
    assert "<video" not in html and "<iframe" not in html
    assert "youtube" not in response.headers["Content-Security-Policy"]
    assert 'href="/webinars/sleep/captions.vtt"' in html

    captions = client.get("/webinars/sleep/captions.vtt")
    assert captions.status_code == 200
    assert captions.headers["Content-Type"] == "text/vtt; charset=utf-8"
    assert 'filename="sleep-captions.vtt"' in captions.headers["Content-Disposition"]
    parsed = webvtt.from_string(captions.get_data(as_text=True), strict=True)
    assert [c.text for c in parsed] == [
        "Welcome, everyone, to tonight's webinar.",
        "We will talk about sleep and back pain.",
        "How do I get to sleep when my back hurts?",
    ]
    assert parsed[2].start == "00:12:34.000"

    # The webinar's page and the list of past webinars lead there.
    assert 'href="/webinars/sleep/recording"' in client.get("/webinars/sleep").get_data(True)
    assert 'href="/webinars/sleep/recording"' in client.get("/past").get_data(as_text=True)
    # Audited without personal data: ids, field names and counts.
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.webinar_id == webinar_id)
    ).all()
    assert {"recording.saved", "recording.published"} <= set(actions)

    # A change to a published recording shows at once (the page is kept per version).
    _save(client, webinar_id, transcript=TRANSCRIPT + "\n\nHelen: Goodnight.", captions=None)
    assert "Helen: Goodnight." in client.get("/webinars/sleep/recording").get_data(True)
    # Withdrawn: the link in any email still leads somewhere useful.
    post(client, f"/organiser/webinars/{webinar_id}/recording/unpublish")
    assert client.get("/webinars/sleep/recording").headers["Location"] == "/webinars/sleep"
    assert client.get("/webinars/sleep/captions.vtt").status_code == 404


@pytest.mark.parametrize(
    ("captions", "message"),
    [
        (
            CAPTIONS.replace("WEBVTT\n\n", "", 1),
            "The first line of the captions file must say WEBVTT, but it says “1”.",
        ),
        (
            CAPTIONS.replace("00:00:04.500 --> 00:00:09.000", "00:00:04,500 --> 00:00:09,000"),
            "Captions file, line 8: the time “00:00:04,500” has a comma.",
        ),
        (
            CAPTIONS.replace("00:12:34.000 --> 00:12:40.000", "00:12:34.000 --> 00:12:61.000"),
            "Captions file, line 14: “00:12:61.000” is not a time.",
        ),
        (
            CAPTIONS.replace("00:00:04.500 --> 00:00:09.000", "00:00:09.000 --> 00:00:04.500"),
            "Captions file, line 8: this caption ends (00:00:04.500) before it starts (00:00:09.000).",
        ),
        (
            CAPTIONS.replace("\n\n2\n", "\n2\n"),
            "Captions file, line 7: put an empty line between captions.",
        ),
        (
            "WEBVTT\n\nWelcome, everyone.\n",
            "Captions file, line 3: “Welcome, everyone.” is not a caption.",
        ),
        ("WEBVTT\n", "The captions file has no captions in it."),
        ("1\n00:00:00,000 --> 00:00:04,000\nHello\n", "This looks like an SRT file"),
    ],
)
def test_bad_captions_are_refused_naming_the_line_and_nothing_changes(
    client, ctx, captions, message
):
    webinar_id = _past_webinar().id
    create_user("colin@clinic.example", org="clinic")
    login(client, "colin@clinic.example")
    _save(client, webinar_id)
    before = _recording(webinar_id)
    assert before is not None
    kept = (before.captions, before.transcript, before.chapters, before.updated_at)

    response = _save(client, webinar_id, captions=captions, transcript="Something else.")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in html
    assert message.replace("“", "&#8220;") in html or message in html, html
    assert 'href="#captions_file"' in html  # the error summary leads to the file field
    after = _recording(webinar_id)
    assert after is not None
    assert (after.captions, after.transcript, after.chapters, after.updated_at) == kept


@pytest.mark.parametrize(
    ("chapters", "message"),
    [
        (
            "0:00 Welcome\nSleep tips",
            "Chapters, line 2: start each line with a time, then the title",
        ),
        ("0:00 Welcome\n12:75 Sleep", "Chapters, line 2: “12:75” is not a time."),
        (
            "0:00 Welcome\n\n20:00 Sleep\n10:00 Pacing",
            "Chapters, line 4: 10:00 is not after the chapter",
        ),
        (
            "0:00 Welcome\n2:00:00 The end",
            "Chapters, line 2: 2:00:00 is after the end of the recording",
        ),
        ("0:00 Welcome\n12:34", "Chapters, line 2: add a title after the time 12:34."),
    ],
)
def test_bad_chapter_lines_are_refused_naming_the_line_and_nothing_changes(
    client, ctx, chapters, message
):
    webinar_id = _past_webinar().id  # 60 minutes; the captions end at 12:40
    create_user("colin@clinic.example", org="clinic")
    login(client, "colin@clinic.example")
    response = _save(client, webinar_id, chapters=chapters)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html.replace("&#8220;", "“").replace("&#8221;", "”"), html
    assert 'href="#chapters"' in html
    assert _recording(webinar_id) is None  # nothing saved, the good captions neither


def test_chapters_may_run_past_the_planned_length_when_the_captions_do(client, ctx):
    """Webinars overrun: the captions' last time counts as the recording's length."""
    webinar_id = _past_webinar(duration_minutes=10).id
    create_user("colin@clinic.example", org="clinic")
    login(client, "colin@clinic.example")
    assert _save(client, webinar_id, chapters="0:00 Welcome\n12:34 Sleep").status_code == 302
    refused = _save(client, webinar_id, chapters="0:00 Welcome\n12:41 Sleep", captions=None)
    assert "12:41 is after the end of the recording (12:40)" in refused.get_data(True)


def test_a_recording_cannot_be_published_before_the_webinar_has_ended(client, ctx):
    webinar = create_webinar(slug="soon", hosts=("clinic",), recording_url=YOUTUBE)
    create_user("colin@clinic.example", org="clinic")
    login(client, "colin@clinic.example")
    assert _save(client, webinar.id, chapters="0:00 Welcome").status_code == 302  # saved early
    page = _shown(client, post(client, f"/organiser/webinars/{webinar.id}/recording/publish"))
    assert "You can publish the recording once the webinar has ended, after" in page
    assert "Publish the recording page</button>" not in page
    recording = _recording(webinar.id)
    assert recording is not None and recording.published_at is None
    assert client.get("/webinars/soon/recording").headers["Location"] == "/webinars/soon"


def test_publishing_needs_the_captions_and_the_transcript(client, ctx):
    webinar_id = _past_webinar().id
    create_user("colin@clinic.example", org="clinic")
    login(client, "colin@clinic.example")
    _save(client, webinar_id, captions=None, transcript="")
    page = _shown(client, post(client, f"/organiser/webinars/{webinar_id}/recording/publish"))
    assert "Before publishing, add the captions file and the transcript." in page
    recording = _recording(webinar_id)
    assert recording is not None and recording.published_at is None


@pytest.mark.parametrize(
    ("url", "chapter_link"),
    [
        ("https://youtu.be/abc123", "https://youtu.be/abc123?t=754"),
        ("https://vimeo.com/76979871", "https://vimeo.com/76979871#t=754s"),
        (
            "https://media.clinic.example/webinars/sleep.mp4",
            "https://media.clinic.example/webinars/sleep.mp4#t=754",
        ),
    ],
)
def test_chapters_link_to_their_time_wherever_the_video_is(client, ctx, url, chapter_link):
    webinar_id = _past_webinar().id
    create_user("colin@clinic.example", org="clinic")
    login(client, "colin@clinic.example")
    _save(client, webinar_id, recording_url=url)
    post(client, f"/organiser/webinars/{webinar_id}/recording/publish")
    response = client.get("/webinars/sleep/recording")
    html = response.get_data(as_text=True)
    assert f'href="{chapter_link}"' in html
    csp = response.headers["Content-Security-Policy"]
    if url.endswith(".mp4"):
        # A video file plays on the page with our captions on; only its site is allowed, and
        # only for media.
        assert '<video controls preload="none"' in html
        assert (
            '<track kind="captions" srclang="en" label="English" '
            'src="/webinars/sleep/captions.vtt" default>'
        ) in html
        assert "media-src 'self' https://media.clinic.example;" in csp
        assert "script-src 'self'" in csp and "default-src 'self';" in csp
    else:
        assert "<video" not in html and "media-src" not in csp


def test_follow_up_emails_link_to_the_recording_page(app, client, ctx, smtp):
    now = datetime.now(UTC)
    webinar = _past_webinar()
    for name, email, minutes in [("Ann Example", "ann@example.com", 40), ("Bob", "bob@x.org", 0)]:
        reg = registrations.register(
            webinar, registrations.RegistrationInput(name, email), now - timedelta(days=3)
        ).registration
        db.session.add(Attendance(registration=reg, minutes=minutes, source="zoom", updated_at=now))
    db.session.commit()
    webinar_id = webinar.id
    create_user("colin@clinic.example", org="clinic")
    login(client, "colin@clinic.example")
    with app.app_context():
        worker.run_once()  # the confirmations
    smtp.clear()
    _save(client, webinar_id)
    post(client, f"/organiser/webinars/{webinar_id}/recording/publish")
    post(client, f"/organiser/webinars/{webinar_id}/attendance/final")
    post(client, f"/organiser/webinars/{webinar_id}/follow-ups")
    with app.app_context():
        assert worker.run_once().sent == 2
    page = "https://webinars.example.org/webinars/sleep/recording"
    for address in ("ann@example.com", "bob@x.org"):
        (email,) = smtp.to(address)
        text = email.message.get_body(("plain",)).get_content()
        html = email.message.get_body(("html",)).get_content()
        assert page in text and f'href="{page}"' in html, address
        assert (
            "read the transcript" in html and "captions, chapters and the full transcript" in text
        )
        assert YOUTUBE not in text  # the page, which has the video link and everything else


def test_another_organisations_webinar_recording_is_not_found(client, ctx):
    webinar_id = _past_webinar().id
    create_user("chris@charity.example", org="charity")
    login(client, "chris@charity.example")
    base = f"/organiser/webinars/{webinar_id}/recording"
    for path in (base, base + "/preview", base + "/captions.vtt"):
        assert client.get(path).status_code == 404, path
    assert _save(client, webinar_id).status_code == 404
    assert post(client, base + "/publish").status_code == 404
    assert _recording(webinar_id) is None


def test_the_recording_page_passes_axe_on_a_phone(browser, live_server, client, ctx):
    webinar_id = _past_webinar(recording_url="https://media.clinic.example/sleep.mp4").id
    create_user("colin@clinic.example", org="clinic")
    login(client, "colin@clinic.example")
    _save(client, webinar_id, recording_url="https://media.clinic.example/sleep.mp4")
    post(client, f"/organiser/webinars/{webinar_id}/recording/publish")
    for width in (320, 390):
        context = browser.new_context(viewport={"width": width, "height": 800})
        page = context.new_page()
        page.goto(live_server.url + "/webinars/sleep/recording")
        page.get_by_role("heading", name="Recording: Sleeping well with back pain", level=1)
        assert_accessible(page, f"recording page at {width}px")
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, f"{scroll}px wide in a {width}px window"
        # The skip link takes keyboard and screen reader users to the transcript.
        page.get_by_role("link", name="Skip to the transcript").click()
        page.wait_for_function("location.hash === '#transcript'")
        assert page.get_by_role("heading", name="Transcript", level=2).is_visible()
        assert re.search(r"transcript", page.evaluate("document.activeElement.id"))
        context.close()


def test_our_words_on_the_recording_page_are_plain_english(client, ctx):
    """Flesch reading ease ≥ 60 for what we wrote (tests/test_readability.py's measure), with
    the organisers' words (transcript, chapter titles, title, hosts) taken out."""
    webinar_id = _past_webinar().id
    create_user("colin@clinic.example", org="clinic")
    login(client, "colin@clinic.example")
    _save(client, webinar_id)
    post(client, f"/organiser/webinars/{webinar_id}/recording/publish")
    html = client.get("/webinars/sleep/recording").get_data(as_text=True)
    ours = re.sub(r'<div class="prose">.*?</div>', "", html, flags=re.S)  # the transcript
    chapters = [line.split(" ", 1)[1] for line in CHAPTERS.splitlines()]
    text = _sentences(_visible(ours), [*_organisers_words(), *chapters])
    assert (reading_ease(text) or 0) >= PLAIN_ENGLISH, text
