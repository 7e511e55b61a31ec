"""Organiser accounts: passwords (argon2id), sessions, and password resets."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm.util import identity_key

from eventsapp.extensions import db
from eventsapp.mail import outbox
from eventsapp.mail.outbox import EmailKind
from eventsapp.models import Organisation, User
from eventsapp.services import tokens
from eventsapp.services.errors import DomainError

# argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane) rather than
# argon2-cffi's default 64 MiB: each sign-in allocates this much in a web worker, and 64 MiB
# would double a worker's memory. Hashes made with other settings are upgraded at sign-in.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


@cache
def _dummy_hash() -> str:
    """Verified against when the account does not exist, so the timing is the same.
    Made on first use, not at import: the mail worker never needs it."""
    return _hasher.hash("not a real password")


PASSWORD_MIN = 12
PASSWORD_MAX = 1024  # long passphrases welcome; the cap only bounds hashing work
RESET = "password-reset"
RESET_VALID_FOR = timedelta(hours=1)


class AccountError(DomainError):
    """A clear message for the person at the form."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_password_rules(password: str, *, email: str = "", name: str = "") -> None:
    if len(password) < PASSWORD_MIN:
        raise AccountError(f"Password must be at least {PASSWORD_MIN} characters", "password")
    if len(password) > PASSWORD_MAX:
        raise AccountError(f"Password must be {PASSWORD_MAX} characters or fewer", "password")
    lowered = password.lower()
    for personal in (email.split("@")[0], name):
        if personal and len(personal) >= 4 and personal.lower() in lowered:
            raise AccountError("Password must not contain your name or email address", "password")
    # zxcvbn knows the 30,000 most common passwords, words, names, keyboard walks, dates and
    # l33t spellings. Score 3 resists an offline attack on a slow hash (argon2id); it judges
    # the first 72 characters, which is plenty to tell a phrase from a pattern.
    # Imported here: its word lists cost every process ~13 MB, and only password changes
    # need them (not the mail worker, not public pages).
    from zxcvbn import zxcvbn

    strength = zxcvbn(password[:72], user_inputs=[email, name])
    if strength["score"] < 3:
        why = strength["feedback"]["warning"] or "It follows a pattern that is easy to guess."
        raise AccountError(
            f"That password is too common or easy to guess. {why} "
            "Try a phrase of three or four unrelated words",
            "password",
        )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def create_user(
    *,
    email: str,
    name: str,
    password: str,
    now: datetime,
    is_admin: bool = False,
    organisation: Organisation | None = None,
) -> User:
    email = normalise_email(email)
    if not email or "@" not in email:
        raise AccountError(
            "Enter an email address in the correct format, like name@example.com", "email"
        )
    if not name.strip():
        raise AccountError("Enter a name", "name")
    if find_by_email(email) is not None:
        raise AccountError("An account with that email address already exists", "email")
    if not is_admin and organisation is None:
        raise AccountError("An organiser must belong to an organisation", "organisation")
    check_password_rules(password, email=email, name=name)
    user = User(
        email=email,
        name=name.strip(),
        password_hash=hash_password(password),
        is_admin=is_admin,
        organisation=None if is_admin else organisation,
        active=True,
        session_salt=tokens.new_salt(),
        created_at=now,
    )
    db.session.add(user)
    db.session.flush()
    return user


def find_by_email(email: str) -> User | None:
    return db.session.scalars(
        select(User).where(func.lower(User.email) == normalise_email(email))
    ).one_or_none()


def authenticate(email: str, password: str, now: datetime) -> User | None:
    """The user if the password is right and the account active; else None (same timing)."""
    user = find_by_email(email)
    try:
        _hasher.verify(user.password_hash if user else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now
    return user


def change_password(user: User, current: str, new: str) -> None:
    try:
        _hasher.verify(user.password_hash, current)
    except (VerificationError, InvalidHashError) as exc:
        raise AccountError("Your current password is not right", "current") from exc
    set_password(user, new)


def set_password(user: User, new: str) -> None:
    check_password_rules(new, email=user.email, name=user.name)
    user.password_hash = hash_password(new)
    user.session_salt = tokens.new_salt()  # signs out every other session
    user.reset_requested_at = None


def deactivate(user: User) -> None:
    user.active = False
    user.session_salt = tokens.new_salt()


def set_reviewer(user: User, is_reviewer: bool) -> None:
    """Reviewers approve webinars for their own organisation, so they must belong to one."""
    if is_reviewer and user.organisation_id is None:
        raise AccountError("Only an organiser of an organisation can be a reviewer")
    user.is_reviewer = is_reviewer


def load_session_user(session_id: str) -> User | None:
    """Flask-Login's loader: the id carries the session salt, so old sessions end."""
    user_id, _, salt = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_salt != salt:
        return None
    return user


def reset_token(user: User) -> str:
    assert user.reset_requested_at is not None
    return tokens.derive(
        current_app.config["SECRET_KEY"],
        RESET,
        user.id,
        f"{user.session_salt}|{user.reset_requested_at.isoformat()}",
    )


def request_reset(email: str, now: datetime) -> None:
    """Email a reset link if the account exists; the caller says the same thing either way.

    Both cases run the same statements, so the time taken does not tell whether an address
    has an account: the update and the email's row go into a savepoint that is kept only
    when an account was found.
    """
    address = normalise_email(email)
    savepoint = db.session.connection().begin_nested()
    found = db.session.execute(
        update(User)
        .where(func.lower(User.email) == address, User.active.is_(True))
        .values(reset_requested_at=now)
        .returning(User.id, User.email)
    ).first()
    user_id = found.id if found else 0
    outbox.enqueue(
        EmailKind.PASSWORD_RESET,
        recipient=found.email if found else address,
        now=now,
        context={"user_id": user_id},
        user_id=user_id,
    )
    if found is None:
        savepoint.rollback()
        return
    savepoint.commit()
    loaded = db.session.identity_map.get(identity_key(User, found.id))
    if loaded is not None:  # a caller holding the account sees the request
        db.session.expire(loaded, ["reset_requested_at"])


def user_for_reset_token(user_id: int, token: str, now: datetime) -> User | None:
    """Single use (a new password rotates the salt) and expires after an hour."""
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.reset_requested_at is None:
        return None
    if now - user.reset_requested_at > RESET_VALID_FOR:
        return None
    if not tokens.equal(reset_token(user), token):
        return None
    return user
