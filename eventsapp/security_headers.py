"""Security headers on every response (OWASP ASVS 5.0 level 2; see README "Security").

No page has inline script or style, and nothing is loaded from another site, so the
Content-Security-Policy can be strict. One page relaxes it: the email preview shows an
email's HTML (inline styles, as email needs) in a sandboxed iframe, which inherits it.
"""

from __future__ import annotations

from flask import Flask, Response, request

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
# The organiser's email preview: inline styles inside a sandboxed srcdoc iframe.
_RELAXED = {
    "organiser.preview_email": CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
}


def init_app(app: Flask) -> None:
    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", _RELAXED.get(request.endpoint or "", CSP))
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
