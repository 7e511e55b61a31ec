"""Signing in and out, changing a password, and resetting a forgotten one."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_user, logout_user
from werkzeug.wrappers import Response

from eventsapp import rate_limits
from eventsapp.extensions import db
from eventsapp.organiser import bp
from eventsapp.organiser.context import actor, now, show_on_form
from eventsapp.organiser.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    NewPasswordForm,
)
from eventsapp.services import accounts


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: never another host, scheme or protocol-relative URL."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@rate_limits.login_per_ip
@rate_limits.login_per_ip_and_account
def login() -> str | Response:
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data, now())
        if user is not None:
            db.session.commit()
            login_user(user)
            return redirect(safe_next(request.args.get("next")) or url_for(".dashboard"))
        db.session.rollback()
        error = "The email address or password is not right"
    status = 400 if request.method == "POST" else 200
    return render_template("organiser/login.html", form=form, error=error), status


@bp.post("/logout")
def logout() -> Response:
    logout_user()
    flash("You have signed out.")
    return redirect(url_for(".login"))


@bp.route("/password", methods=["GET", "POST"])
def change_password() -> str | Response:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = actor()
        try:
            accounts.change_password(user, form.current.data, form.password.data)
        except accounts.AccountError as exc:
            db.session.rollback()
            show_on_form(form, exc, "password")
        else:
            db.session.commit()
            login_user(user)  # the session id changed with the salt; stay signed in here
            flash("Your password has been changed. Other sessions have been signed out.")
            return redirect(url_for(".dashboard"))
    status = 400 if form.errors else 200
    return render_template("organiser/password.html", form=form), status


@bp.route("/forgot-password", methods=["GET", "POST"])
@rate_limits.reset_per_ip
@rate_limits.reset_per_email
def forgot_password() -> str | Response:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        accounts.request_reset(form.email.data, now())
        db.session.commit()
        # The same answer whether or not there is such an account.
        return render_template("organiser/forgot_sent.html")
    status = 400 if form.errors else 200
    return render_template("organiser/forgot.html", form=form), status


@bp.route("/reset-password/<int:user_id>/<token>", methods=["GET", "POST"])
@rate_limits.token_pages
def reset_password(user_id: int, token: str) -> str | Response:
    user = accounts.user_for_reset_token(user_id, token, now())
    if user is None:
        return render_template("organiser/reset_invalid.html"), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.set_password(user, form.password.data)
        except accounts.AccountError as exc:
            db.session.rollback()
            show_on_form(form, exc, "password")
        else:
            db.session.commit()
            flash("Your password has been set. Sign in with it now.")
            return redirect(url_for(".login"))
    status = 400 if form.errors else 200
    return render_template("organiser/reset.html", form=form), status
