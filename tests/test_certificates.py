"""Certificates of attendance for healthcare professionals, and checking them."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from eventsapp import uktime
from eventsapp.extensions import db
from eventsapp.mail import worker
from eventsapp.models import Attendance, Certificate
from eventsapp.services import follow_ups, images, tokens
from eventsapp.services import registration as registrations
from tests.support import create_webinar


def _people(now: datetime):  # type: ignore[no-untyped-def]
    webinar = create_webinar(
        slug="done",
        starts_at=now - timedelta(hours=3),
        recording_url="https://video.example.org/rec/1",
    )
    made = {}
    for name, audience, minutes in [
        ("Dr Nia Jones", "healthcare_professional", 55),
        ("Dr Short Stay", "healthcare_professional", 4),
        ("Pat Patient", "living_with_pain", 60),
    ]:
        reg = registrations.register(
            webinar,
            registrations.RegistrationInput(
                name, f"{name.split()[-1].lower()}@example.com", audience=audience
            ),
            now - timedelta(days=2),
        ).registration
        db.session.add(Attendance(registration=reg, minutes=minutes, source="zoom", updated_at=now))
        made[name] = reg
    db.session.commit()
    return webinar, made


def test_an_attending_professional_gets_a_verifiable_pdf(app, client, ctx, smtp):
    now = datetime.now(UTC)
    webinar, people = _people(now)
    nia = people["Dr Nia Jones"]
    manage = f"/manage/{tokens.manage_token(nia)}"
    page = client.get(manage).get_data(as_text=True)
    assert "You attended for 55 minutes" in page
    response = client.get(f"{manage}/certificate.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    (sheet,) = PdfReader(io.BytesIO(response.data)).pages
    text = " ".join(sheet.extract_text().split())
    starts = uktime.format_datetime(webinar.starts_at)
    assert "Dr Nia Jones" in text and "attended 55 minutes" in text and starts in text
    assert all(org.name in text for org in webinar.hosts) and "The panel" in text
    certificate = db.session.scalars(select(Certificate)).one()
    assert re.fullmatch(r"BPW-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", certificate.number)
    # The same certificate (and number) every time.
    client.get(f"{manage}/certificate.pdf")
    assert db.session.scalars(select(Certificate)).one().number == certificate.number

    check = client.get(f"/certificates/{certificate.number.lower()}")
    html = check.get_data(as_text=True)
    assert check.status_code == 200 and "This certificate is genuine" in html
    assert "Dr Nia Jones" in html and webinar.title in html
    # Nothing about their attendance: the number itself may contain "55", so look for words.
    main = html.split("<main")[1]
    assert (
        "jones@example.com" not in html
        and "55 minutes" not in main
        and "attended" not in main.lower()
    )
    assert client.get("/certificates/BPW-AAAA-BBBB-CCCC").status_code == 404
    assert client.get("/certificates?number=bpw-x").status_code == 302

    # The thank-you links to it; the follow-up of a patient does not.
    webinar.attendance_final_at = now
    follow_ups.send(webinar, None, now)
    db.session.commit()
    with app.app_context():
        worker.run_once()

    def follow_up(address: str) -> str:
        (mail,) = [
            m
            for m in smtp.to(address)
            if "Confirmed" not in m.message["Subject"]
            and not m.message["Subject"].strip().startswith("You are booked")
        ]
        return mail.message.get_body(("plain",)).get_content()

    text = follow_up("jones@example.com")
    assert "certificate of attendance" in text and "/certificate.pdf" in text
    patient = follow_up("patient@example.com")
    assert "certificate" not in patient


def test_no_certificate_without_enough_minutes_or_as_a_patient(client, ctx):
    now = datetime.now(UTC)
    _, people = _people(now)
    for name in ("Dr Short Stay", "Pat Patient"):
        manage = f"/manage/{tokens.manage_token(people[name])}"
        assert "Certificate of attendance" not in client.get(manage).get_data(as_text=True)
        assert client.get(f"{manage}/certificate.pdf").status_code == 404
    assert db.session.scalars(select(Certificate)).first() is None


def test_the_certificate_shows_the_hosts_logos_and_no_empty_panel(app, client, ctx):
    now = datetime.now(UTC)
    webinar, people = _people(now)
    webinar.panel = []
    out = io.BytesIO()
    Image.new("RGBA", (300, 100), (20, 90, 80, 255)).save(out, "PNG")
    for org in webinar.hosts:
        org.logo_filename = images.store(out.getvalue(), images.Kind.LOGO)
    db.session.commit()
    manage = f"/manage/{tokens.manage_token(people['Dr Nia Jones'])}"
    (sheet,) = PdfReader(io.BytesIO(client.get(f"{manage}/certificate.pdf").data)).pages
    assert "The panel" not in sheet.extract_text()
    assert len(sheet.images) == len(webinar.hosts)


def test_a_welsh_follow_up_link_gives_the_certificate_in_welsh(client, ctx):
    """The Welsh follow-up links to /cy/manage/…/certificate.pdf: the certificate is Welsh
    (dates included), its check link is the Welsh page; a name with a letter the PDF's
    fonts cannot draw keeps the letter without its accent rather than a "?", and a curly
    apostrophe is drawn as itself."""
    now = datetime.now(UTC)
    webinar, people = _people(now)
    nia = people["Dr Nia Jones"]
    nia.full_name = "Dr Nia Ŵyn O’Brien-Jones"
    db.session.commit()
    manage = f"/cy/manage/{tokens.manage_token(nia)}"
    (sheet,) = PdfReader(io.BytesIO(client.get(f"{manage}/certificate.pdf").data)).pages
    text = " ".join(sheet.extract_text().split())
    number = db.session.scalars(select(Certificate)).one().number
    assert "Tystysgrif bresenoldeb" in text and "Mae hyn i dystio bod" in text
    assert "Dr Nia Wyn O’Brien-Jones" in text and "?" not in text.split("Jones")[0]
    assert "wedi bod yn bresennol am 55 munud" in text
    assert uktime.format_datetime_cy(webinar.starts_at) in text
    assert f"https://webinars.example.org/cy/certificates/{number}" in text.replace(" ", "")
    assert "Certificate" not in text and "attended" not in text
    # The same person's certificate from the English page is English, with the same number.
    english = PdfReader(
        io.BytesIO(client.get(f"/manage/{tokens.manage_token(nia)}/certificate.pdf").data)
    )
    assert "attended 55 minutes" in english.pages[0].extract_text()
    assert db.session.scalars(select(Certificate)).one().number == number
