"""The registration form. Messages follow GOV.UK style: say what to do to fix it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import LazyString, gettext, lazy_gettext
from markupsafe import Markup, escape
from wtforms import BooleanField, Field, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from eventsapp import locales
from eventsapp.form_fields import Checkboxes, Form, email_validators, one_line, strip
from eventsapp.models import AUDIENCES, FormQuestion, Organisation, QuestionKind
from eventsapp.models.communication_needs import CommunicationNeed
from eventsapp.services import text_reminders

QUESTION_MAX = 1000


def _opt_in_label(org: Organisation) -> Markup | str:
    """The host's opt-in with its own words in the page's language (locales.words): English
    words on a Welsh page are marked lang="en"."""
    label = gettext("Send me news by email from %(organisation)s", organisation=org.name)
    described = locales.words(org, "marketing_description")
    return Markup("%s: %s") % (label, locales.in_english(described)) if described else label


# The words of choices defined elsewhere (models), so they can be translated here: the
# form shows these; what is stored is the value.
_AUDIENCE_LABELS = {
    "living_with_pain": lazy_gettext("Living with back or neck pain"),
    "carer": lazy_gettext("Carer or family member"),
    "healthcare_professional": lazy_gettext("Healthcare professional"),
    "other": lazy_gettext("Other"),
}


def _need_choices(needs: list[CommunicationNeed]) -> list[SelectChoice]:
    return [SelectChoice(need.value, need.label) for need in needs]


# form_fields.email_validators' messages (shared with the organisers' forms), in the page's
# language: the same checks, with their flags (`required`), and the message translated.
_EMAIL_MESSAGES = {
    "Email address must be 254 characters or fewer": lazy_gettext(
        "Email address must be 254 characters or fewer"
    ),
    "Enter an email address in the correct format, like name@example.com": lazy_gettext(
        "Enter an email address in the correct format, like name@example.com"
    ),
    "Enter an email address with only English letters, numbers and symbols before the @, "
    "like name@example.com": lazy_gettext(
        "Enter an email address with only English letters, numbers and symbols before the "
        "@, like name@example.com"
    ),
}


def _translated(validator: Callable[[Any, Field], None]) -> Callable[[Any, Field], None]:
    def check(form: Any, field: Field) -> None:
        try:
            validator(form, field)
        except ValidationError as exc:  # StopValidation too: raised again as its own type
            message = exc.args[0] if exc.args else ""
            raise type(exc)(_EMAIL_MESSAGES.get(str(message), message)) from None

    check.field_flags = getattr(validator, "field_flags", {})  # type: ignore[attr-defined]
    return check


class NeedsCheckboxes(Checkboxes):
    """The communication needs: a value not offered gets a message that says what to do."""

    def pre_validate(self, form: Any) -> None:
        offered = {str(value) for value, *_ in self.iter_choices()}
        if any(value not in offered for value in self.data or ()):
            raise ValidationError(gettext("Choose only from the communication needs listed"))


FOR_SOMEONE_ELSE = "someone_else"
_NO_NAME = lazy_gettext("Enter your full name")


class RegistrationForm(Form):
    # Who the place is for. Without JavaScript every field shows; the carer's name and their
    # word that they have permission are needed only for "Someone I care for" (with
    # JavaScript they show only then: data-shown-when in templates/public/_register.html).
    SOMEONE_ELSE = FOR_SOMEONE_ELSE
    who_for = RadioField(
        lazy_gettext("Who is this place for?"),
        choices=[
            SelectChoice("me", lazy_gettext("Me")),
            SelectChoice(FOR_SOMEONE_ELSE, lazy_gettext("Someone I care for")),
        ],
        default="me",
        validators=[Optional()],
    )
    carer_name = StringField(
        lazy_gettext("Your name, if you are registering someone else"),
        filters=[one_line],
        validators=[
            Length(max=200, message=lazy_gettext("Your name must be 200 characters or fewer"))
        ],
    )
    full_name = StringField(
        lazy_gettext("Full name"),
        filters=[one_line],
        validators=[
            DataRequired(_NO_NAME),
            Length(max=200, message=lazy_gettext("Full name must be 200 characters or fewer")),
        ],
    )
    email = StringField(
        lazy_gettext("Email address"),
        filters=[one_line],
        validators=[
            _translated(v) for v in email_validators(lazy_gettext("Enter your email address"))
        ],
    )
    # A text reminder (services/text_reminders.py). The number is shown with the box and
    # needed only when it is ticked, so the form works without JavaScript. A number typed
    # without ticking the box is ignored, and not kept: ticking the box is the choice.
    text_reminder = BooleanField(lazy_gettext("Send me a text reminder"))
    mobile = StringField(lazy_gettext("UK mobile number"), filters=[one_line])
    audience = RadioField(
        lazy_gettext("I am… (optional)"),
        choices=[
            SelectChoice(value, _AUDIENCE_LABELS.get(value, label))
            for value, label in AUDIENCES.items()
        ],
        validators=[Optional()],
    )
    question = TextAreaField(
        lazy_gettext("Your question for the panel (optional)"),
        filters=[strip],
        validators=[
            Length(
                max=QUESTION_MAX,
                message=lazy_gettext("Your question must be 1,000 characters or fewer"),
            ),
        ],
    )
    communication_needs = NeedsCheckboxes(
        lazy_gettext("Communication needs (optional)"),
        choices=_need_choices(list(CommunicationNeed)),
        validators=[Optional()],
    )
    access_needs = TextAreaField(
        lazy_gettext("Anything else that would help? (optional)"),
        filters=[strip],
        validators=[
            Length(
                max=1000,
                message=lazy_gettext("Accessibility needs must be 1,000 characters or fewer"),
            ),
        ],
    )
    consent = BooleanField(
        lazy_gettext(
            "I agree that the organisers can use my details, including anything about my "
            "health, to run this webinar and contact me about it."
        ),
        validators=[
            DataRequired(
                lazy_gettext(
                    "Tick the box to agree to us using your details for this webinar, "
                    "or you cannot register"
                )
            )
        ],
    )
    carer_consent = BooleanField(
        lazy_gettext(
            "I have their permission to register them and to share their details above, "
            "including anything about their health."
        )
    )
    marketing = Checkboxes(
        lazy_gettext("Keeping in touch (optional)"), coerce=int, validators=[Optional()]
    )

    @property
    def for_someone_else(self) -> bool:
        return self.who_for.data == FOR_SOMEONE_ELSE

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if self.for_someone_else and self.full_name.errors == [_NO_NAME]:
            self.full_name.errors = [
                gettext("Enter the full name of the person you are registering")
            ]
        return valid

    def validate_carer_name(self, field: Field) -> None:
        if self.for_someone_else and not field.data:
            raise ValidationError(gettext("Enter your name, as the person registering them"))

    def validate_carer_consent(self, field: Field) -> None:
        if self.for_someone_else and not field.data:
            raise ValidationError(
                gettext(
                    "Tick the box to say you have their permission to register them, "
                    "or they can register themselves"
                )
            )

    def carer_name_given(self) -> str | None:
        """The carer's name when they register someone else, else None."""
        return (self.carer_name.data or None) if self.for_someone_else else None

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
        """The questions whose answers may be about health, named in the consent wording
        (an English question inside the Welsh sentence marked lang="en")."""
        return locales.and_list(
            Markup("“%s”") % locales.in_english(locales.words(q, "label"))
            for _, q in self.custom
            if q.about_health
        )

    def answers(self) -> dict[int, tuple[str, str]]:
        """What was answered, as registration.RegistrationInput.answers wants it."""
        found: dict[int, tuple[str, str]] = {}
        for field, question in self.custom:
            value = field.data
            if isinstance(value, list):
                value = "\n".join(value)
            if value:
                found[question.id] = (question.label, _YES_NO.get(value, value))
        return found


_YES_NO = {"yes": "Yes", "no": "No"}

_MOBILE_REFUSED = {
    text_reminders.Refused.UNREADABLE: lazy_gettext("Enter a UK mobile number, like 07700 900123"),
    text_reminders.Refused.NOT_UK: lazy_gettext(
        "Enter a UK mobile number, like 07700 900123. We can only text UK mobile numbers"
    ),
    text_reminders.Refused.NOT_MOBILE: lazy_gettext(
        "Enter a UK mobile number, like 07700 900123. We cannot text a landline"
    ),
}


def _shown_choices(question: FormQuestion) -> list[SelectChoice]:
    """The question's choices: each one's value is its English wording (what is recorded,
    whichever page was used); its label on a Welsh page is the organisers' Welsh for it if
    they gave it (all or none: services/form_questions.py), else the English, marked."""
    wanted = locales.shown_language()
    welsh = wanted == locales.WELSH and len(question.choices_cy) == len(question.choices)
    language = locales.WELSH if welsh else locales.ENGLISH
    labels = question.choices_cy if welsh else question.choices
    return [
        SelectChoice(value, locales.in_english(locales.Words(label, language, wanted)))
        for value, label in zip(question.choices, labels, strict=True)
    ]


def _custom_field(question: FormQuestion) -> Field:
    """A field like the built-in ones: optional or required, with a clear message. Its
    words are the organisers' Welsh on a Welsh page when they gave it (locales.words),
    else their English, marked lang="en" there."""
    kind = QuestionKind(question.kind)
    choosing = kind.has_choices or kind is QuestionKind.YES_NO
    asked = locales.words(question, "label")
    message = (
        gettext("Choose an answer to: %(question)s", question=asked)
        if choosing
        else gettext("Enter an answer to: %(question)s", question=asked)
    )
    check = DataRequired(message) if question.required else Optional()
    shown = locales.in_english(asked)
    label = (
        shown
        if question.required
        # Markup: an English fallback's <span lang="en"> inside the Welsh stays markup.
        else escape(gettext("%(question)s (optional)")) % {"question": shown}
    )
    choices = _shown_choices(question)
    if kind is QuestionKind.SHORT_TEXT:
        return StringField(label, filters=[one_line], validators=[check, Length(max=500)])
    if kind is QuestionKind.LONG_TEXT:
        too_long = gettext("Your answer must be 2,000 characters or fewer")
        return TextAreaField(
            label, filters=[strip], validators=[check, Length(max=2000, message=too_long)]
        )
    if kind is QuestionKind.MANY_CHOICES:
        return Checkboxes(label, choices=choices, validators=[check])
    if kind is QuestionKind.YES_NO:
        # Shown in the page's language; the answer is recorded in English (_YES_NO).
        choices = [SelectChoice("yes", gettext("Yes")), SelectChoice("no", gettext("No"))]
    return RadioField(label, choices=choices, validators=[check])


def registration_form(
    hosts: list[Organisation],
    questions: list[FormQuestion],
    needs: list[CommunicationNeed] | None = None,
) -> RegistrationForm:
    """The registration form of one webinar: its hosts' opt-ins and its own questions, and
    the communication needs it offers (`needs`; None: every need, and register() keeps
    only those the webinar offers)."""
    form_class = type(
        "WebinarRegistrationForm",
        (RegistrationForm,),
        {f"q{question.id}": _custom_field(question) for question in questions},
    )
    form = form_class()
    form.set_hosts(hosts)
    if needs is not None:
        form.communication_needs.choices = _need_choices(needs)
    form.custom = [(form[f"q{question.id}"], question) for question in questions]
    return form


def _scale(*labels: LazyString) -> list[SelectChoice]:
    """A 5-to-1 scale: the value stored is the number, whatever the page's language."""
    return [SelectChoice(str(n), label) for n, label in zip(range(5, 0, -1), labels, strict=True)]


_GOOD = _scale(
    lazy_gettext("5 – very good"),
    lazy_gettext("4 – good"),
    lazy_gettext("3 – neither good nor poor"),
    lazy_gettext("2 – poor"),
    lazy_gettext("1 – very poor"),
)
_USEFUL = _scale(
    lazy_gettext("5 – very useful"),
    lazy_gettext("4 – useful"),
    lazy_gettext("3 – neither useful nor useless"),
    lazy_gettext("2 – useless"),
    lazy_gettext("1 – very useless"),
)


class FeedbackForm(Form):
    overall = RadioField(
        lazy_gettext("Overall, how was the webinar?"),
        choices=_GOOD,
        validators=[DataRequired(lazy_gettext("Choose how the webinar was overall, from 1 to 5"))],
    )
    usefulness = RadioField(
        lazy_gettext("How useful was it for managing your pain?"),
        choices=_USEFUL,
        validators=[DataRequired(lazy_gettext("Choose how useful it was, from 1 to 5"))],
    )
    would_recommend = RadioField(
        lazy_gettext("Would you recommend these webinars to someone else?"),
        choices=[SelectChoice("yes", lazy_gettext("Yes")), SelectChoice("no", lazy_gettext("No"))],
        validators=[DataRequired(lazy_gettext("Choose yes or no"))],
    )
    comments = TextAreaField(
        lazy_gettext("Anything else you would like to tell us? (optional)"),
        filters=[strip],
        validators=[
            Length(
                max=2000,
                message=lazy_gettext("Your comments must be 2,000 characters or fewer"),
            )
        ],
    )


# On the manage page: the language of their later emails and texts. Each language is named in
# itself (locales.NAMES), so marked with its own lang whatever the page's.
LANGUAGE_CHANGED = {
    locales.ENGLISH: lazy_gettext("We will write to you in English from now on."),
    locales.WELSH: lazy_gettext("We will write to you in Welsh from now on."),
}


class LanguageForm(Form):
    language = RadioField(
        lazy_gettext("Which language should we write to you in?"),
        choices=[
            SelectChoice(code, Markup('<span lang="%s">%s</span>') % (code, name))
            for code, name in locales.NAMES.items()
        ],
        validators=[DataRequired(lazy_gettext("Choose English or Cymraeg"))],
    )


def audience_label(audience: str | None) -> str | None:
    """What someone said they are ("I am…"), in the page's language."""
    return _AUDIENCE_LABELS.get(audience or "")
