"""The speaker library, panels, photos, and questions for the panel."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image
from sqlalchemy import select

from eventsapp.extensions import db
from eventsapp.models import Registration, Speaker, Webinar
from eventsapp.services import registration as registrations
from tests.support import create_user, create_webinar, csv_rows, form_token, login, post


def _image(fmt: str, size: tuple[int, int] = (800, 600)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, fmt)
    return out.getvalue()


def _upload(client, url: str, data: bytes, filename: str, **fields: str):  # type: ignore[no-untyped-def]
    form = {
        "csrf_token": form_token(client),
        "name": "Dr Priya Shah",
        "professional_title": "Consultant Physiotherapist",
        "organisation": "BackWell UK",
        "bio": "Priya runs the charity's exercise programme.",
        **fields,
    }
    form["photo"] = (io.BytesIO(data), filename)
    return client.post(url, data=form, content_type="multipart/form-data")


def test_speaker_with_photo_is_checked_resized_and_served(app, client, ctx):
    create_webinar()
    create_user("colin@clinic.example")
    login(client, "colin@clinic.example")
    response = _upload(client, "/organiser/speakers/new", _image("PNG"), "priya.png")
    assert response.status_code == 302
    speaker = db.session.scalars(select(Speaker).where(Speaker.name == "Dr Priya Shah")).one()
    stored = Path(app.config["INSTANCE_DIR"]) / "photos" / speaker.photo_filename
    with Image.open(stored) as image:
        assert image.format == "JPEG" and max(image.size) <= 192  # 2x its 96 px on the page
    served = client.get(f"/speakers/{speaker.id}/photo")
    assert served.mimetype == "image/jpeg"


def test_a_real_sized_photo_uploads_and_an_oversized_one_is_refused(app, client, ctx):
    create_webinar()
    create_user("colin@clinic.example")
    login(client, "colin@clinic.example")
    noise = Image.frombytes("RGB", (700, 700), os.urandom(700 * 700 * 3))
    out = io.BytesIO()
    noise.save(out, "JPEG", quality=95)
    assert len(out.getvalue()) > 500_000  # far above the 64 KB limit of ordinary forms
    assert _upload(client, "/organiser/speakers/new", out.getvalue(), "big.jpg").status_code == 302
    huge = _upload(client, "/organiser/speakers/new", b"x" * (6 * 1024 * 1024), "huge.jpg")
    assert huge.status_code == 413
    # Other forms keep the small limit.
    assert post(client, "/organiser/webinars/new", title="x" * 100_000).status_code == 413


def test_photos_are_judged_by_content_not_by_name(app, client, ctx):
    create_webinar()
    create_user("colin@clinic.example")
    login(client, "colin@clinic.example")
    fake = _upload(client, "/organiser/speakers/new", b"<script>alert(1)</script>", "evil.png")
    assert fake.status_code == 400
    assert "must be a PNG, JPEG or WebP image" in fake.get_data(as_text=True)
    gif = _upload(client, "/organiser/speakers/new", _image("GIF"), "sneaky.png")
    assert gif.status_code == 400
    assert (
        db.session.scalars(select(Speaker).where(Speaker.name == "Dr Priya Shah")).first() is None
    )
    webp = _upload(client, "/organiser/speakers/new", _image("WEBP"), "priya.webp")
    assert webp.status_code == 302


def test_panel_order_and_roles_show_on_the_public_page(client, ctx):
    webinar = create_webinar(slug="panel")
    for name in ("Dr Rajiv Anand", "Claire Okafor"):
        db.session.add(Speaker(name=name, professional_title="Specialist", organisation="", bio=""))
    db.session.commit()
    create_user("colin@clinic.example")
    login(client, "colin@clinic.example")
    url = f"/organiser/webinars/{webinar.id}/panel"
    ids = {s.name: s.id for s in db.session.scalars(select(Speaker))}
    post(client, url, speaker=str(ids["Dr Rajiv Anand"]), role="panellist")
    post(client, url, speaker=str(ids["Claire Okafor"]), role="moderator")
    again = post(client, url, speaker=str(ids["Claire Okafor"]), role="panellist")
    assert again.status_code == 400  # not offered twice

    def public_order() -> list[str]:
        html = client.get("/webinars/panel").get_data(as_text=True)
        names = ["Dr Helen Marsh", "Dr Rajiv Anand", "Claire Okafor"]
        return sorted((n for n in names if n in html), key=html.index)

    assert public_order() == ["Dr Helen Marsh", "Dr Rajiv Anand", "Claire Okafor"]
    assert 'Claire Okafor <span class="role">(Moderator)</span>' in client.get(
        "/webinars/panel"
    ).get_data(as_text=True)
    members = {m.speaker.name: m.id for m in db.session.get(Webinar, webinar.id).panel}
    post(client, f"{url}/{members['Claire Okafor']}/up")
    assert public_order() == ["Dr Helen Marsh", "Claire Okafor", "Dr Rajiv Anand"]
    post(client, f"{url}/{members['Dr Helen Marsh']}/remove")
    assert public_order() == ["Claire Okafor", "Dr Rajiv Anand"]


def test_questions_are_triaged_and_exported_for_the_chair(client, ctx):
    webinar = create_webinar(slug="qs")
    now = datetime.now(UTC)
    asked = [
        ("Ann Example", "ann@example.com", "Can I drive on cannabis oil?"),
        ("Bob Example", "bob@example.com", '=HYPERLINK("http://evil")'),
        ("Cat Example", "cat@example.com", "Off-topic complaint"),
    ]
    for name, email, question in asked:
        registrations.register(
            webinar, registrations.RegistrationInput(name, email, question=question), now
        )
    db.session.commit()
    create_user("colin@clinic.example")
    login(client, "colin@clinic.example")
    page = client.get(f"/organiser/webinars/{webinar.id}/questions").get_data(as_text=True)
    assert "Can I drive on cannabis oil?" in page
    ids = {r.question: r.id for r in db.session.scalars(select(Registration))}
    post(
        client,
        f"/organiser/webinars/{webinar.id}/questions/{ids['Off-topic complaint']}",
        status="hidden",
    )
    post(
        client,
        f"/organiser/webinars/{webinar.id}/questions/{ids['Can I drive on cannabis oil?']}",
        status="selected",
    )
    selected = client.get(f"/organiser/webinars/{webinar.id}/questions?status=selected")
    assert "Can I drive on cannabis oil?" in selected.get_data(as_text=True)
    assert "Off-topic complaint" not in selected.get_data(as_text=True)
    export = client.get(f"/organiser/webinars/{webinar.id}/questions.csv")
    rows = csv_rows(export)
    assert rows[0] == ["Question", "Asked by (first name)", "I am", "Status"]
    assert ["Can I drive on cannabis oil?", "Ann", "", "selected"] in rows
    assert ['\'=HYPERLINK("http://evil")', "Bob", "", "new"] in rows
    assert all("Off-topic" not in row[0] for row in rows)
    assert all("example.com" not in cell for row in rows for cell in row)
