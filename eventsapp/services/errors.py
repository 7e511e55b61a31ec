"""The one exception type the domain raises for "this cannot be done": views show its message."""

from __future__ import annotations


class DomainError(ValueError):
    """A clear message for the person at the form; `field` names the form field, if one."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field
