"""Certificates of attendance for healthcare professionals (for their CPD records).

Eligible: a confirmed registrant who said they are a healthcare professional and attended
at least the webinar's threshold of minutes, from the platform's report or an organiser's
check-in by hand (which records minutes, or the whole session). The PDF is drawn with fpdf2,
in the language of the page it is downloaded from (the link in a Welsh follow-up is /cy/…).
"""

from __future__ import annotations

import secrets
import unicodedata
from datetime import datetime
from pathlib import Path
from typing import Any

from flask_babel import gettext
from PIL import Image
from sqlalchemy import select

from eventsapp import locales
from eventsapp.extensions import db
from eventsapp.models import Attendance, Certificate, Registration, RegistrationStatus
from eventsapp.services import images

_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread


def _new_number() -> str:
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(12))
    return f"BPW-{chars[:4]}-{chars[4:8]}-{chars[8:]}"


def certified_minutes(registration: Registration) -> int | None:
    """Minutes to certify, or None when not eligible."""
    professional = registration.audience == "healthcare_professional"
    if registration.status != RegistrationStatus.CONFIRMED or not professional:
        return None
    record = db.session.scalars(
        select(Attendance).where(Attendance.registration_id == registration.id)
    ).one_or_none()
    if record is None or record.minutes is None:
        return None
    threshold = registration.webinar.attendance_threshold_minutes
    return record.minutes if record.minutes >= threshold else None


def issue(registration: Registration, now: datetime) -> Certificate | None:
    """The registrant's certificate (made on first request), or None if not eligible."""
    if certified_minutes(registration) is None:
        return None
    certificate = db.session.scalars(
        select(Certificate).where(Certificate.registration_id == registration.id)
    ).one_or_none()
    if certificate is None:
        certificate = Certificate(registration=registration, number=_new_number(), issued_at=now)
        db.session.add(certificate)
        db.session.flush()
    return certificate


def find(number: str) -> Certificate | None:
    return db.session.scalars(
        select(Certificate).where(Certificate.number == number.strip().upper())
    ).one_or_none()


# The built-in PDF fonts draw Windows-1252 (WinAnsiEncoding): Latin-1 and also ’ “ ” – —,
# which translators' Welsh is full of ("i’r", "gyda’r").
_FONT_ENCODING = "windows-1252"


def _text(value: str) -> str:
    """What the built-in fonts can draw: a letter outside Windows-1252 loses its accent
    (Welsh ŵ and ŷ become w and y), and only what is left becomes "?"."""
    drawable = []
    for char in value:
        if char.encode(_FONT_ENCODING, "ignore"):
            drawable.append(char)
        else:
            base = unicodedata.normalize("NFKD", char)
            drawable.append("".join(c for c in base if not unicodedata.combining(c)) or "?")
    return "".join(drawable).encode(_FONT_ENCODING, "replace").decode(_FONT_ENCODING)


def _logos_in_a_row(doc: Any, files: list[Path], top: float, height: float) -> None:
    """The hosts' logos side by side, centred, each as wide as its shape needs."""
    widths = []
    for file in files:
        with Image.open(file) as image:
            widths.append(height * image.width / image.height)
    gap = 8
    x = (doc.w - sum(widths) - gap * (len(files) - 1)) / 2
    for file, width in zip(files, widths, strict=True):
        doc.image(str(file), x=x, y=top, w=width, h=height)
        x += width + gap


def pdf(certificate: Certificate, verify_url: str) -> bytes:
    registration = certificate.registration
    webinar = registration.webinar
    minutes = certified_minutes(registration) or 0
    # Imported here: fpdf2 loads its font tables on import (about 35 MB), and only the rare
    # certificate download needs it, not every web and mail worker.
    from fpdf import FPDF

    title = locales.words(webinar, "title")
    doc = FPDF(orientation="landscape", format="A4")
    doc.core_fonts_encoding = _FONT_ENCODING
    doc.set_title(_text(gettext("Certificate of attendance: %(title)s", title=title)))
    doc.set_author(_text(gettext("Back pain webinars")))
    doc.add_page()
    doc.set_draw_color(29, 79, 110)
    doc.set_line_width(1.5)
    doc.rect(10, 10, 277, 190)
    logos = [images.directory() / org.logo_filename for org in webinar.hosts if org.logo_filename]
    _logos_in_a_row(doc, logos, top=15, height=15)
    doc.set_font("Helvetica", "B", 28)
    doc.set_y(34 if logos else 28)
    doc.cell(
        0, 14, _text(gettext("Certificate of attendance")), align="C", new_x="LMARGIN", new_y="NEXT"
    )
    doc.set_font("Helvetica", "", 14)
    doc.cell(0, 10, _text(gettext("This certifies that")), align="C", new_x="LMARGIN", new_y="NEXT")
    doc.set_font("Helvetica", "B", 22)
    doc.cell(0, 14, _text(registration.full_name), align="C", new_x="LMARGIN", new_y="NEXT")
    doc.set_font("Helvetica", "", 14)
    doc.multi_cell(
        0,
        8,
        _text(
            gettext(
                "attended %(minutes)s minutes of the webinar\n%(title)s\n"
                "on %(when)s, hosted by %(hosts)s.",
                minutes=minutes,
                title=title,
                when=locales.format_datetime(webinar.starts_at),
                hosts=locales.and_list(org.name for org in webinar.hosts),
            )
        ),
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    doc.ln(4)
    if webinar.panel:
        doc.set_font("Helvetica", "B", 12)
        doc.cell(0, 7, _text(gettext("The panel")), align="C", new_x="LMARGIN", new_y="NEXT")
    doc.set_font("Helvetica", "", 11)
    for member in webinar.panel:
        line = f"{member.speaker.name}, {locales.words(member.speaker, 'professional_title')}"
        if member.shown_role:
            line += f" ({member.shown_role})"
        doc.cell(0, 6, _text(line), align="C", new_x="LMARGIN", new_y="NEXT")
    doc.set_y(178)
    doc.set_font("Helvetica", "", 10)
    doc.cell(
        0,
        6,
        _text(
            gettext(
                "Certificate number %(number)s. Check it at %(url)s",
                number=certificate.number,
                url=verify_url,
            )
        ),
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    doc.cell(
        0,
        6,
        _text(
            gettext(
                "Education for healthcare professionals' CPD records; not an accredited course."
            )
        ),
        align="C",
    )
    return bytes(doc.output())
