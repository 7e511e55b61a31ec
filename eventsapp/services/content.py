"""Organiser-written Markdown, rendered to HTML that is safe to show the public, and how easy
what anyone writes for the public is to read."""

from __future__ import annotations

from functools import lru_cache

import markdown
import nh3
import textstat

_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "ul",
    "ol",
    "li",
    "a",
    "h2",
    "h3",
    "h4",
    "blockquote",
    "code",
    "pre",
    "hr",
}
_ATTRIBUTES = {"a": {"href", "title"}}


@lru_cache(maxsize=512)
def render_markdown(text: str) -> str:
    """Markdown first, then nh3 removes anything outside a small allow-list.

    Raw HTML in the source is escaped by nh3's allow-list; only http(s) and mailto links
    survive, so `javascript:` URLs are dropped. Cached: descriptions change rarely.
    """
    html = markdown.markdown(text or "", extensions=["sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


# Flesch reading ease: 60 to 70 is plain English that most 9 to 11 year olds can read
# (GOV.UK and the NHS write for about that).
PLAIN_ENGLISH = 60


def reading_ease(text: str) -> int | None:
    """Flesch reading ease of plain text (higher is easier), or None if too short to judge."""
    if len(text.split()) < 20:
        return None
    return round(textstat.flesch_reading_ease(text))


def reading_hint(markdown_text: str) -> str | None:
    """What organisers see under a description they wrote: its score and what it means."""
    plain = nh3.clean(render_markdown(markdown_text), tags=set())
    ease = reading_ease(plain.replace("\n", " "))
    if ease is None:
        return None
    if ease >= PLAIN_ENGLISH:
        return f"Reading ease {ease}: plain English. Most people can read it easily."
    return (
        f"Reading ease {ease}: hard to read. Aim for {PLAIN_ENGLISH} or more: "
        "use shorter sentences and everyday words."
    )
