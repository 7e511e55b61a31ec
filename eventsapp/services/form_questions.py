"""Questions organisers add to a webinar's registration form.

Answers keep the English wording of the question and choice they were given to (a Welsh
form shows the Welsh wording and records the English), and a question that people have
answered is only ever hidden from the form, never deleted, so changing the form never
loses answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, insert, select

from eventsapp.extensions import db
from eventsapp.models import FormAnswer, FormQuestion, QuestionKind, User, Webinar
from eventsapp.services import access, audit
from eventsapp.services.errors import DomainError

MAX_CHOICES = 20


class FormQuestionError(DomainError):
    pass


@dataclass
class QuestionInput:
    kind: QuestionKind
    label: str
    hint: str = ""
    required: bool = False
    about_health: bool = False
    choices: list[str] = field(default_factory=list)
    # The optional Welsh wording (shown on Welsh pages): blank shows the English.
    label_cy: str = ""
    hint_cy: str = ""
    choices_cy: list[str] = field(default_factory=list)


def active(webinar: Webinar) -> list[FormQuestion]:
    return list(
        db.session.scalars(
            select(FormQuestion)
            .where(FormQuestion.webinar_id == webinar.id, FormQuestion.removed_at.is_(None))
            .order_by(FormQuestion.position, FormQuestion.id)
        )
    )


def answered(webinar: Webinar) -> list[FormQuestion]:
    """Every question anyone has answered, on the form or not (for lists and exports)."""
    return list(
        db.session.scalars(
            select(FormQuestion)
            .where(
                FormQuestion.webinar_id == webinar.id,
                FormQuestion.id.in_(select(FormAnswer.question_id)),
            )
            .order_by(FormQuestion.position, FormQuestion.id)
        )
    )


def question_in(webinar: Webinar, question_id: int) -> FormQuestion:
    return access.row_of(
        webinar,
        FormQuestion,
        question_id,
        FormQuestionError("That question is not on this webinar's form"),
    )


def _checked(data: QuestionInput) -> list[str]:
    choices = [c for c in dict.fromkeys(c.strip() for c in data.choices) if c]
    if data.kind.has_choices and len(choices) < 2:
        raise FormQuestionError("Give at least two choices, one on each line", "choices")
    if len(choices) > MAX_CHOICES:
        raise FormQuestionError(f"Give no more than {MAX_CHOICES} choices", "choices")
    return choices if data.kind.has_choices else []


def _welsh_choices(data: QuestionInput, choices: list[str]) -> list[str]:
    """None, or one Welsh wording per English choice, in the same order: the Welsh form
    shows each in place of its English, and records the English."""
    welsh = [c for c in dict.fromkeys(c.strip() for c in data.choices_cy) if c]
    if not welsh or not choices:
        return []
    if len(welsh) != len(choices):
        raise FormQuestionError(
            f"Give one Welsh choice for each of the {len(choices)} choices, in the same "
            "order, or leave the Welsh choices empty",
            "choices_cy",
        )
    return welsh


def add(webinar: Webinar, data: QuestionInput, actor: User, now: datetime) -> FormQuestion:
    choices = _checked(data)
    position = db.session.scalar(
        select(func.coalesce(func.max(FormQuestion.position), -1) + 1).where(
            FormQuestion.webinar_id == webinar.id
        )
    )
    question = FormQuestion(
        webinar_id=webinar.id,
        position=position,
        kind=data.kind,
        label=data.label,
        hint=data.hint,
        required=data.required,
        about_health=data.about_health,
        choices=choices,
        label_cy=data.label_cy,
        hint_cy=data.hint_cy,
        choices_cy=_welsh_choices(data, choices),
    )
    db.session.add(question)
    db.session.flush()
    audit.record("form_question.added", actor=actor, now=now, webinar=webinar, question=question.id)
    return question


def update(
    webinar: Webinar, question: FormQuestion, data: QuestionInput, actor: User, now: datetime
) -> None:
    choices = _checked(data)
    choices_cy = _welsh_choices(data, choices)
    if choices_cy and choices != question.choices and choices_cy == question.choices_cy:
        # Welsh choices stand for English ones by position: a Welsh answer would be
        # recorded as whichever English choice now stands in its place.
        raise FormQuestionError(
            "You changed the English choices: change the Welsh choices to match them, "
            "or leave the Welsh choices empty",
            "choices_cy",
        )
    if data.kind != question.kind and _has_answers(question):
        raise FormQuestionError(
            "People have answered this question, so its kind cannot change. "
            "Remove it and add a new one instead",
            "kind",
        )
    question.kind, question.label, question.hint = data.kind, data.label, data.hint
    question.required, question.about_health, question.choices = (
        data.required,
        data.about_health,
        choices,
    )
    question.label_cy, question.hint_cy, question.choices_cy = (
        data.label_cy,
        data.hint_cy,
        choices_cy,
    )
    audit.record(
        "form_question.updated", actor=actor, now=now, webinar=webinar, question=question.id
    )


def remove(webinar: Webinar, question: FormQuestion, actor: User, now: datetime) -> None:
    """Off the form; deleted only if nobody has answered it."""
    if _has_answers(question):
        question.removed_at = now
    else:
        db.session.delete(question)
    audit.record(
        "form_question.removed", actor=actor, now=now, webinar=webinar, question=question.id
    )


def _has_answers(question: FormQuestion) -> bool:
    return bool(
        db.session.scalar(select(FormAnswer.id).where(FormAnswer.question_id == question.id))
    )


def record_answers(registration_id: int, answers: dict[int, tuple[str, str]]) -> None:
    """The registration's answers, {question id: (wording asked, answer)}: replaces any
    earlier ones (registering again after cancelling)."""
    db.session.execute(delete(FormAnswer).where(FormAnswer.registration_id == registration_id))
    if answers:
        db.session.execute(
            insert(FormAnswer),
            [
                {"registration_id": registration_id, "question_id": q, "asked": a, "answer": v}
                for q, (a, v) in answers.items()
            ],
        )
