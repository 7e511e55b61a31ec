"""Database models, one module per aggregate. Importing this registers them all."""

from eventsapp.models import change_notices
from eventsapp.models.attendance import ATTENDANCE_SOURCES, Attendance, AttendanceImport
from eventsapp.models.audit import AuditEvent
from eventsapp.models.certificate import Certificate
from eventsapp.models.feedback import FeedbackResponse
from eventsapp.models.organisation import Organisation
from eventsapp.models.outbox import OUTBOX_STATUSES, OutboxMessage
from eventsapp.models.registration import (
    AUDIENCES,
    QUESTION_STATUSES,
    REGISTRATION_STATUSES,
    MarketingConsent,
    Registration,
)
from eventsapp.models.reminder import ReminderPlan
from eventsapp.models.speaker import PANEL_ROLES, PanelMember, Speaker
from eventsapp.models.user import User
from eventsapp.models.webinar import WEBINAR_STATUSES, Webinar, webinar_hosts

change_notices.install(Webinar.metadata)

__all__ = [
    "ATTENDANCE_SOURCES",
    "Attendance",
    "AttendanceImport",
    "AUDIENCES",
    "QUESTION_STATUSES",
    "OUTBOX_STATUSES",
    "PANEL_ROLES",
    "REGISTRATION_STATUSES",
    "WEBINAR_STATUSES",
    "AuditEvent",
    "Certificate",
    "FeedbackResponse",
    "MarketingConsent",
    "Organisation",
    "OutboxMessage",
    "PanelMember",
    "Registration",
    "ReminderPlan",
    "Speaker",
    "User",
    "Webinar",
    "webinar_hosts",
]
