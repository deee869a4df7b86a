"""Webhook signatures: HMAC-SHA256 (RFC 2104, FIPS 180-4) over the timestamp and the body.

The header is ``ILS-Signature: t=<unix seconds>,v1=<hex digest>``, the digest of
``"<t>." + body`` under the subscription's secret — the scheme Stripe and Standard Webhooks use, so
a receiver can refuse a replay (an old ``t``) and any change to the body. Compare with
``hmac.compare_digest`` (constant time).
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "ILS-Signature"
TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, now: int, *, tolerance: int = TOLERANCE_SECONDS) -> bool:
    """True if ``header`` signs ``body`` with ``secret`` and is no older than ``tolerance`` seconds."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, given)
