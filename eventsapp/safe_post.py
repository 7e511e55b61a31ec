"""Posting a webhook safely to an address an organisation typed in.

The address is resolved at each delivery and every address it resolves to must be public
(no private, loopback, link-local, shared or reserved ranges), then the connection goes to
the address that was checked (so a second DNS answer cannot swap it for an inside one),
with TLS still verified against the host name. https only; no redirects followed; short
timeouts; at most a little of the answer is read. WEBHOOK_ALLOW_LOCAL lifts the address
and https rules for development and tests.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from urllib3 import HTTPConnectionPool, HTTPSConnectionPool, Timeout
from urllib3.exceptions import HTTPError

_ANSWER_BYTES = 1024


class Refused(Exception):
    """The address may not be posted to (said in words organisers can act on)."""


@dataclass(frozen=True)
class Answer:
    status: int


def check_url(url: str, *, allow_local: bool) -> None:
    """Raise Refused if the URL could never be posted to (before resolving)."""
    parts = urlsplit(url)
    if parts.scheme != "https" and not (allow_local and parts.scheme == "http"):
        raise Refused("The address must start with https://")
    if not parts.hostname:
        raise Refused("The address has no host name")
    if parts.username or parts.password:
        raise Refused("The address must not contain a user name or password")
    try:
        parts.port  # noqa: B018  (raises on a port out of range)
    except ValueError as exc:
        raise Refused("The address has an invalid port") from exc


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve(host: str, port: int, *, allow_local: bool) -> str:
    """The address to connect to: all of the host's addresses must be public."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Refused("The host name could not be found") from exc
    addresses = [str(info[4][0]) for info in infos]
    if not allow_local and not all(_public(address) for address in addresses):
        raise Refused("Refused: the host name points to a private or local address")
    return addresses[0]


def post(
    url: str, body: bytes, headers: dict[str, str], *, allow_local: bool, timeout: float
) -> Answer:
    """POST once. Raises Refused (the address), or OSError/HTTPError (the network)."""
    check_url(url, allow_local=allow_local)
    parts = urlsplit(url)
    host = str(parts.hostname)
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    address = resolve(host, port, allow_local=allow_local)
    limits = Timeout(connect=min(timeout, 5.0), read=timeout)
    pool: HTTPConnectionPool
    if https:
        pool = HTTPSConnectionPool(
            address,
            port,
            timeout=limits,
            retries=False,
            maxsize=1,
            server_hostname=host,
            assert_hostname=host,
        )
    else:
        pool = HTTPConnectionPool(address, port, timeout=limits, retries=False, maxsize=1)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    with pool:
        response = pool.urlopen(
            "POST",
            target,
            body=body,
            headers={**headers, "Host": parts.netloc},
            redirect=False,
            preload_content=False,
        )
        try:
            response.read(_ANSWER_BYTES)
        except HTTPError:
            pass  # the status is what counts
        finally:
            response.release_conn()
    return Answer(response.status)
