"""Communication needs a registrant can choose, and what each one makes happen.

One place: the registration form's choices, the confirmation's sentences, the organisers'
counts, the booking reminder and how the worker writes that person's emails all read the
members' attributes below, never a list of their own. A registration keeps its needs as
their values joined by spaces (models/registration.py); a webinar keeps the ones it offers
(models/webinar.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from flask_babel import LazyString, lazy_gettext


@dataclass(frozen=True)
class Effect:
    # The checkbox's words on the registration form (in the page's language).
    label: LazyString
    # What the confirmation email says back ("You asked for …: …"), in the email's language.
    promise: LazyString
    # What organisers do about it, on the webinar page.
    to_do: str
    # Organisers must arrange it: it counts towards the booking reminder (mail/outbox.py
    # NEEDS_BOOKING) sent a set number of days before the webinar.
    book_ahead: bool = False
    # Organisers see who asked, by name, on the webinar page (they act for each person).
    named: bool = False
    # How that person's emails are written (mail/render.py): "plain" (text only) or "large".
    email_style: str | None = None


class CommunicationNeed(StrEnum):
    effect: Effect

    def __new__(cls, value: str, effect: Effect) -> CommunicationNeed:
        member = str.__new__(cls, value)
        member._value_ = value
        member.effect = effect
        return member

    LIVE_CAPTIONS = (
        "live_captions",
        Effect(
            lazy_gettext("Live captions (words on screen)"),
            lazy_gettext("You asked for live captions: the webinar will have them."),
            "Book live captions. You get a reminder email.",
            book_ahead=True,
            named=True,
        ),
    )
    BSL_INTERPRETER = (
        "bsl_interpreter",
        Effect(
            lazy_gettext("A British Sign Language (BSL) interpreter"),
            lazy_gettext(
                "You asked for a British Sign Language interpreter: we will book one and they "
                "will be on screen during the webinar."
            ),
            "Book an interpreter. You get a reminder email.",
            book_ahead=True,
            named=True,
        ),
    )
    TRANSCRIPT = (
        "transcript",
        Effect(
            lazy_gettext("A written transcript afterwards"),
            lazy_gettext(
                "You asked for a transcript: the organisers know, and our email after the "
                "webinar will say where to read it."
            ),
            "Publish the recording with its transcript after the webinar.",
        ),
    )
    LARGE_PRINT_EMAIL = (
        "large_print_email",
        Effect(
            lazy_gettext("Emails in large print"),
            lazy_gettext(
                "You asked for large print: our emails to you use larger text, like this one."
            ),
            "Nothing: their emails use larger type by themselves.",
            email_style="large",
        ),
    )
    PLAIN_TEXT_EMAIL = (
        "plain_text_email",
        Effect(
            lazy_gettext("Plain-text emails (no pictures or formatting)"),
            lazy_gettext(
                "You asked for plain-text emails: our emails to you are plain text, like this one."
            ),
            "Nothing: their emails are sent as plain text by themselves.",
            email_style="plain",
        ),
    )
    PHONE_CALL_REMINDER = (
        "phone_call_reminder",
        Effect(
            lazy_gettext("A phone call to remind me"),
            lazy_gettext(
                "You asked for a reminder by phone: the organisers will call before the "
                "webinar. If they do not have a number for you, they will email to ask for one."
            ),
            "Call them before the webinar. If they gave no mobile for a text reminder, "
            "email them to ask for a number.",
            named=True,
        ),
    )

    @property
    def label(self) -> str:
        """The words in the current language (English outside a Welsh page or email)."""
        return str(self.effect.label)

    @classmethod
    def parse(cls, stored: str | list[str] | None) -> list[CommunicationNeed]:
        """The known needs in a stored value (joined by spaces, or a list), in the enum's
        order; anything else (an erased value, a need since withdrawn) is left out."""
        words = set(stored.split() if isinstance(stored, str) else stored or ())
        return [need for need in cls if need.value in words]

    @classmethod
    def join(cls, needs: list[CommunicationNeed] | list[str]) -> str:
        """How a registration stores them: values in the enum's order, joined by spaces."""
        return " ".join(need.value for need in cls.parse(list(needs)))


ALL_NEEDS = [need.value for need in CommunicationNeed]
