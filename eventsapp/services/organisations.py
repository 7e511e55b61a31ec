"""The partner organisations: who may change one, and its settings."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import select

from eventsapp.extensions import db
from eventsapp.models import Organisation, User
from eventsapp.services import audit


@dataclass
class Settings:
    """Everything an organisation's own organisers set; empty text is stored as NULL."""

    name: str
    about: str = ""
    website: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    charity_number: str = ""
    regulator: str = ""
    regulator_number: str = ""
    ico_number: str = ""
    dpo_email: str = ""
    marketing_description: str = ""
    about_cy: str = ""
    marketing_description_cy: str = ""

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in fields(cls)]


def all_by_name() -> list[Organisation]:
    return list(db.session.scalars(select(Organisation).order_by(Organisation.name)))


def editable_by(user: User, organisation_id: int) -> Organisation | None:
    """Admins may change any organisation; an organiser only their own."""
    if not user.is_admin and user.organisation_id != organisation_id:
        return None
    return db.session.get(Organisation, organisation_id)


def update(
    organisation: Organisation,
    settings: Settings,
    actor: User,
    now: datetime,
    logo_filename: str | None = None,
    remove_logo: bool = False,
) -> None:
    for field in fields(Settings):
        value = getattr(settings, field.name)
        setattr(organisation, field.name, value or None)
    if logo_filename:
        organisation.logo_filename = logo_filename
    elif remove_logo:
        organisation.logo_filename = None
    audit.record("organisation.updated", actor=actor, now=now, organisation=organisation.id)
