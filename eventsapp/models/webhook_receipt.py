"""Webhook deliveries already accepted, by a hash of their signature: a replay is refused."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from eventsapp.extensions import db
from eventsapp.models.types import UTCDateTime


class WebhookReceipt(db.Model):  # type: ignore[name-defined]
    __tablename__ = "webhook_receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    signature_hash: Mapped[str] = mapped_column(String(64), unique=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
