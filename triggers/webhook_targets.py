"""Which webhook targets pz may call, and calling one safely: pure Python, no Django.

A webhook URL is typed by staff, so without checks it is a way to make the server call
its own network (SSRF): the cloud metadata service, a database's HTTP port, the admin
on localhost. The policy: https only (http when the deployment allows it, for
development), and never an address that is loopback, link-local, private, shared,
reserved, multicast or unspecified. A literal address is refused when the trigger is
saved; a host name is resolved at send time, EVERY address it resolves to is checked,
and the connection goes to the checked address (with the original Host header and TLS
server name), so a DNS answer that changes between the check and the connection (DNS
rebinding) cannot lead anywhere else. Redirects are not followed, the time is bounded,
and a failure is reported as a class ("connection refused", "HTTP 500"), never with
text from the far side, so the errors are no port-scan oracle.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]

MAX_URL_LENGTH = 2000
MAX_TIMEOUT_SECONDS = 10.0
MIN_TIMEOUT_SECONDS = 0.5
MAX_ATTEMPTS = 10
MAX_RESPONSE_BYTES = 64 * 1024  # read (and dropped) so the connection ends cleanly
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # reaches the IPv4 address it embeds


class TargetRefused(Exception):
    """The target is not one pz calls; the message says why, for staff."""


class DeliveryFailed(Exception):
    """The call failed; the message is a generic class, safe to store and show."""


@dataclass(frozen=True)
class TargetPolicy:
    allow_http: bool = False
    # Hosts (names or literal addresses) exempt from the address check: for a test's
    # local receiver only. No production setting should name one.
    allowed_hosts: Collection[str] = ()


def address_problem(address: Address) -> str | None:
    """Why pz must not connect to this address, or None for a public one."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return address_problem(embedded)
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_private:
        return "a private address"
    if address.is_reserved or not address.is_global:
        return "a reserved address"
    return None


def literal_address(host: str) -> Address | None:
    """The address a host name denotes by itself, including the forms the C resolver
    reads as IPv4 (`2130706433`, `0x7f.1`, `127.1`), or None for a real name."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


def _parts(url: str) -> SplitResult:
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        raise TargetRefused("Give the URL to call (at most 2000 characters).")
    if any(ord(ch) <= 32 or ord(ch) == 127 for ch in url):
        raise TargetRefused("The URL must not contain spaces or control characters.")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as exc:
        raise TargetRefused("The URL cannot be read.") from exc
    return parts


def check_target(url: str, policy: TargetPolicy) -> SplitResult:
    """Refuse what is wrong with the URL itself (scheme, host, literal addresses); the
    check staff see when saving. Returns the parsed URL."""
    parts = _parts(url)
    allowed_schemes = ("https", "http") if policy.allow_http else ("https",)
    if parts.scheme not in allowed_schemes:
        raise TargetRefused(
            "Only https URLs are called."
            if not policy.allow_http
            else "Only http and https URLs are called."
        )
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise TargetRefused("The URL needs a host name.")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("Put credentials in the signing secret, not in the URL.")
    if host in policy.allowed_hosts:
        return parts
    if host == "localhost" or host.endswith(".localhost"):
        raise TargetRefused("The URL must not point at this server (localhost).")
    address = literal_address(host)
    if address is not None:
        problem = address_problem(address)
        if problem:
            raise TargetRefused(f"The URL must not point at {problem} ({address}).")
    return parts


def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise DeliveryFailed("DNS lookup failed") from exc
    return [str(info[4][0]) for info in infos]


def resolve_target(
    parts: SplitResult, policy: TargetPolicy, resolver: Resolver = system_resolver
) -> str:
    """Resolve the host once and check every address it has; returns the address to
    connect to. One bad address refuses the whole name (a rebinding name mixes them)."""
    host = (parts.hostname or "").rstrip(".")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = list(dict.fromkeys(resolver(host, port)))
    if not addresses:
        raise DeliveryFailed("DNS lookup failed")
    if host in policy.allowed_hosts:
        return addresses[0]
    for text in addresses:
        try:
            address = ipaddress.ip_address(text.split("%", 1)[0])
        except ValueError as exc:
            raise DeliveryFailed("DNS lookup failed") from exc
        problem = address_problem(address)
        if problem:
            raise TargetRefused(f"The host resolves to {problem}.")
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to a checked address; the Host header stays the URL's host."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Connects to a checked address; SNI and the certificate check use the URL's host."""

    def __init__(
        self, host: str, port: int, address: str, timeout: float, context: ssl.SSLContext
    ) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post_json(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    policy: TargetPolicy,
    timeout: float,
    resolver: Resolver = system_resolver,
    ssl_context: ssl.SSLContext | None = None,
) -> int:
    """POST the body to a checked target; returns a 2xx status. Raises `TargetRefused`
    (policy) or `DeliveryFailed` (a generic class of what went wrong)."""
    parts = check_target(url, policy)
    address = resolve_target(parts, policy, resolver)
    host = (parts.hostname or "").rstrip(".")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    timeout = min(max(timeout, MIN_TIMEOUT_SECONDS), MAX_TIMEOUT_SECONDS)
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        context = ssl_context or ssl.create_default_context()
        connection = _PinnedHTTPSConnection(host, port, address, timeout, context)
    else:
        connection = _PinnedHTTPConnection(host, port, address, timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(MAX_RESPONSE_BYTES)
        status = int(response.status)
    except ConnectionRefusedError as exc:
        raise DeliveryFailed("connection refused") from exc
    except TimeoutError as exc:
        raise DeliveryFailed("timed out") from exc
    except ssl.SSLError as exc:
        raise DeliveryFailed("TLS error") from exc
    except (OSError, http.client.HTTPException) as exc:
        raise DeliveryFailed("connection error") from exc
    finally:
        connection.close()
    if 300 <= status < 400:
        raise DeliveryFailed(f"HTTP {status} (redirects are not followed)")
    if not 200 <= status < 300:
        raise DeliveryFailed(f"HTTP {status}")
    return status
