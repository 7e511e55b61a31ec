"""Database models, one module per aggregate. Importing this registers them all."""

from eventsapp.models.organisation import Organisation
from eventsapp.models.outbox import OUTBOX_STATUSES, OutboxMessage
from eventsapp.models.registration import (
    AUDIENCES,
    REGISTRATION_STATUSES,
    MarketingConsent,
    Registration,
)
from eventsapp.models.speaker import PANEL_ROLES, PanelMember, Speaker
from eventsapp.models.webinar import WEBINAR_STATUSES, Webinar, webinar_hosts

__all__ = [
    "AUDIENCES",
    "OUTBOX_STATUSES",
    "PANEL_ROLES",
    "REGISTRATION_STATUSES",
    "WEBINAR_STATUSES",
    "MarketingConsent",
    "Organisation",
    "OutboxMessage",
    "PanelMember",
    "Registration",
    "Speaker",
    "Webinar",
    "webinar_hosts",
]
