"""Text messages through an SMS gateway.

``SmsGateway`` is what the sender needs of any provider: submit a text (with an idempotency key,
so a resubmission after a lost answer is one text), and look up its delivery state. One provider is
implemented: :class:`JsonGateway`, the shape UK gateways share — ``POST {base}/messages`` with a JSON
body and a bearer API key, answered ``{"id": ..., "status": ...}``; delivery state by polling
``GET {base}/messages/{id}`` (the background sender polls sent texts). A 4xx answer is a refusal
of this text (a number the network rejects) and is not retried; 5xx, timeouts and refused
connections are tried again later.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Protocol

TIMEOUT_SECONDS = 15
DELIVERY_STATES = {"accepted": "sent", "queued": "sent", "sent": "sent", "pending": "sent",
                   "delivered": "delivered", "failed": "failed", "undeliverable": "failed", "rejected": "failed",
                   "expired": "failed"}


@dataclass(frozen=True)
class SmsResult:
    ok: bool
    permanent: bool = False
    ref: str | None = None
    state: str = "sent"
    detail: str = ""


class SmsGateway(Protocol):
    name: str

    def submit(self, to: str, body: str, idempotency_key: str) -> SmsResult: ...

    def delivery_state(self, ref: str) -> str: ...


def uk_e164(number: str) -> str | None:
    """A UK mobile number in E.164 (``07700 900123`` → ``+447700900123``), or None if it is not one
    (UK mobiles are 07 followed by nine digits: Ofcom National Telephone Numbering Plan, 07 range)."""
    digits = re.sub(r"[^\d+]", "", number or "")
    if digits.startswith("+44"):
        digits = "0" + digits[3:].lstrip("0")
    elif digits.startswith("0044"):
        digits = "0" + digits[4:].lstrip("0")
    if re.fullmatch(r"07\d{9}", digits):
        return "+44" + digits[1:]
    return None


class JsonGateway:
    name = "json-gateway"

    def __init__(self, base_url: str, api_key: str | None, sender_id: str, *, timeout: float = TIMEOUT_SECONDS) -> None:
        self.base = base_url.rstrip("/")
        self.api_key, self.sender_id, self.timeout = api_key or "", sender_id, timeout

    def _request(self, method: str, path: str, body: dict[str, object] | None = None,
                 headers: dict[str, str] | None = None) -> tuple[int, dict[str, object]]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.base}{path}", data=data, method=method, headers={
            "Authorization": f"Bearer {self.api_key}", "Content-Type": "application/json",
            "Accept": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                return answer.status, _json(answer.read())
        except urllib.error.HTTPError as error:
            return error.code, _json(error.read())

    def submit(self, to: str, body: str, idempotency_key: str) -> SmsResult:
        number = uk_e164(to)
        if number is None:
            return SmsResult(False, True, detail=f"not a UK mobile number: {to!r}", state="failed")
        try:
            status, answer = self._request("POST", "/messages", {
                "to": number, "from": self.sender_id, "body": body, "reference": idempotency_key},
                {"Idempotency-Key": idempotency_key})
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            return SmsResult(False, False, detail=f"the gateway did not answer ({reason})", state="queued")
        if 200 <= status < 300 and answer.get("id"):
            return SmsResult(True, ref=str(answer["id"]), state=DELIVERY_STATES.get(str(answer.get("status")), "sent"))
        detail = str(answer.get("error") or answer.get("message") or f"HTTP {status}")
        if 400 <= status < 500 and status not in (408, 429):
            return SmsResult(False, True, detail=f"the gateway refused the text: {detail}", state="failed")
        return SmsResult(False, False, detail=f"the gateway failed (HTTP {status}): {detail}", state="queued")

    def delivery_state(self, ref: str) -> str:
        status, answer = self._request("GET", f"/messages/{urllib.request.quote(ref, safe='')}")
        if status != 200:
            return "sent"
        return DELIVERY_STATES.get(str(answer.get("status")), "sent")


def _json(raw: bytes) -> dict[str, object]:
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
