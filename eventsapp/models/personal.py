"""Registrants' personal data, marked where each column is declared.

A column is personal when it identifies a registrant or says something about them that must
not outlive their erasure: `mapped_column(..., info={"personal": True})`. Erasure and the
subject-access export (services/privacy.py) and tests/test_privacy.py all iterate
`personal_columns()`, so a column marked where it is declared is covered by all three.
The export names it as the column is named, unless the mark says otherwise ("exported_as").

What erasing writes into a marked column:
- what its mark says in "erased": a value, DELETE_ROW (the row goes), ListOfPeople (drop the
  person's entries, keep the others'), or a function of the table giving a per-row SQL
  expression (for a column that must stay unique);
- else NULL if the column is nullable;
- else its default if that is a plain value (a question left blank: "");
- else ERASED_TEXT for text.
Anything else (a unique column, a number) must say "erased" in its mark; personal_columns()
refuses it, so the privacy tests fail before any erasure could.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlalchemy import Column, ColumnElement, String, Table, UniqueConstraint, cast, literal

from eventsapp.extensions import db

ERASED_TEXT = "(details deleted)"


class Erase(Enum):
    DELETE_ROW = "delete the row"


DELETE_ROW = Erase.DELETE_ROW


@dataclass(frozen=True)
class ListOfPeople:
    """A JSON list with one entry per person, named by the entry's `address` field: erasing a
    person drops their entries and keeps everyone else's."""

    address: str

    def whose(self, entry: dict[str, Any]) -> str:
        """The entry's address, normalised as registrations' are, to compare with them."""
        return str(entry.get(self.address) or "").strip().lower()

    def of(self, entries: list[dict[str, Any]], address: str) -> list[dict[str, Any]]:
        return [entry for entry in entries if self.whose(entry) == address]


def erased_address(table: Table) -> ColumnElement[str]:
    """erased-<id>@invalid: unique per row (the webinar-and-address constraint needs that) and
    undeliverable (.invalid is reserved, RFC 2606)."""
    return literal("erased-") + cast(table.c.id, String) + literal("@invalid")


@dataclass(frozen=True)
class PersonalColumn:
    column: Column[Any]
    # A value, DELETE_ROW, a ListOfPeople, or a function of the table (see the module's doc).
    erased: Any

    @property
    def exported_as(self) -> str:
        return str(self.column.info.get("exported_as", self.column.key))

    def erased_value(self) -> Any:
        """What an UPDATE sets the column to (not for DELETE_ROW or ListOfPeople)."""
        return self.erased(self.column.table) if callable(self.erased) else self.erased


def personal_columns() -> dict[Table, tuple[PersonalColumn, ...]]:
    """Every table with marked columns, with what erasing writes into each."""
    found = {}
    for table in db.metadata.sorted_tables:
        marked = tuple(
            PersonalColumn(column, _erased(column))
            for column in table.columns
            if column.info.get("personal")
        )
        if marked:
            found[table] = marked
    return found


def _erased(column: Column[Any]) -> Any:
    if "erased" in column.info:
        return column.info["erased"]
    if column.nullable:
        return None
    if _unique(column):
        # A fixed value would break the constraint at the second erasure.
        raise ValueError(f"{column} is personal and unique: its mark must say what erasing writes")
    if column.default is not None and column.default.is_scalar:
        return column.default.arg
    if isinstance(column.type, String):
        return ERASED_TEXT[: column.type.length]
    raise ValueError(f"{column} is personal: its mark must say what erasing writes")


def _unique(column: Column[Any]) -> bool:
    table = column.table
    return bool(column.unique or column.primary_key) or any(
        group.columns.contains_column(column)
        for group in (*table.constraints, *table.indexes)
        if isinstance(group, UniqueConstraint) or getattr(group, "unique", False)
    )
