"""Database models, one module per aggregate. Importing this registers them all."""

from eventsapp.models import public_content  # noqa: F401  (keeps pages' versions)
from eventsapp.models.announcement import Announcement, Audience
from eventsapp.models.api_key import ApiAccess, ApiKey
from eventsapp.models.attendance import Attendance, AttendanceImport, AttendanceSource, attended
from eventsapp.models.audit import AuditEvent
from eventsapp.models.certificate import Certificate
from eventsapp.models.feedback import FeedbackResponse
from eventsapp.models.form_question import FormAnswer, FormQuestion, QuestionKind
from eventsapp.models.organisation import Organisation
from eventsapp.models.outbox import OutboxMessage, OutboxStatus
from eventsapp.models.platform_job import (
    Platform,
    PlatformJob,
    PlatformJobKind,
    PlatformJobStatus,
)
from eventsapp.models.recording import Recording
from eventsapp.models.registration import (
    AUDIENCES,
    MarketingConsent,
    QuestionStatus,
    Registration,
    RegistrationStatus,
)
from eventsapp.models.reminder import ReminderPlan
from eventsapp.models.review import Approval
from eventsapp.models.speaker import PanelMember, PanelRole, Speaker
from eventsapp.models.text_message import TextKind, TextMessage, TextReminderOptIn, TextStatus
from eventsapp.models.user import User
from eventsapp.models.webhook import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    WebhookEventType,
)
from eventsapp.models.webhook_receipt import WebhookReceipt
from eventsapp.models.webinar import Webinar, WebinarStatus, webinar_hosts

__all__ = [
    "AUDIENCES",
    "Announcement",
    "ApiAccess",
    "ApiKey",
    "Approval",
    "Attendance",
    "AttendanceImport",
    "AttendanceSource",
    "AuditEvent",
    "Audience",
    "Certificate",
    "DeliveryStatus",
    "FeedbackResponse",
    "FormAnswer",
    "FormQuestion",
    "MarketingConsent",
    "Organisation",
    "OutboxMessage",
    "OutboxStatus",
    "PanelMember",
    "PanelRole",
    "Platform",
    "PlatformJob",
    "PlatformJobKind",
    "PlatformJobStatus",
    "QuestionKind",
    "QuestionStatus",
    "Recording",
    "Registration",
    "RegistrationStatus",
    "ReminderPlan",
    "Speaker",
    "TextKind",
    "TextMessage",
    "TextReminderOptIn",
    "TextStatus",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
    "WebhookEventType",
    "WebhookReceipt",
    "Webinar",
    "attended",
    "WebinarStatus",
    "webinar_hosts",
]
