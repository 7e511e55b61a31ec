"""A webinar's recording, made accessible: its captions (WebVTT), transcript and chapters.

One per webinar. The video itself stays where the organisers put it (`Webinar.recording_url`);
this holds what makes it usable without sound or without the video at all. Shown on the
public recording page (public/views.py) once `published_at` is set; services/recordings.py
validates and saves it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Text, event
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.types import JSON

from eventsapp.extensions import db
from eventsapp.models.types import UTCDateTime
from eventsapp.models.webinar import Webinar


class Recording(db.Model):  # type: ignore[name-defined]
    __tablename__ = "recordings"

    id: Mapped[int] = mapped_column(primary_key=True)
    webinar_id: Mapped[int] = mapped_column(
        ForeignKey("webinars.id", ondelete="CASCADE"), unique=True
    )
    # The WebVTT file as checked and saved (UTF-8 text, "\n" line ends, no byte-order mark).
    captions: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Plain text or light Markdown, rendered like descriptions (services/content.py).
    transcript: Mapped[str] = mapped_column(Text, default="", server_default="")
    # [{"start": seconds, "title": "Questions about sleep"}, ...], starts increasing.
    chapters: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<Recording of webinar {self.webinar_id}>"


@event.listens_for(Session, "before_flush")
def _renew_pages(session: Session, _context: Any, _instances: Any) -> None:
    """A recording saved, published or withdrawn changes what its webinar's public pages
    show (the webinar page links to it): raise the webinar's content_version, as
    models/public_content.py does for what the webinar page itself loads."""
    changed = [
        *(o for o in session.new if isinstance(o, Recording)),
        *(o for o in session.dirty if isinstance(o, Recording) and session.is_modified(o)),
        *(o for o in session.deleted if isinstance(o, Recording)),
    ]
    for recording in changed:
        webinar = session.get(Webinar, recording.webinar_id) if recording.webinar_id else None
        if webinar is not None and webinar not in session.deleted and webinar not in session.new:
            webinar.content_version = Webinar.content_version + 1
