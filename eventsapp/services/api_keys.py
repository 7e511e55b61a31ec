"""API keys for the organisations' private API (docs/api.md).

A key reads `bpw_<prefix>_<secret>`: the prefix (public, shown in the organiser area so
people can tell keys apart) and 256 random bits. Only the SHA-256 of the whole key is
stored; it is shown once, when created. A fast hash is right here: the key is random, so
there is nothing to guess from the hash, and a lookup by the hash's value is one indexed
query whose time does not depend on how much of a wrong key matches. Every change is
audited; neither the key nor its hash is ever logged or audited.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from eventsapp.extensions import db
from eventsapp.models import ApiAccess, ApiKey, Organisation, User
from eventsapp.services import audit
from eventsapp.services.errors import DomainError

KEY_PREFIX = "bpw_"
# last_used_at is written at most this often per key, so reads stay reads.
LAST_USED_EVERY = timedelta(minutes=1)
_SHAPE = re.compile(r"bpw_[A-Za-z0-9]{8}_[A-Za-z0-9_-]{43}")


class ApiKeyError(DomainError):
    pass


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    secret: str  # the whole key: shown once, never stored


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create(
    organisation: Organisation,
    *,
    name: str,
    access: ApiAccess,
    include_health: bool,
    actor: User,
    now: datetime,
) -> NewKey:
    name = name.strip()
    if not name:
        raise ApiKeyError("Enter what the key is for", "name")
    prefix = secrets.token_hex(4)
    secret = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(
        organisation=organisation,
        name=name,
        prefix=prefix,
        secret_hash=hash_secret(secret),
        access=access,
        include_health=include_health,
        created_by=actor,
        created_at=now,
    )
    db.session.add(key)
    db.session.flush()
    audit.record(
        "api_key.created",
        actor=actor,
        now=now,
        organisation=organisation.id,
        api_key=key.id,
        prefix=prefix,
        access=str(access),
        health=include_health,
    )
    return NewKey(key, secret)


def of_organisation(organisation: Organisation) -> list[ApiKey]:
    return list(
        db.session.scalars(
            select(ApiKey)
            .where(ApiKey.organisation_id == organisation.id)
            .order_by(ApiKey.revoked_at.is_not(None), ApiKey.created_at.desc(), ApiKey.id.desc())
        )
    )


def key_of(organisation: Organisation, key_id: int | None) -> ApiKey | None:
    if key_id is None:
        return None
    key = db.session.get(ApiKey, key_id)
    return key if key is not None and key.organisation_id == organisation.id else None


def revoke(key: ApiKey, actor: User, now: datetime) -> None:
    if key.revoked_at is not None:
        raise ApiKeyError("That key is already revoked")
    key.revoked_at = now
    audit.record(
        "api_key.revoked",
        actor=actor,
        now=now,
        organisation=key.organisation_id,
        api_key=key.id,
        prefix=key.prefix,
    )


def authenticate(secret: str | None) -> ApiKey | None:
    """The live key this secret is, or None (unknown, malformed or revoked)."""
    if not secret or not _SHAPE.fullmatch(secret):
        return None
    key = db.session.scalars(
        select(ApiKey).where(ApiKey.secret_hash == hash_secret(secret))
    ).one_or_none()
    if key is None or key.revoked_at is not None:
        return None
    # The index lookup found it by equality; compare again in constant time anyway.
    if not secrets.compare_digest(key.secret_hash, hash_secret(secret)):
        return None
    return key


def note_use(key: ApiKey, now: datetime, endpoint: str) -> bool:
    """Record when the key was last used, at most once a minute: one conditional UPDATE
    (nothing is written within the minute), and then an audit entry, so the log shows
    each minute a key was in use and what it first asked for. In a read request these run
    without a transaction (autocommit): a GET stays a read the rest of the time."""
    if key.last_used_at is not None and now - key.last_used_at < LAST_USED_EVERY:
        return False
    noted = db.session.execute(
        update(ApiKey)
        .where(
            ApiKey.id == key.id,
            or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < now - LAST_USED_EVERY),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not noted:  # another request of the same key noted it first
        return False
    audit.record(
        "api_key.used",
        actor=None,
        now=now,
        organisation=key.organisation_id,
        api_key=key.id,
        api_key_name=key.name,
        endpoint=endpoint,
    )
    db.session.flush()
    return True
