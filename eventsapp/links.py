"""Absolute links for emails and calendar files, built from PUBLIC_BASE_URL.

Never from the request's Host header: emails carry these links, and a forged Host
would otherwise point registrants somewhere else (Host-header poisoning).
"""

from __future__ import annotations

from typing import Any

from flask import current_app


def external_url(endpoint: str, **values: Any) -> str:
    adapter = current_app.url_map.bind("localhost")
    path = adapter.build(endpoint, values)
    return current_app.config["PUBLIC_BASE_URL"] + path
