"""Pieces both the public and the organisers' forms use."""

from __future__ import annotations

from functools import cache

from babel.support import Translations
from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms import Field, SelectMultipleField
from wtforms.form import BaseForm
from wtforms.i18n import messages_path
from wtforms.validators import DataRequired, Email, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from eventsapp import text


def strip(value: str | None) -> str | None:
    """Filter for multi-line fields (see text.lines)."""
    return text.lines(value) if isinstance(value, str) else value


def one_line(value: str | None) -> str | None:
    """Filter for single-line fields (names, titles, addresses): a pasted name cannot carry
    a newline into a header or an invite (see text.one_line)."""
    return text.one_line(value) if isinstance(value, str) else value


class Form(FlaskForm):
    """The base of every form. CSRFProtect checks the token of every POST before any view
    runs, so a form does not check it a second time, nor sign a fresh token when it is
    built; templates put the token in with the `csrf_field` macro (_forms.html)."""

    class Meta:
        csrf = False

        def get_translations(self, form: BaseForm) -> Translations:
            # WTForms' own messages in the page's language, as Flask-WTF gives them, but
            # read from disk once per process (Flask-WTF parses the file on every request).
            return _wtforms_messages(str(get_locale() or "en"))


@cache
def _wtforms_messages(locale: str) -> Translations:
    return Translations.load(messages_path(), [locale], domain="wtforms")


class Checkboxes(SelectMultipleField):
    """A group of checkboxes (rendered by the `choices` macro as a fieldset)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _ascii_before_the_at(form: BaseForm, field: Field) -> None:
    """Letters like é before the @ need SMTPUTF8, which mail relays do not all offer.

    Such an address could be stored but never reached, so it is refused with a message that
    says what to change. Accented domains are fine: they are sent in their ASCII form.
    """
    local = (field.data or "").rpartition("@")[0]
    if not local.isascii():
        raise ValidationError(
            "Enter an email address with only English letters, numbers and symbols "
            "before the @, like name@example.com"
        )


def email_validators(required: str) -> list:
    """An address we can deliver to: present, short enough, well formed, reachable."""
    return [
        DataRequired(required),
        Length(max=254, message="Email address must be 254 characters or fewer"),
        Email(
            "Enter an email address in the correct format, like name@example.com",
            check_deliverability=False,
        ),
        _ascii_before_the_at,
    ]
