"""The registration form. Messages follow GOV.UK style: say what to do to fix it."""

from __future__ import annotations

from wtforms import BooleanField, Field, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from eventsapp.form_fields import Checkboxes, Form, email_validators, one_line, strip
from eventsapp.models import AUDIENCES, FormQuestion, Organisation, QuestionKind
from eventsapp.services import text_reminders

QUESTION_MAX = 1000


def _opt_in_label(org: Organisation) -> str:
    label = f"Send me news by email from {org.name}"
    return f"{label}: {org.marketing_description}" if org.marketing_description else label


class RegistrationForm(Form):
    full_name = StringField(
        "Full name",
        filters=[one_line],
        validators=[
            DataRequired("Enter your full name"),
            Length(max=200, message="Full name must be 200 characters or fewer"),
        ],
    )
    email = StringField(
        "Email address",
        filters=[one_line],
        validators=email_validators("Enter your email address"),
    )
    # A text reminder (services/text_reminders.py). The number is shown with the box and
    # needed only when it is ticked, so the form works without JavaScript. A number typed
    # without ticking the box is ignored, and not kept: ticking the box is the choice.
    text_reminder = BooleanField("Send me a text reminder")
    mobile = StringField("UK mobile number", filters=[one_line])
    audience = RadioField(
        "I am… (optional)",
        choices=[SelectChoice(value, label) for value, label in AUDIENCES.items()],
        validators=[Optional()],
    )
    question = TextAreaField(
        "Your question for the panel (optional)",
        filters=[strip],
        validators=[
            Length(max=QUESTION_MAX, message="Your question must be 1,000 characters or fewer"),
        ],
    )
    access_needs = TextAreaField(
        "Accessibility needs (optional)",
        filters=[strip],
        validators=[
            Length(max=1000, message="Accessibility needs must be 1,000 characters or fewer"),
        ],
    )
    consent = BooleanField(
        "I agree that the organisers can use my details, including anything about my "
        "health, to run this webinar and contact me about it.",
        validators=[
            DataRequired(
                "Tick the box to agree to us using your details for this webinar, "
                "or you cannot register"
            )
        ],
    )
    marketing = Checkboxes("Keeping in touch (optional)", coerce=int, validators=[Optional()])

    def validate_mobile(self, field: Field) -> None:
        if not self.text_reminder.data:
            return
        try:
            text_reminders.uk_mobile(field.data or "")
        except text_reminders.NotAMobile as exc:
            raise ValidationError(_MOBILE_REFUSED[exc.reason]) from exc

    def text_reminder_phone(self) -> str | None:
        """The number to text (E.164), or None: for registration.RegistrationInput."""
        if not self.text_reminder.data:
            return None
        return text_reminders.uk_mobile(self.mobile.data or "")

    def set_hosts(self, hosts: list[Organisation]) -> None:
        """One separate opt-in per host organisation: each is its own controller."""
        self.marketing.choices = [SelectChoice(org.id, _opt_in_label(org)) for org in hosts]

    # The organisers' own questions, in order: (field, question); see for_webinar.
    custom: list[tuple[Field, FormQuestion]] = []

    @property
    def health_questions(self) -> str:
        """The questions whose answers may be about health, named in the consent wording."""
        return " and ".join(f"“{q.label}”" for _, q in self.custom if q.about_health)

    def answers(self) -> dict[int, tuple[str, str]]:
        """What was answered, as registration.RegistrationInput.answers wants it."""
        found = {}
        for field, question in self.custom:
            value = field.data
            if isinstance(value, list):
                value = "\n".join(value)
            if value:
                found[question.id] = (question.label, _YES_NO.get(value, value))
        return found


_YES_NO = {"yes": "Yes", "no": "No"}

_EXAMPLE = "Enter a UK mobile number, like 07700 900123"
_MOBILE_REFUSED = {
    text_reminders.Refused.UNREADABLE: _EXAMPLE,
    text_reminders.Refused.NOT_UK: f"{_EXAMPLE}. We can only text UK mobile numbers",
    text_reminders.Refused.NOT_MOBILE: f"{_EXAMPLE}. We cannot text a landline",
}


def _custom_field(question: FormQuestion) -> Field:
    """A field like the built-in ones: optional or required, with a clear message."""
    kind = QuestionKind(question.kind)
    choosing = kind.has_choices or kind is QuestionKind.YES_NO
    message = (
        f"Choose an answer to: {question.label}"
        if choosing
        else f"Enter an answer to: {question.label}"
    )
    check = DataRequired(message) if question.required else Optional()
    label = question.label if question.required else f"{question.label} (optional)"
    choices = [SelectChoice(c, c) for c in question.choices]
    if kind is QuestionKind.SHORT_TEXT:
        return StringField(label, filters=[one_line], validators=[check, Length(max=500)])
    if kind is QuestionKind.LONG_TEXT:
        too_long = "Your answer must be 2,000 characters or fewer"
        return TextAreaField(
            label, filters=[strip], validators=[check, Length(max=2000, message=too_long)]
        )
    if kind is QuestionKind.MANY_CHOICES:
        return Checkboxes(label, choices=choices, validators=[check])
    if kind is QuestionKind.YES_NO:
        choices = [SelectChoice("yes", "Yes"), SelectChoice("no", "No")]
    return RadioField(label, choices=choices, validators=[check])


def registration_form(hosts: list[Organisation], questions: list[FormQuestion]) -> RegistrationForm:
    """The registration form of one webinar: its hosts' opt-ins and its own questions."""
    form_class = type(
        "WebinarRegistrationForm",
        (RegistrationForm,),
        {f"q{question.id}": _custom_field(question) for question in questions},
    )
    form = form_class()
    form.set_hosts(hosts)
    form.custom = [(form[f"q{question.id}"], question) for question in questions]
    return form


_SCALE = [
    SelectChoice(str(n), label)
    for n, label in (
        (5, "5 – very good"),
        (4, "4 – good"),
        (3, "3 – neither good nor poor"),
        (2, "2 – poor"),
        (1, "1 – very poor"),
    )
]


class FeedbackForm(Form):
    overall = RadioField(
        "Overall, how was the webinar?",
        choices=_SCALE,
        validators=[DataRequired("Choose how the webinar was overall, from 1 to 5")],
    )
    usefulness = RadioField(
        "How useful was it for managing your pain?",
        choices=[
            SelectChoice(c.value, c.label.replace("good", "useful").replace("poor", "useless"))
            for c in _SCALE
        ],
        validators=[DataRequired("Choose how useful it was, from 1 to 5")],
    )
    would_recommend = RadioField(
        "Would you recommend these webinars to someone else?",
        choices=[SelectChoice("yes", "Yes"), SelectChoice("no", "No")],
        validators=[DataRequired("Choose yes or no")],
    )
    comments = TextAreaField(
        "Anything else you would like to tell us? (optional)",
        filters=[strip],
        validators=[Length(max=2000, message="Your comments must be 2,000 characters or fewer")],
    )
