"""Pictures for the demo content, drawn here because the demo must work offline.

Portraits are plain head-and-shoulders silhouettes (not anyone's face) and logos are simple
wordmarks; both go through images.store like an organiser's upload.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

from eventsapp.services import images


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def portrait(background: str, figure: str) -> str:
    """A soft silhouette on a coloured square; returns the stored file name."""
    image = Image.new("RGB", (400, 400), background)
    draw = ImageDraw.Draw(image)
    draw.ellipse((130, 70, 270, 220), fill=figure)  # head
    draw.ellipse((60, 240, 340, 520), fill=figure)  # shoulders
    return images.store(_png(image), images.Kind.PHOTO)


def logo(initials: str, words: str, colour: str) -> str:
    """A wordmark: initials in a coloured roundel, then the name; returns the file name."""
    image = Image.new("RGBA", (480, 120), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 10, 100, 110), radius=24, fill=colour)
    draw.text((50, 60), initials, font=ImageFont.load_default(size=44), fill="white", anchor="mm")
    draw.text((118, 60), words, font=ImageFont.load_default(size=34), fill=colour, anchor="lm")
    return images.store(_png(image), images.Kind.LOGO)
