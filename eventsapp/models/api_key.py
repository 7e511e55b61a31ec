"""Keys to the organisations' private API (docs/api.md): one organisation's data, read or
read and write, with or without health details.

Only a hash of the secret is kept. Keys are 256 random bits, so a fast hash (SHA-256) is
enough: nobody can guess one, and the hash is looked up by equality in an index.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventsapp.extensions import db
from eventsapp.models.organisation import Organisation
from eventsapp.models.types import UTCDateTime, one_of
from eventsapp.models.user import User


class ApiAccess(StrEnum):
    READ = "read"
    READ_WRITE = "read_write"


class ApiKey(db.Model):  # type: ignore[name-defined]
    __tablename__ = "api_keys"
    __table_args__ = (one_of("access", ApiAccess),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    # What it is for, e.g. "CRM sync" (shown to admins and in the audit log).
    name: Mapped[str] = mapped_column(String(100))
    # The key's public part, shown so people can tell keys apart: bpw_<prefix>_<secret>.
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    # SHA-256 (hex) of the whole key: never the key itself.
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    access: Mapped[str] = mapped_column(String(20))
    # Questions for the panel, access needs and answers to health questions: only if asked.
    include_health: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Written at most once a minute (services/api_keys.LAST_USED_EVERY).
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def can_write(self) -> bool:
        return self.access == ApiAccess.READ_WRITE

    @property
    def access_label(self) -> str:
        return "Read and write" if self.can_write else "Read only"

    def __repr__(self) -> str:
        return f"<ApiKey {self.prefix}>"
