"""Security headers on every response (OWASP ASVS 5.0 level 2; see README "Security").

No page has inline script or style, and nothing is loaded from another site, so the
Content-Security-Policy can be strict. One page relaxes it: the email preview shows an
email's HTML (inline styles, as email needs) in a sandboxed iframe, which inherits it.

Framing: no page may be shown in another site's frame (frame-ancestors 'none' and
X-Frame-Options DENY), except the embeddable widget under /embed/, which the websites in
EMBED_ORIGINS (and this site itself, for the organisers' preview) may frame. Its pages
send no X-Frame-Options: it cannot name several sites, and a browser that reads it
instead of frame-ancestors would refuse the frame.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
# The organiser's email preview: inline styles inside a sandboxed srcdoc iframe.
_RELAXED = {
    "organiser.preview_email": CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
}


EMBED_PREFIX = "/embed/"


def embed_csp(origins: list[str]) -> str:
    """The policy of the widget's pages: the same, but these origins may frame them."""
    return CSP.replace("frame-ancestors 'none'", " ".join(["frame-ancestors 'self'", *origins]))


def init_app(app: Flask) -> None:
    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        if request.path.startswith(EMBED_PREFIX):
            csp = embed_csp(current_app.config.get("EMBED_ORIGINS") or [])
            headers.setdefault("Content-Security-Policy", csp)
        else:
            headers.setdefault("Content-Security-Policy", _RELAXED.get(request.endpoint or "", CSP))
            headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
