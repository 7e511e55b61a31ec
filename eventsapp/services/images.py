"""Uploaded images (speaker photos, organisation logos): checked, re-encoded, stored.

The file name and the browser's content type are ignored: Pillow decides by content.
Re-encoding drops metadata (location in EXIF) and anything smuggled after the image.
"""

from __future__ import annotations

import io
import secrets
from enum import StrEnum
from pathlib import Path

from flask import current_app
from PIL import Image, UnidentifiedImageError

from eventsapp.services.errors import DomainError

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding
Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow's setting is global: set once, on import
_ACCEPTED_FORMATS = {"PNG", "JPEG", "WEBP"}


class Kind(StrEnum):
    """What the image is for: its field name on forms, its size, how it is stored."""

    PHOTO = "photo"  # faces: a JPEG, no larger than 192 px
    LOGO = "logo"  # logos keep transparency: a PNG, no wider than 480 px

    @property
    def box(self) -> tuple[int, int]:
        # Photos show at 96 CSS pixels at most (the panel): twice that is sharp on phones'
        # screens and keeps each face ~3 kB, where 400 px cost ~6.5 kB of the page's budget.
        return (192, 192) if self is Kind.PHOTO else (480, 160)


def directory() -> Path:
    return Path(current_app.config["INSTANCE_DIR"]) / "photos"


def store(data: bytes, kind: Kind) -> str:
    """Store the upload re-encoded and return its new file name (under `directory()`)."""
    refusal = f"The {kind} must be a PNG, JPEG or WebP image"
    if len(data) > MAX_BYTES:
        raise DomainError(f"The {kind} must be smaller than 5 MB", kind)
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in _ACCEPTED_FORMATS:
                raise DomainError(refusal, kind)
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image = image.convert("RGBA" if kind is Kind.LOGO else "RGB")
            image.thumbnail(kind.box)
            out = io.BytesIO()
            if kind is Kind.LOGO:
                image.save(out, "PNG", optimize=True)
            else:
                image.save(out, "JPEG", quality=85, optimize=True)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError) as exc:
        raise DomainError(refusal, kind) from exc
    directory().mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(12)}.{'png' if kind is Kind.LOGO else 'jpg'}"
    (directory() / name).write_bytes(out.getvalue())
    return name
