"""Organiser-written Markdown, rendered to HTML that is safe to show the public."""

from __future__ import annotations

from functools import lru_cache

import markdown
import nh3

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
