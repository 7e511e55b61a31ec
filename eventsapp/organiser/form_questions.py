"""A webinar's registration form: the organisers' own questions."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from eventsapp.extensions import db
from eventsapp.models import FormQuestion, QuestionKind, Webinar
from eventsapp.organiser import bp
from eventsapp.organiser.context import actor, apply, now, show_on_form, webinar_or_404
from eventsapp.organiser.forms import FormQuestionForm
from eventsapp.services import form_questions
from eventsapp.services.errors import DomainError


def _input(form: FormQuestionForm) -> form_questions.QuestionInput:
    return form_questions.QuestionInput(
        kind=QuestionKind(form.kind.data),
        label=form.label.data,
        hint=form.hint.data or "",
        required=form.required.data,
        about_health=form.about_health.data,
        choices=(form.choices.data or "").splitlines(),
        label_cy=form.label_cy.data or "",
        hint_cy=form.hint_cy.data or "",
        choices_cy=(form.choices_cy.data or "").splitlines(),
    )


def _page(webinar: Webinar, form: FormQuestionForm, status: int) -> tuple[str, int]:
    return render_template(
        "organiser/form_questions.html",
        webinar=webinar,
        form=form,
        questions=form_questions.active(webinar),
        kinds={k.value: k.label for k in QuestionKind},
    ), status


@bp.route("/webinars/<int:webinar_id>/form", methods=["GET", "POST"])
def registration_form(webinar_id: int) -> tuple[str, int] | Response:
    webinar = webinar_or_404(webinar_id)
    form = FormQuestionForm()
    if form.validate_on_submit():
        try:
            form_questions.add(webinar, _input(form), actor(), now())
        except DomainError as exc:
            db.session.rollback()
            show_on_form(form, exc, "label")
        else:
            db.session.commit()
            flash("Question added. It is on the registration form now.")
            return redirect(url_for(".registration_form", webinar_id=webinar_id))
    return _page(webinar, form, 400 if form.is_submitted() else 200)


@bp.route("/webinars/<int:webinar_id>/form/<int:question_id>", methods=["GET", "POST"])
def edit_form_question(webinar_id: int, question_id: int) -> tuple[str, int] | Response:
    webinar = webinar_or_404(webinar_id)
    question = _question_or_404(webinar, question_id)
    # Posted: only what was sent (a box left out of the POST is empty, not the saved list).
    form = FormQuestionForm(obj=None if request.method == "POST" else question)
    if not form.is_submitted():  # the lists as their boxes show them: one choice a line
        form.choices.data = "\n".join(question.choices)
        form.choices_cy.data = "\n".join(question.choices_cy)
    elif form.validate():
        try:
            form_questions.update(webinar, question, _input(form), actor(), now())
        except DomainError as exc:
            db.session.rollback()
            show_on_form(form, exc, "label")
        else:
            db.session.commit()
            flash("Question saved. Answers already given keep the wording they were given to.")
            return redirect(url_for(".registration_form", webinar_id=webinar_id))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "organiser/form_question.html", webinar=webinar, form=form, question=question
    ), status


@bp.post("/webinars/<int:webinar_id>/form/<int:question_id>/remove")
def remove_form_question(webinar_id: int, question_id: int) -> Response:
    webinar = webinar_or_404(webinar_id)
    question = _question_or_404(webinar, question_id)
    apply(
        lambda: form_questions.remove(webinar, question, actor(), now()),
        "Question removed from the form. Answers already given are kept.",
    )
    return redirect(url_for(".registration_form", webinar_id=webinar_id))


def _question_or_404(webinar: Webinar, question_id: int) -> FormQuestion:
    try:
        return form_questions.question_in(webinar, question_id)
    except form_questions.FormQuestionError:
        abort(404)
