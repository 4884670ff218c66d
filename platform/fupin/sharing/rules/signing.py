"""Webhook signatures (docs/webhooks.md "Signature").

Every delivery carries ``Fupin-Signature: t=<unix seconds>,v1=<hex>`` where the hex is
HMAC-SHA256 keyed by the endpoint's secret over ``<t>.<body>`` (the timestamp as ASCII digits,
a full stop, then the exact request body bytes). Signing the timestamp with the body lets a
receiver refuse an old request replayed later (it checks the timestamp is recent) and a body
changed on the way (the digest no longer matches). The secret is 32 random bytes, shown as
``whsec_`` + URL-safe base64, so a leaked one is recognisable in logs and scanners.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SIGNATURE_HEADER = "Fupin-Signature"
EVENT_HEADER = "Fupin-Event"
DELIVERY_HEADER = "Fupin-Delivery"
SECRET_PREFIX = "whsec_"
#: How far a receiver should accept a timestamp from its own clock (seconds), both ways.
DEFAULT_TOLERANCE_SECONDS = 300


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = str(int(timestamp)).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={int(timestamp)},v1={signature(secret, timestamp, body)}"


def verify(
    secret: str,
    header: str,
    body: bytes,
    now: float,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
) -> bool:
    """The receiver's check, as docs/webhooks.md's example does it (without its replay memory)."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return hmac.compare_digest(expected, parts.get("v1", ""))
