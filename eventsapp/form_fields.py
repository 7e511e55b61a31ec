"""Pieces both the public and the organisers' forms use."""

from __future__ import annotations

from wtforms import SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget


def strip(value: str | None) -> str | None:
    """Leading and trailing spaces are never meant (pasted addresses, names)."""
    return value.strip() if isinstance(value, str) else value


class Checkboxes(SelectMultipleField):
    """A group of checkboxes (rendered by the `choices` macro as a fieldset)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()
