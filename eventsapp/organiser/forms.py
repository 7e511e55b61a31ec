"""Organiser forms. Validation of shape happens here; rules of the domain in the services."""

from __future__ import annotations

from flask_wtf.file import FileAllowed, FileField
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.fields.core import UnboundField
from wtforms.validators import (
    URL,
    DataRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from eventsapp.form_fields import Checkboxes, Form, email_validators, one_line, strip
from eventsapp.models import Audience, Organisation, PanelRole, QuestionKind, WebhookEventType
from eventsapp.models.communication_needs import CommunicationNeed

REMINDER_CHOICES = [
    SelectChoice(10080, "1 week before"),
    SelectChoice(1440, "1 day before"),
    SelectChoice(180, "3 hours before"),
    SelectChoice(60, "1 hour before"),
    SelectChoice(15, "15 minutes before"),
]


class LoginForm(Form):
    email = EmailField(
        "Email address", filters=[one_line], validators=[DataRequired("Enter your email address")]
    )
    password = PasswordField("Password", validators=[DataRequired("Enter your password")])


class ForgotPasswordForm(Form):
    email = EmailField(
        "Email address", filters=[one_line], validators=[DataRequired("Enter your email address")]
    )


class NewPasswordForm(Form):
    password = PasswordField(
        "New password",
        validators=[DataRequired("Enter a new password"), Length(max=1024)],
    )
    confirm = PasswordField(
        "Confirm new password", validators=[DataRequired("Confirm the password")]
    )

    def validate_confirm(self, field: PasswordField) -> None:
        if field.data != self.password.data:
            raise ValidationError("The passwords do not match")


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(
        "Current password", validators=[DataRequired("Enter your current password")]
    )


HTTPS_URL = [
    Optional(),
    Length(max=1000, message="The link must be 1,000 characters or fewer"),
    URL(require_tld=False, message="Enter a full link, starting with https://"),
    Regexp(r"^https://", message="Enter a full link, starting with https://"),
]


# The Welsh twin of an organiser-written field (locales.words): optional, the English
# field's filters and limits, and lang="cy" so browsers spell-check it and screen readers
# read it in Welsh.
_WELSH_INPUT = {"lang": "cy"}


def welsh_twin(english: UnboundField, label: str) -> UnboundField:
    """`english`'s optional Welsh version, labelled "<label> (optional)", with its filters
    and length limit (the message naming the Welsh field)."""
    lengths = [v for v in english.kwargs.get("validators", ()) if isinstance(v, Length)]
    return english.field_class(
        f"{label} (optional)",
        filters=english.kwargs.get("filters", ()),
        validators=[
            Length(max=v.max, message=f"{label} must be {v.max:,} characters or fewer")
            for v in lengths
        ],
        render_kw=_WELSH_INPUT,
    )


def welsh_values(form: Form) -> dict[str, str]:
    """Each Welsh twin's value (`<field>_cy`), "" when left blank."""
    return {field.name: field.data or "" for field in form if field.name.endswith("_cy")}


def _no_spaces(value: str | None) -> str | None:
    """Zoom shows IDs as "812 3456 7890"; people paste them so."""
    return value.replace(" ", "") if value else value


class WebinarForm(Form):
    title = StringField(
        "Title",
        filters=[one_line],
        validators=[
            DataRequired("Enter a title"),
            Length(max=200, message="Title must be 200 characters or fewer"),
        ],
    )
    slug = StringField(
        "Web address",
        filters=[one_line],
        validators=[
            Optional(),
            Length(max=120),
            Regexp(
                r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
                message="Use lower-case letters, numbers and single hyphens only",
            ),
        ],
    )
    summary = TextAreaField(
        "Summary",
        filters=[strip],
        validators=[Length(max=500, message="Summary must be 500 characters or fewer")],
    )
    description = TextAreaField(
        "Description",
        filters=[strip],
        validators=[Length(max=20000, message="Description must be 20,000 characters or fewer")],
    )
    email_note = TextAreaField(
        "Your note in the emails (optional)",
        filters=[strip],
        validators=[Length(max=2000, message="The note must be 2,000 characters or fewer")],
    )
    title_cy = welsh_twin(title, "Title in Welsh")
    summary_cy = welsh_twin(summary, "Summary in Welsh")
    description_cy = welsh_twin(description, "Description in Welsh")
    email_note_cy = welsh_twin(email_note, "Your note in Welsh emails")
    start_date = DateField("Date", validators=[DataRequired("Enter the date, like 2027-03-28")])
    start_time = TimeField(
        "Start time (UK time)", validators=[DataRequired("Enter the start time, like 18:30")]
    )
    duration_minutes = IntegerField(
        "Duration in minutes",
        validators=[
            DataRequired("Enter the duration in minutes"),
            NumberRange(min=5, max=1440, message="Duration must be between 5 and 1,440 minutes"),
        ],
    )
    capacity = IntegerField(
        "Places",
        validators=[
            Optional(),
            NumberRange(min=0, max=100000, message="Places must be between 0 and 100,000"),
        ],
    )
    waitlist_enabled = BooleanField("Offer a waiting list when all places are taken")
    closes_date = DateField("Registration closes: date (optional)", validators=[Optional()])
    closes_time = TimeField("Registration closes: time (optional)", validators=[Optional()])
    hosts = Checkboxes("Hosts", coerce=int)
    join_url = StringField(
        "Joining link of the webinar platform (never shown publicly)",
        filters=[one_line],
        validators=HTTPS_URL,
    )
    recording_url = StringField("Recording link", filters=[one_line], validators=HTTPS_URL)
    dial_in_numbers = TextAreaField(
        "Phone numbers to join by (optional)",
        filters=[strip],
        validators=[
            Length(max=2000, message="The phone numbers must be 2,000 characters or fewer")
        ],
    )
    dial_in_meeting_id = StringField(
        "Meeting ID for phone callers", filters=[one_line], validators=[Length(max=40)]
    )
    dial_in_passcode = StringField(
        "Passcode for phone callers", filters=[one_line], validators=[Length(max=40)]
    )
    zoom_webinar_id = StringField(
        "Zoom webinar ID (optional)",
        filters=[one_line, _no_spaces],
        validators=[
            Optional(),
            Regexp(r"^[0-9]{9,19}$", message="Enter the Zoom webinar ID: 9 to 19 digits"),
        ],
    )
    teams_webinar_id = StringField(
        "Teams webinar ID (optional)",
        filters=[one_line, _no_spaces],
        validators=[
            Optional(),
            Regexp(
                r"^[A-Za-z0-9-]{8,90}@[A-Za-z0-9-]{8,90}$",
                message=(
                    "Enter the Teams webinar ID as Microsoft Graph gives it: two long codes "
                    "joined by @"
                ),
            ),
        ],
    )
    reminders = Checkboxes(
        "Reminders", coerce=int, choices=REMINDER_CHOICES, validators=[Optional()]
    )

    needs_offered = Checkboxes(
        "Communication needs people can ask for",
        choices=[SelectChoice(need.value, need.label) for need in CommunicationNeed],
        validators=[Optional()],
    )
    needs_booking_days = IntegerField(
        "Days before the webinar to remind you to book captions or an interpreter",
        validators=[
            Optional(),  # empty: the usual 14 days (services/webinar_lifecycle.WebinarInput)
            NumberRange(min=1, max=90, message="Enter a number of days from 1 to 90"),
        ],
    )

    def set_hosts(self, organisations: list[Organisation]) -> None:
        self.hosts.choices = [SelectChoice(o.id, o.name) for o in organisations]

    def validate_teams_webinar_id(self, field: StringField) -> None:
        if field.data and self.zoom_webinar_id.data:
            raise ValidationError(
                "A webinar runs on Zoom or on Teams, not both: clear the Zoom webinar ID "
                "or the Teams webinar ID"
            )


class CancelWebinarForm(Form):
    message = TextAreaField(
        "Message to registrants",
        filters=[strip],
        validators=[
            DataRequired("Write a short message explaining the cancellation"),
            Length(max=2000, message="The message must be 2,000 characters or fewer"),
        ],
    )


class SpeakerForm(Form):
    name = StringField(
        "Name",
        filters=[one_line],
        validators=[DataRequired("Enter the speaker's name"), Length(max=200)],
    )
    professional_title = StringField(
        "Professional title", filters=[one_line], validators=[Length(max=200)]
    )
    organisation = StringField("Organisation", filters=[one_line], validators=[Length(max=200)])
    bio = TextAreaField(
        "Short biography",
        filters=[strip],
        validators=[Length(max=2000, message="The biography must be 2,000 characters or fewer")],
    )
    professional_title_cy = welsh_twin(professional_title, "Professional title in Welsh")
    bio_cy = welsh_twin(bio, "Short biography in Welsh")
    photo = FileField(
        "Photo (optional)",
        validators=[
            FileAllowed(
                ["png", "jpg", "jpeg", "webp"], "The photo must be a PNG, JPEG or WebP image"
            )
        ],
    )
    remove_photo = BooleanField("Remove the current photo")


class AddPanellistForm(Form):
    speaker = SelectField("Speaker", coerce=int, validators=[DataRequired("Choose a speaker")])
    role = RadioField(
        "Role",
        choices=[SelectChoice(r.value, str(r.label)) for r in PanelRole],
        default=PanelRole.PANELLIST,
        validators=[DataRequired("Choose a role")],
    )


class UserForm(Form):
    name = StringField(
        "Name", filters=[one_line], validators=[DataRequired("Enter a name"), Length(max=200)]
    )
    email = EmailField(
        "Email address",
        filters=[one_line],
        validators=email_validators("Enter an email address"),
    )
    role = RadioField(
        "Role",
        choices=[SelectChoice("organiser", "Organiser"), SelectChoice("admin", "Admin")],
        default="organiser",
        validators=[DataRequired("Choose a role")],
    )
    organisation = SelectField("Organisation (for organisers)", coerce=int, validators=[Optional()])
    password = PasswordField(
        "Initial password", validators=[DataRequired("Enter an initial password"), Length(max=1024)]
    )


class OrganisationForm(Form):
    name = StringField(
        "Name", filters=[one_line], validators=[DataRequired("Enter a name"), Length(max=200)]
    )
    slug = StringField(
        "Short name",
        filters=[one_line],
        validators=[
            DataRequired("Enter a short name"),
            Length(max=60),
            Regexp(
                r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
                message="Use lower-case letters, numbers and single hyphens only",
            ),
        ],
    )
    website = StringField("Website", filters=[one_line], validators=HTTPS_URL)


def _optional_text(label: str, length: int) -> StringField:
    return StringField(label, filters=[one_line], validators=[Length(max=length)])


class OrganisationSettingsForm(Form):
    """What the public pages, the contact page and the privacy notice say about us."""

    name = StringField(
        "Name", filters=[one_line], validators=[DataRequired("Enter a name"), Length(max=200)]
    )
    about = TextAreaField(
        "What the organisation does",
        filters=[one_line],
        validators=[Length(max=300, message="Keep this to 300 characters or fewer")],
    )
    website = StringField("Website", filters=[one_line], validators=HTTPS_URL)
    contact_email = EmailField(
        "Contact email address",
        filters=[one_line],
        validators=email_validators("Enter the email address people can write to"),
    )
    contact_phone = _optional_text("Contact phone number (optional)", 40)
    charity_number = _optional_text("Registered charity number (optional)", 40)
    regulator = _optional_text("Health regulator (optional)", 200)
    regulator_number = _optional_text("Registration number with that regulator (optional)", 60)
    ico_number = _optional_text("ICO registration number (optional)", 20)
    dpo_email = EmailField(
        "Data protection officer's email address (optional)",
        filters=[one_line],
        validators=[Optional(), *email_validators("Enter a valid email address")],
    )
    marketing_description = _optional_text("What people get if they opt in to your news", 300)
    about_cy = welsh_twin(about, "What the organisation does, in Welsh")
    marketing_description_cy = welsh_twin(
        marketing_description, "What people get if they opt in to your news, in Welsh"
    )
    logo = FileField(
        "Logo (optional)",
        validators=[
            FileAllowed(
                ["png", "jpg", "jpeg", "webp"], "The logo must be a PNG, JPEG or WebP image"
            )
        ],
    )
    remove_logo = BooleanField("Remove the current logo")


class AnnouncementForm(Form):
    audience = RadioField(
        "Send to",
        choices=[SelectChoice(a.value, a.label.capitalize()) for a in Audience],
        default=Audience.EVERYONE.value,
        validators=[DataRequired("Choose who to send it to")],
    )
    subject = StringField(
        "Subject",
        filters=[one_line],
        validators=[DataRequired("Enter a subject"), Length(max=200)],
    )
    body = TextAreaField(
        "Message",
        filters=[strip],
        validators=[
            DataRequired("Write the message"),
            Length(max=5000, message="The message must be 5,000 characters or fewer"),
        ],
    )
    # Both Welsh parts or neither: services/announcements.draft says so.
    subject_cy = welsh_twin(subject, "Subject in Welsh")
    body_cy = welsh_twin(body, "Message in Welsh")


class FormQuestionForm(Form):
    kind = RadioField(
        "Kind of answer",
        choices=[SelectChoice(k.value, k.label) for k in QuestionKind],
        default=QuestionKind.SHORT_TEXT.value,
        validators=[DataRequired("Choose the kind of answer")],
    )
    label = StringField(
        "Question",
        filters=[one_line],
        validators=[DataRequired("Enter the question"), Length(max=300)],
    )
    hint = StringField("Hint (optional)", filters=[one_line], validators=[Length(max=500)])
    choices = TextAreaField(
        "Choices (for a list)",
        filters=[strip],
        validators=[Length(max=4000, message="The choices must be 4,000 characters or fewer")],
    )
    required = BooleanField("People must answer it")
    about_health = BooleanField("Answers may say something about the person's health")
    # Shown on the Welsh form (/cy).
    label_cy = welsh_twin(label, "Question in Welsh")
    hint_cy = welsh_twin(hint, "Hint in Welsh")
    choices_cy = welsh_twin(choices, "Choices in Welsh")


class WebhookEndpointForm(Form):
    address = StringField(
        "Address (URL) to send events to",
        filters=[one_line],
        validators=[DataRequired("Enter the address to send events to"), Length(max=2000)],
    )
    description = StringField(
        "What it is for (optional)", filters=[one_line], validators=[Length(max=200)]
    )
    events = Checkboxes(
        "Events to send",
        choices=[SelectChoice(e.value, e.label) for e in WebhookEventType.choosable()],
        validators=[DataRequired("Choose at least one event")],
    )
    include_health = BooleanField(
        "Include health details: questions for the panel, access needs and answers about health"
    )
