"""Pieces both the public and the organisers' forms use."""

from __future__ import annotations

import re

from wtforms import Field, SelectMultipleField
from wtforms.form import BaseForm
from wtforms.validators import DataRequired, Email, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

# C0 control characters but tab and newline: never typed, refused by PostgreSQL (NUL), and a
# lone carriage return would end a line in an email header or a calendar file.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def strip(value: str | None) -> str | None:
    """Multi-line text: line ends made \n, control characters dropped, ends trimmed."""
    if not isinstance(value, str):
        return value
    return _CONTROLS.sub("", value.replace("\r\n", "\n").replace("\r", "\n")).strip()


def one_line(value: str | None) -> str | None:
    """Single-line fields (names, titles, addresses): any run of spaces, tabs or line breaks
    becomes one space, so a pasted name cannot carry a newline into a header or invite."""
    if not isinstance(value, str):
        return value
    return " ".join(_CONTROLS.sub("", value).split())


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
