"""DKIM signatures (RFC 6376) on every email, made by the worker over the exact bytes it
sends, so receivers (and DMARC) can tell the mail really comes from the sending domain.

dkimpy signs in pure Python: about 10 ms per email with a 2048-bit RSA key on this
machine's kind, which is why signing happens per message at send time and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dkim
from dkim.crypto import UnparsableKeyError, parse_pem_private_key

# Signed once more than they occur, so a copy added in transit (a second From or Subject,
# or a List-Unsubscribe pointing elsewhere) breaks the signature instead of riding on it.
# Gmail and Yahoo accept one-click unsubscribe only when both List-Unsubscribe headers are
# signed (RFC 8058, section 4); dkimpy's default list lacks List-Unsubscribe-Post.
_OVERSIGNED = frozenset(
    {
        b"from",
        b"to",
        b"subject",
        b"date",
        b"message-id",
        b"list-unsubscribe",
        b"list-unsubscribe-post",
    }
)


class DKIMKeyError(ValueError):
    """The private key cannot be read or is not an RSA key in PEM form."""


def load_key(path: str) -> bytes:
    """The PEM key (PKCS#1 or PKCS#8), checked now so a bad key is a clear error early."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise DKIMKeyError(
            f"DKIM_PRIVATE_KEY_PATH cannot be read: {exc.strerror or type(exc).__name__}"
        ) from exc
    data = data.replace(b"\r\n", b"\n")  # dkimpy finds the PEM body by its "\n" line ends
    try:
        parse_pem_private_key(data)
    except (UnparsableKeyError, ValueError, IndexError) as exc:
        raise DKIMKeyError("DKIM_PRIVATE_KEY_PATH is not an RSA private key in PEM form") from exc
    return data


@dataclass(frozen=True)
class Signer:
    domain: str
    selector: str
    key: bytes

    def sign(self, message: bytes) -> bytes:
        """The message with its DKIM-Signature header first (relaxed/relaxed: a relay
        re-folding a header or trimming trailing space does not break it)."""
        signer = dkim.DKIM(message)
        signer.should_sign |= _OVERSIGNED
        signer.frozen_sign |= _OVERSIGNED
        header = signer.sign(
            self.selector.encode(),
            self.domain.encode(),
            self.key,
            canonicalize=(b"relaxed", b"relaxed"),
        )
        return header + message


def signer_for(config: Any) -> Signer | None:
    """A signer when DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY_PATH are all set. The
    key is read each time (once per worker pass), so a rotated key is used without a
    restart."""
    domain, selector, path = (
        config.get("DKIM_DOMAIN"),
        config.get("DKIM_SELECTOR"),
        config.get("DKIM_PRIVATE_KEY_PATH"),
    )
    if not (domain and selector and path):
        return None
    return Signer(domain, selector, load_key(path))
