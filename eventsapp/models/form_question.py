"""Questions organisers add to a webinar's registration form, and registrants' answers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from eventsapp.extensions import db
from eventsapp.models.personal import DELETE_ROW
from eventsapp.models.registration import Registration
from eventsapp.models.types import Labelled, UTCDateTime, one_of


class QuestionKind(Labelled):
    """How a question is answered; `label` is what organisers choose from."""

    SHORT_TEXT = "short_text", "A short answer (one line)"
    LONG_TEXT = "long_text", "A longer answer (a paragraph)"
    ONE_CHOICE = "one_choice", "One choice from a list"
    MANY_CHOICES = "many_choices", "Any number of choices from a list"
    YES_NO = "yes_no", "Yes or no"

    @property
    def has_choices(self) -> bool:
        return self in (QuestionKind.ONE_CHOICE, QuestionKind.MANY_CHOICES)


class FormQuestion(db.Model):  # type: ignore[name-defined]
    __tablename__ = "form_questions"
    __table_args__ = (one_of("kind", QuestionKind),)

    id: Mapped[int] = mapped_column(primary_key=True)
    webinar_id: Mapped[int] = mapped_column(ForeignKey("webinars.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(300))
    hint: Mapped[str] = mapped_column(String(500), default="")
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    # Answers may say something about the person's health: the consent wording names it.
    about_health: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    choices: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Optional Welsh twins (locales.words), shown on Welsh pages; empty shows the English.
    # choices_cy is empty or one Welsh wording per choice, in the same order: an answer is
    # still recorded as the English choice (services/form_questions.py checks the count).
    label_cy: Mapped[str] = mapped_column(String(300), default="", server_default="")
    hint_cy: Mapped[str] = mapped_column(String(500), default="", server_default="")
    choices_cy: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    # Removed from the form; kept while anyone's answer refers to it.
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FormAnswer(db.Model):  # type: ignore[name-defined]
    __tablename__ = "form_answers"
    __table_args__ = (UniqueConstraint("registration_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("form_questions.id"))
    # The question as it was worded when they answered: a later edit does not change it.
    asked: Mapped[str] = mapped_column(String(300))
    # Several choices are one per line.
    answer: Mapped[str] = mapped_column(Text, info={"personal": True, "erased": DELETE_ROW})

    # registration.answers (declared here: registration.py is upstream).
    registration: Mapped[Registration] = relationship(
        backref=backref("answers", order_by="FormAnswer.question_id", passive_deletes=True)
    )
