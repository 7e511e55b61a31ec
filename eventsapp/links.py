"""Absolute links for emails and calendar files, built from PUBLIC_BASE_URL.

Never from the request's Host header: emails carry these links, and a forged Host
would otherwise point registrants somewhere else (Host-header poisoning). English pages
unless `_language="cy"` asks for the Welsh one (under /cy: eventsapp/locales.py).
"""

from __future__ import annotations

from typing import Any

from flask import current_app

WELSH_PREFIX = "/cy"  # eventsapp/locales.py's, repeated here so this module imports nothing


def external_url(endpoint: str, _language: str = "en", **values: Any) -> str:
    adapter = current_app.url_map.bind("localhost")
    path = adapter.build(endpoint, values)
    prefix = WELSH_PREFIX if _language == "cy" else ""
    return current_app.config["PUBLIC_BASE_URL"] + prefix + path
