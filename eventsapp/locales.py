"""English and Welsh: which language a request is in, and the links between the two.

Welsh pages live under /cy (/cy/, /cy/webinars/<slug> …). `LanguagePrefix`, a WSGI
middleware, moves a leading /cy from PATH_INFO to SCRIPT_NAME and records the language in
the environ, so the URL map is the same for both languages and every `url_for` on a Welsh
page stays in Welsh by itself. Flask-Babel's locale selector reads what it recorded. Only
the public pages (and the widget's) are Welsh: /cy/organiser/… and /cy/api/… are left
alone, so they are a 404. Outside a request (the mail worker, the CLI) the language is
English. See docs/welsh.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from flask import Flask, current_app, has_request_context, request, url_for
from flask_babel import Babel, get_locale
from markupsafe import Markup

from eventsapp import uktime

ENGLISH, WELSH = "en", "cy"
WELSH_PREFIX = "/cy"
# The hreflang and lang values of each language's pages.
HTML_LANG = {ENGLISH: "en-GB", WELSH: "cy"}
# Each language's name in itself: the header's link to the page in the other language.
NAMES = {ENGLISH: "English", WELSH: "Cymraeg"}
LANGUAGES = tuple(NAMES)  # a registration's `language` is one of these
# First path segments that are never Welsh: the organisers' area and the JSON API.
ENGLISH_ONLY = frozenset({"organiser", "api"})

_LANGUAGE = "eventsapp.language"
_BASE = "eventsapp.script_root"  # SCRIPT_NAME before /cy was moved into it

babel = Babel()


def _first_segment(path: str) -> str:
    return path.lstrip("/").split("/", 1)[0]


def translatable(path: str) -> bool:
    """Whether the page at `path` (without /cy) has a Welsh version."""
    return _first_segment(path) not in ENGLISH_ONLY


class LanguagePrefix:
    """WSGI middleware: /cy/<path> is <path> in Welsh (see the module's docstring)."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        script = environ.get("SCRIPT_NAME", "")
        environ[_BASE] = script
        path = environ.get("PATH_INFO", "")
        if path == WELSH_PREFIX or path.startswith(WELSH_PREFIX + "/"):
            rest = path[len(WELSH_PREFIX) :] or "/"
            if translatable(rest):
                environ["SCRIPT_NAME"] = script + WELSH_PREFIX
                environ["PATH_INFO"] = rest
                environ[_LANGUAGE] = WELSH
        return self.app(environ, start_response)


def current() -> str:
    """'cy' on a Welsh page, else 'en' (also outside a request)."""
    if not has_request_context():
        return ENGLISH
    return request.environ.get(_LANGUAGE, ENGLISH)


def is_welsh() -> bool:
    return current() == WELSH


def _path_in(language: str) -> str:
    """This page's path (without the site's own SCRIPT_NAME) in `language`."""
    return (WELSH_PREFIX if language == WELSH else "") + request.path


def page_in(language: str) -> str:
    """A link to this page, with its query, in `language`."""
    base = request.environ.get(_BASE, "")
    query = request.query_string.decode("latin-1")
    return base + _path_in(language) + (f"?{query}" if query else "")


def alternates() -> list[tuple[str, str]]:
    """(hreflang, absolute URL) of this page in each language, and x-default (English)."""
    public = current_app.config["PUBLIC_BASE_URL"]
    english, welsh = public + _path_in(ENGLISH), public + _path_in(WELSH)
    return [("en-GB", english), ("cy", welsh), ("x-default", english)]


class Words(str):
    """Organisers' words as shown: their Welsh version on a Welsh page or in a Welsh email,
    else the English. A str, so filters and comparisons work unchanged."""

    language: str  # the language of the text itself
    fallback: bool  # Welsh was wanted, but there is only English

    def __new__(cls, text: str, language: str, wanted: str) -> Words:
        self = super().__new__(cls, text)
        self.language = language
        self.fallback = language != wanted
        return self

    @property
    def lang(self) -> Markup:
        """' lang="en"' on English standing in for Welsh (WCAG 3.1.2), else nothing."""
        return Markup(' lang="en"') if self.fallback else Markup("")


def shown_language() -> str:
    """The language being written: the page's, or the email's (rendered in force_locale)."""
    locale = get_locale() if current_app else None
    return WELSH if locale is not None and locale.language == WELSH else ENGLISH


def words(owner: object, field: str, language: str | None = None) -> Words:
    """One place that chooses between an organiser's English and Welsh words: `field`'s
    Welsh twin is `<field>_cy` on the same object; empty Welsh falls back to English."""
    wanted = language or shown_language()
    if wanted == WELSH:
        welsh = getattr(owner, f"{field}_cy", None) or ""
        if welsh.strip():
            return Words(welsh, WELSH, WELSH)
    return Words(getattr(owner, field) or "", ENGLISH, wanted)


def in_english(text: object) -> object:
    """Organiser-written text inside a Welsh page or email: marked as English (WCAG 3.1.2),
    so a screen reader says it with English sounds. In English, and for Welsh words
    (`words()` found a Welsh version), the text as it is."""
    if shown_language() != WELSH or text is None or text == "":
        return text
    if isinstance(text, Words) and not text.fallback:
        return text
    return Markup('<span lang="en">%s</span>') % text


def and_list(names: Iterable[str]) -> str:
    """Names joined as a sentence says them: "A and B" in English (as the pages always
    have); "A a B", "A, B ac C" in Welsh ("ac" before a vowel)."""
    names = [name if isinstance(name, Markup) else str(name) for name in names]
    # Names given as markup (a question marked lang="en") stay markup; the rest as text.
    joiner: type[str] = Markup if any(isinstance(name, Markup) for name in names) else str
    if shown_language() != WELSH:  # a Welsh page, or a Welsh email (force_locale)
        return joiner(" and ").join(names)
    if len(names) < 2:
        return joiner("").join(names)
    last = names[-1]
    plain = re.sub(r"<[^>]*>", "", str(last))  # the word after a lang="en" span's tag
    conjunction = "ac" if plain[:1].lower() in "aeiouwy" else "a"
    return joiner(", ").join(names[:-1]) + joiner(f" {conjunction} ") + last


def asset_url(filename: str) -> str:
    """A static file's URL without /cy: one copy in the browser's cache for both."""
    url = url_for("static", filename=filename)
    if is_welsh():
        base = request.environ.get(_BASE, "")
        url = base + url[len(request.script_root) :]
    return url


# Dates and times: uktime's English functions on English pages, their Welsh twins on Welsh.
def _choose(english: Callable[..., str], welsh: Callable[..., str]) -> Callable[..., str]:
    def chosen(*args: Any, **kwargs: Any) -> str:
        return (welsh if is_welsh() else english)(*args, **kwargs)

    chosen.__name__ = english.__name__
    return chosen


format_date = _choose(uktime.format_date, uktime.format_date_cy)
format_time = _choose(uktime.format_time, uktime.format_time_cy)
format_datetime = _choose(uktime.format_datetime, uktime.format_datetime_cy)
format_when = _choose(uktime.format_when, uktime.format_when_cy)
format_duration = _choose(uktime.format_duration, uktime.format_duration_cy)
format_wait = _choose(uktime.format_wait, uktime.format_wait_cy)
format_period = _choose(uktime.format_period, uktime.format_period_cy)


def date_tile(moment: datetime) -> tuple[str, str, str]:
    return uktime.date_tile(moment, current())


def _context() -> dict[str, Any]:
    if not has_request_context():
        return {}
    language = current()
    other = ENGLISH if language == WELSH else WELSH
    path = request.path
    # /cy/organiser/… is left English (and a 404): it has no other language to link to.
    left_alone = language == ENGLISH and (
        path == WELSH_PREFIX or path.startswith(WELSH_PREFIX + "/")
    )
    shown = translatable(path) and not left_alone
    return {
        "html_lang": HTML_LANG[language],
        "is_welsh": language == WELSH,
        # ' lang="en"' on the organisers' own words when the page around them is Welsh.
        "english_content": Markup(' lang="en"') if language == WELSH else "",
        "other_language": {
            "name": NAMES[other],
            "lang": other,
            "hreflang": HTML_LANG[other],
            "href": page_in(other),
        }
        if shown
        else None,
        "alternates": alternates() if shown else [],
    }


def init_app(app: Flask) -> None:
    """Flask-Babel with the request's language, the /cy middleware, and the templates'
    language-aware date filters (after create_app's own, which they replace)."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", ENGLISH)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    babel.init_app(app, locale_selector=current)
    app.wsgi_app = LanguagePrefix(app.wsgi_app)  # type: ignore[method-assign]
    app.context_processor(_context)
    app.jinja_env.globals.update(in_english=in_english, asset_url=asset_url, words=words)
    app.jinja_env.filters.update(
        uk_datetime=format_datetime,
        uk_date=format_date,
        uk_time=format_time,
        uk_when=lambda webinar: format_when(webinar.starts_at, webinar.ends_at),
        duration=format_duration,
        date_tile=date_tile,
        and_list=and_list,
    )
