"""Fetching a URL that a user gave us, without becoming a way into the private network.

Only http(s); every hop's host must resolve to public addresses (or to networks an allow-list
names), checked before connecting and again on the connected socket (so a DNS answer that
changes between the check and the connection cannot slip through); at most `max_redirects`
redirects, each checked the same way; connect and read timeouts plus a deadline for the whole
answer (a server that trickles its body is cut off); bodies above `max_bytes` are refused.
Conditional requests (ETag / Last-Modified) answer None when nothing changed.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from index.errors import FetchError, FetchRefused

USER_AGENT = "glossary-service/1.0 (term tracking; +https://glossary.example/bot)"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class FetchPolicy:
    max_bytes: int = 5_000_000
    connect_seconds: float = 5.0
    read_seconds: float = 10.0
    total_seconds: float = 30.0
    max_redirects: int = 5
    allow: tuple[Network, ...] = ()  # private networks that may be fetched (e.g. an intranet)

    @classmethod
    def allowing(cls, networks: Iterable[str], **kwargs: Any) -> FetchPolicy:
        try:
            allowed = tuple(ipaddress.ip_network(n.strip(), strict=False) for n in networks if n.strip())
        except ValueError as exc:
            raise FetchRefused(f"allow-list: {exc}") from None
        return cls(allow=allowed, **kwargs)

    def permits(self, address: str) -> bool:
        ip = ipaddress.ip_address(address.split("%")[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if any(ip in network for network in self.allow):
            return True
        return ip.is_global and not ip.is_multicast


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    content_type: str | None  # the media type, without parameters
    charset: str | None
    body: bytes
    etag: str | None
    last_modified: str | None


def _guarded(base: type[HTTPConnection], policy: FetchPolicy) -> type[HTTPConnection]:
    class Guarded(base):  # type: ignore[valid-type, misc]
        def _new_conn(self) -> socket.socket:
            sock = super()._new_conn()
            peer = sock.getpeername()[0]
            if not policy.permits(peer):
                sock.close()
                raise FetchRefused(f"refused: {self.host} connected to a private address ({peer})")
            return sock  # type: ignore[no-any-return]

    return Guarded


def _pool_manager(policy: FetchPolicy) -> urllib3.PoolManager:
    class GuardedHTTPPool(HTTPConnectionPool):
        ConnectionCls = _guarded(HTTPConnection, policy)

    class GuardedHTTPSPool(HTTPSConnectionPool):
        ConnectionCls = _guarded(HTTPSConnection, policy)  # type: ignore[assignment]

    manager = urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=policy.connect_seconds, read=policy.read_seconds), retries=False
    )
    manager.pool_classes_by_scheme = {"http": GuardedHTTPPool, "https": GuardedHTTPSPool}
    return manager


def check_url(url: str, policy: FetchPolicy) -> None:
    """Refuse what is not http(s), and hosts that resolve to an address the policy forbids."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchRefused(f"only http(s) URLs can be fetched, not {url[:200]!r}")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, ValueError) as exc:
        raise FetchError(f"cannot resolve {parts.hostname}: {exc}") from None
    for *_, address in found:
        if not policy.permits(str(address[0])):
            raise FetchRefused(f"refused: {parts.hostname} resolves to a private address ({address[0]})")


def fetch(url: str, policy: FetchPolicy, etag: str | None = None, modified: str | None = None) -> Fetched | None:
    """The body at `url` (None: not modified since `etag`/`modified`); FetchError otherwise."""
    manager = _pool_manager(policy)
    headers = {"User-Agent": USER_AGENT, "Accept": "text/html,application/xhtml+xml,application/pdf,*/*;q=0.5"}
    if etag:
        headers["If-None-Match"] = etag
    if modified:
        headers["If-Modified-Since"] = modified
    deadline = time.monotonic() + policy.total_seconds
    try:
        for _ in range(policy.max_redirects + 1):
            check_url(url, policy)
            response = manager.request("GET", url, headers=headers, redirect=False, preload_content=False)
            try:
                location = response.headers.get("Location")
                if response.status in (301, 302, 303, 307, 308) and location:
                    url = urljoin(url, location)
                    continue
                if response.status == 304:
                    return None
                if response.status >= 400:
                    raise FetchError(f"HTTP {response.status} from {url[:200]}")
                body = _read(response, policy, deadline)
            finally:
                response.release_conn()
            media, _, params = (response.headers.get("Content-Type") or "").partition(";")
            charset = next(
                (
                    v.strip().strip("\"'")
                    for k, _, v in (p.partition("=") for p in params.split(";"))
                    if k.strip() == "charset"
                ),
                None,
            )
            return Fetched(
                url=url,
                content_type=media.strip().lower() or None,
                charset=charset or None,
                body=body,
                etag=response.headers.get("ETag"),
                last_modified=response.headers.get("Last-Modified"),
            )
        raise FetchError(f"more than {policy.max_redirects} redirects")
    except urllib3.exceptions.HTTPError as exc:
        reason = getattr(exc, "reason", None) or exc
        if isinstance(reason, FetchError):
            raise reason from None
        raise FetchError(f"cannot fetch {url[:200]}: {type(reason).__name__}") from None
    finally:
        manager.clear()


def _charset(params: str) -> str | None:
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip("\"'") or None
    return None


def _read(response: Any, policy: FetchPolicy, deadline: float) -> bytes:
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > policy.max_bytes:
        raise FetchError(f"the body is larger than the limit of {policy.max_bytes} bytes")
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() > deadline:
            raise FetchError(f"the answer took longer than {policy.total_seconds:g} s")
        chunk = response.read1(65536, decode_content=True)  # what has arrived: the deadline holds
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > policy.max_bytes:
            raise FetchError(f"the body is larger than the limit of {policy.max_bytes} bytes")
        chunks.append(chunk)
