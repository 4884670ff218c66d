"""Partner endpoints over HTTP: resolve a host (every address must be allowed) and POST one
signed delivery with a timeout. httpx does the HTTP; nothing here knows the database."""

from __future__ import annotations

import asyncio
import socket
import time
from dataclasses import dataclass

import httpx

from fupin.i18n import _
from fupin.sharing.rules.addresses import BadUrl, Target, address_refusal, parse_url


async def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (an IP literal resolves to itself)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


async def check_target(url: str, *, allow_loopback: bool) -> Target:
    """The URL's target when it is http(s) and every address it resolves to may be called;
    BadUrl otherwise (also when the name does not resolve)."""
    target = parse_url(url)
    try:
        addresses = await resolve(target.host, target.port)
    except (OSError, UnicodeError):
        raise BadUrl(_("无法解析地址中的主机名。")) from None
    if not addresses:
        raise BadUrl(_("无法解析地址中的主机名。"))
    for address in addresses:
        refusal = address_refusal(address, allow_loopback=allow_loopback)
        if refusal is not None:
            raise BadUrl(refusal)
    return target


@dataclass(frozen=True)
class SendResult:
    status_code: int | None  # None: no answer (refused, timed out, refused by the address check)
    error: str
    duration_ms: int


async def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout: float,
    allow_loopback: bool,
) -> SendResult:
    """POST once. The target is checked again first (a name may now point elsewhere); redirects
    are not followed (a 3xx is a failure), so a partner cannot bounce us to an internal address."""
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        await check_target(url, allow_loopback=allow_loopback)
    except BadUrl as exc:
        return SendResult(None, str(exc), took())
    try:
        async with httpx.AsyncClient(
            timeout=httpx.Timeout(timeout), follow_redirects=False, trust_env=False
        ) as client:
            response = await client.post(url, content=body, headers=headers)
    except httpx.TimeoutException:
        seconds = f"{timeout:g}"
        return SendResult(None, _("超时（%(s)s 秒内无应答）", s=seconds), took())
    except httpx.HTTPError as exc:
        return SendResult(None, f"{type(exc).__name__}: {exc}"[:300], took())
    return SendResult(response.status_code, "", took())
