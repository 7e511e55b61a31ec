"""Settings, read from environment variables in one place.

Every variable is documented in README.md ("Configuration"). `APP_ENV` defaults to
production so that a forgotten setting fails closed: production refuses to start
without a real SECRET_KEY.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"

# Secret keys people paste from tutorials; refusing them is cheap.
_PLACEHOLDER_SECRETS = {"", "dev", "changeme", "change-me", "secret", "development"}


class ConfigError(RuntimeError):
    """A setting is missing or unsafe; the message says which and why."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


N = TypeVar("N", int, float)


def _number(env: dict[str, str], name: str, default: N) -> N:
    """A whole number or a decimal, as the default is; a clear error names the variable."""
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return type(default)(raw)
    except ValueError as exc:
        kind = "a whole number" if isinstance(default, int) else "a number"
        raise ConfigError(f"{name} must be {kind}, not {raw!r}") from exc


def _dev_secret_key(instance_dir: Path) -> str:
    """A random key kept under instance/ so manage links survive restarts in development."""
    path = instance_dir / "dev-secret-key"
    if path.exists():
        return path.read_text().strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


@dataclass(frozen=True)
class ImapMailbox:
    """Where bounce reports are read (BOUNCE_IMAP_URL)."""

    host: str
    port: int
    username: str
    password: str
    mailbox: str
    tls: bool


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def imap_mailbox(url: str) -> ImapMailbox:
    """imaps://user:password@host[:port]/MAILBOX (user and password percent-encoded).
    Plain imap:// only to this machine's loopback: the password must not cross a network
    unencrypted."""
    parts = urlsplit(url)
    if parts.scheme not in ("imaps", "imap"):
        raise ConfigError("BOUNCE_IMAP_URL must start with imaps://")
    try:
        port = parts.port
    except ValueError as exc:
        raise ConfigError("BOUNCE_IMAP_URL has an invalid port") from exc
    host = parts.hostname or ""
    if not (host and parts.username and parts.password):
        raise ConfigError("BOUNCE_IMAP_URL must name a user, a password and a host")
    if parts.scheme == "imap" and not _loopback(host):
        raise ConfigError("BOUNCE_IMAP_URL: plain imap:// is only allowed to a loopback address")
    return ImapMailbox(
        host=host,
        port=port or (993 if parts.scheme == "imaps" else 143),
        username=unquote(parts.username),
        password=unquote(parts.password),
        mailbox=unquote(parts.path.lstrip("/")) or "INBOX",
        tls=parts.scheme == "imaps",
    )


_HOST = re.compile(r"[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]")


def embed_origins(raw: str) -> list[str]:
    """EMBED_ORIGINS: the websites that may show the embeddable widget in a frame, as
    origins (scheme, host and an optional port, e.g. https://www.backpain.example),
    separated by spaces or commas. Empty: no other website may."""
    origins = []
    for item in raw.replace(",", " ").split():
        parts = urlsplit(item)
        netloc = parts.netloc
        host = netloc[: netloc.find("]") + 1] if netloc.startswith("[") else netloc.split(":")[0]
        try:
            port = parts.port
        except ValueError as exc:
            raise ConfigError(f"EMBED_ORIGINS: {item!r} has an invalid port") from exc
        if (
            parts.scheme.lower() not in ("https", "http")
            or not _HOST.fullmatch(host)
            or parts.path not in ("", "/")
            or item.endswith(("?", "#"))
            or parts.query
            or parts.fragment
        ):
            raise ConfigError(
                f"EMBED_ORIGINS: {item!r} is not an origin. Give only the scheme, the host "
                "and, if needed, the port, e.g. https://www.backpain.example "
                "(no path, no wildcard), separated by spaces or commas"
            )
        origin = f"{parts.scheme.lower()}://{host.lower()}" + (f":{port}" if port else "")
        if origin not in origins:
            origins.append(origin)
    return origins


_DKIM_SETTINGS = ("DKIM_DOMAIN", "DKIM_SELECTOR", "DKIM_PRIVATE_KEY_PATH")


def _dkim(env: dict[str, str]) -> dict[str, str | None]:
    """All three DKIM settings or none. The key is read now, so a missing or unreadable key
    stops the service at start-up rather than at its first email."""
    values = {name: env.get(name, "").strip() or None for name in _DKIM_SETTINGS}
    given = [name for name, value in values.items() if value]
    if given and len(given) < len(values):
        missing = ", ".join(name for name in values if name not in given)
        raise ConfigError(f"DKIM signing needs {missing} too (or none of the DKIM_ settings)")
    if given:
        from eventsapp.mail.signing import DKIMKeyError, load_key  # only when DKIM is on

        try:
            load_key(str(values["DKIM_PRIVATE_KEY_PATH"]))
        except DKIMKeyError as exc:
            raise ConfigError(str(exc)) from exc
    return values


def load(env: dict[str, str] | None = None) -> dict[str, Any]:
    """Build the Flask config mapping from the environment."""
    env = dict(os.environ if env is None else env)
    app_env = env.get("APP_ENV", "production").strip().lower()
    if app_env not in {"production", "development", "testing"}:
        raise ConfigError("APP_ENV must be production, development or testing")
    instance_dir = Path(env.get("INSTANCE_PATH", str(INSTANCE_DIR)))

    secret_key = env.get("SECRET_KEY", "")
    if app_env == "production":
        if secret_key.strip().lower() in _PLACEHOLDER_SECRETS or len(secret_key) < 32:
            raise ConfigError(
                "SECRET_KEY must be set to a random value of at least 32 characters in production "
                "(for example: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
    elif not secret_key:
        secret_key = _dev_secret_key(instance_dir)

    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance_dir / 'eventsapp.db'}"
    mail_server = env.get("MAIL_SERVER") or None
    sender = env.get("MAIL_DEFAULT_SENDER", "Back Pain Webinars <webinars@example.org>")
    bounce_imap_url = env.get("BOUNCE_IMAP_URL") or None
    if bounce_imap_url:
        imap_mailbox(bounce_imap_url)  # refuse a malformed or unsafe URL at start-up
    bounce_address = env.get("BOUNCE_ADDRESS") or (
        f"bounces@{parseaddr(sender)[1].rpartition('@')[2] or 'localhost'}"
    )
    local, at, _domain = bounce_address.rpartition("@")
    if not (local and at) or "+" in local:
        raise ConfigError("BOUNCE_ADDRESS must be an address with no '+' (the token goes there)")
    # In development the links in emails follow the port `make run` serves on (PORT).
    port = env.get("PORT", "5000") if app_env == "development" else "5000"

    return {
        "APP_ENV": app_env,
        "SECRET_KEY": secret_key,
        "INSTANCE_DIR": str(instance_dir),
        "SQLALCHEMY_DATABASE_URI": database_url,
        # No pool_pre_ping: PostgreSQL connections are pinged after idleness (transactions.py).
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", f"http://127.0.0.1:{port}").rstrip("/"),
        # Mail: with no MAIL_SERVER the worker writes .eml files under instance/mail/.
        "MAIL_SERVER": mail_server,
        "MAIL_PORT": _number(env, "MAIL_PORT", 25),
        "MAIL_USE_TLS": _bool(env.get("MAIL_USE_TLS")),
        "MAIL_USE_SSL": False,
        "MAIL_USERNAME": env.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": sender,
        "MAIL_TIMEOUT_SECONDS": _number(env, "MAIL_TIMEOUT_SECONDS", 30),
        "MAIL_FILE_DIR": str(instance_dir / "mail"),
        "OUTBOX_BATCH_SIZE": _number(env, "OUTBOX_BATCH_SIZE", 100),
        # Outcomes (sent, failed ...) are written in groups of this many messages: larger is
        # faster, and is also how many could be sent twice if a worker dies mid-group.
        "OUTBOX_RECORD_EVERY": _number(env, "OUTBOX_RECORD_EVERY", 10),
        "OUTBOX_MAX_ATTEMPTS": _number(env, "OUTBOX_MAX_ATTEMPTS", 8),
        "OUTBOX_LEASE_SECONDS": _number(env, "OUTBOX_LEASE_SECONDS", 300),
        "WORKER_IDLE_SECONDS": _number(env, "WORKER_IDLE_SECONDS", 5.0),
        # DKIM (RFC 6376): the worker signs every email it sends when all three are set.
        **_dkim(env),
        # Bounces: with a mailbox to read, each email's return path names it (VERP,
        # BOUNCE_ADDRESS with "+token" added) and the worker reads the reports sent back.
        "BOUNCE_IMAP_URL": bounce_imap_url,
        "BOUNCE_ADDRESS": bounce_address,
        "BOUNCE_CHECK_SECONDS": _number(env, "BOUNCE_CHECK_SECONDS", 60),
        # Forms never time out (people in pain may take a while); CSRF still binds to the session.
        "WTF_CSRF_TIME_LIMIT": None,
        # The biggest legitimate public form is well under this; bigger bodies get a 413.
        "MAX_CONTENT_LENGTH": 64 * 1024,
        # Rate-limit counters: Redis shares them across processes; memory is per process.
        "RATELIMIT_STORAGE_URI": env.get("REDIS_URL") or "memory://",
        # Requests each private-API key may make (Flask-Limiter syntax), across all endpoints.
        "API_KEY_RATE_LIMIT": env.get("API_KEY_RATE_LIMIT") or "120 per minute",
        # The privacy notice names the processors that handle registrants' details for us.
        "EMAIL_PROVIDER_NAME": env.get("EMAIL_PROVIDER_NAME", "our email delivery service"),
        "TEXT_PROVIDER_NAME": env.get("TEXT_PROVIDER_NAME", "Twilio"),
        "VIDEO_PLATFORM_NAME": env.get("VIDEO_PLATFORM_NAME", "the video meeting service"),
        # Registrants' details are erased this many days after their webinar (about 12 months).
        "RETENTION_DAYS": _number(env, "RETENTION_DAYS", 365),
        # Websites allowed to show the embeddable widget (/embed/) in a frame: origins,
        # space- or comma-separated. Empty: none may (embed/ and docs/embed.md).
        "EMBED_ORIGINS": embed_origins(env.get("EMBED_ORIGINS", "")),
        # Host names this site answers to (comma-separated); others get a 400. Emails carry
        # absolute links, so a forged Host header must not be trusted.
        # Reverse proxies in front of the app (nginx, a load balancer): 0 when none.
        "PROXY_HOPS": _number(env, "PROXY_HOPS", 0),
        "HEALTH_MAX_QUEUE_AGE_SECONDS": _number(env, "HEALTH_MAX_QUEUE_AGE_SECONDS", 600),
        # Zoom (a Server-to-Server OAuth app): registrants, moves, cancellations and the
        # attendance report of webinars linked to a Zoom webinar (platforms/zoom.py).
        "ZOOM_ACCOUNT_ID": env.get("ZOOM_ACCOUNT_ID") or None,
        "ZOOM_CLIENT_ID": env.get("ZOOM_CLIENT_ID") or None,
        "ZOOM_CLIENT_SECRET": env.get("ZOOM_CLIENT_SECRET") or None,
        "ZOOM_WEBHOOK_SECRET_TOKEN": env.get("ZOOM_WEBHOOK_SECRET_TOKEN") or None,
        "ZOOM_API_BASE_URL": env.get("ZOOM_API_BASE_URL", "https://api.zoom.us/v2").rstrip("/"),
        "ZOOM_OAUTH_URL": env.get("ZOOM_OAUTH_URL", "https://zoom.us/oauth/token"),
        "ZOOM_TIMEOUT_SECONDS": _number(env, "ZOOM_TIMEOUT_SECONDS", 15.0),
        "ZOOM_MAX_ATTEMPTS": _number(env, "ZOOM_MAX_ATTEMPTS", 8),
        # Microsoft Teams (an Entra app with application permissions, client credentials):
        # registrations and the attendance report of webinars linked to a Teams webinar
        # (platforms/teams.py). Timeouts and attempts are the ZOOM_ ones above.
        "MS_TENANT_ID": env.get("MS_TENANT_ID") or None,
        "MS_CLIENT_ID": env.get("MS_CLIENT_ID") or None,
        "MS_CLIENT_SECRET": env.get("MS_CLIENT_SECRET") or None,
        "MS_GRAPH_BASE_URL": env.get(
            "MS_GRAPH_BASE_URL", "https://graph.microsoft.com/v1.0"
        ).rstrip("/"),
        "MS_LOGIN_URL": env.get("MS_LOGIN_URL", "https://login.microsoftonline.com").rstrip("/"),
        # Text-message reminders through Twilio (eventsapp/texts/). Without the account SID:
        # written to instance/texts/ in development, else texts wait in the queue.
        "TWILIO_ACCOUNT_SID": env.get("TWILIO_ACCOUNT_SID") or None,
        "TWILIO_AUTH_TOKEN": env.get("TWILIO_AUTH_TOKEN") or None,
        "TWILIO_FROM": env.get("TWILIO_FROM") or None,
        "TWILIO_API_BASE_URL": env.get("TWILIO_API_BASE_URL", "https://api.twilio.com").rstrip("/"),
        "TEXT_TIMEOUT_SECONDS": _number(env, "TEXT_TIMEOUT_SECONDS", 10.0),
        # Outgoing webhooks (eventsapp/webhooks/): plain http and private, loopback or
        # link-local addresses are refused unless this is set (development, and tests that
        # run a receiver on loopback, set it).
        "WEBHOOK_ALLOW_LOCAL": _bool(
            env.get("WEBHOOK_ALLOW_LOCAL"), default=app_env == "development"
        ),
        "WEBHOOK_TIMEOUT_SECONDS": _number(env, "WEBHOOK_TIMEOUT_SECONDS", 10.0),
        "TRUSTED_HOSTS": [h.strip() for h in env.get("TRUSTED_HOSTS", "").split(",") if h.strip()]
        or None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": app_env == "production",
    }
