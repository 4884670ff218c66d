"""Which webhook URLs may be called (server-side request forgery, docs/security.md).

A partner's URL is fetched by our servers, so it must not let anyone reach what only our
network can: the loopback interface, private ranges (RFC 1918, unique-local IPv6), link-local
addresses (cloud metadata services live at 169.254.169.254), and other special-purpose ranges.
The URL must be http or https. The host is resolved when the endpoint is registered and again
before every delivery, and every address it resolves to must be public. Loopback may be allowed
outside production (``FUPIN_WEBHOOK_ALLOW_LOOPBACK``) so a developer or a test can receive on
127.0.0.1; nothing else private is ever allowed.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from fupin.i18n import _

URL_MAX = 500


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int


class BadUrl(ValueError):
    """The URL cannot be a webhook target; the message says why (Chinese, via gettext)."""


def parse_url(url: str) -> Target:
    """Scheme, host and port of a webhook URL, or BadUrl: http(s) only, a host, no user info."""
    if len(url) > URL_MAX:
        raise BadUrl(_("地址过长。"))
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise BadUrl(_("地址格式不正确。")) from None
    if parts.scheme not in ("http", "https"):
        raise BadUrl(_("地址必须以 http:// 或 https:// 开头。"))
    if not parts.hostname:
        raise BadUrl(_("地址缺少主机名。"))
    if parts.username or parts.password:
        raise BadUrl(_("地址不能包含用户名或密码。"))
    return Target(parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80))


def address_refusal(address: str, *, allow_loopback: bool) -> str | None:
    """Why a resolved address may not be called, or None when it may."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return None if allow_loopback else _("地址指向本机（回环地址）。")
    if ip.is_link_local:
        return _("地址指向链路本地地址。")
    if ip.is_private:
        return _("地址指向内网地址。")
    if ip.is_multicast or ip.is_reserved or ip.is_unspecified or not ip.is_global:
        return _("地址指向保留地址。")
    return None
