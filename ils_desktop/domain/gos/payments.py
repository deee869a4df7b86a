"""The monthly GOS payment schedule: reading the CSV and matching its lines to the claims.

PCSE publishes the payment statement on PCSE Online four days before the payment date
(docs/domain/nhs-gos.md, "Payment and verification"). The practice downloads it as CSV; the columns
this reader takes are documented in docs/nhs-payment-schedule.md. The file is untrusted input: every
problem is reported with its line, nothing is half-read, and a line that cannot be read is listed,
never dropped silently.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Final

MAX_BYTES: Final = 5_000_000
MAX_LINES: Final = 50_000
FORMS: Final = frozenset({"GOS1", "GOS3", "GOS4", "GOS6"})

COLUMNS: Final[dict[str, str]] = {
    "payment_date": "Payment Date",
    "reference": "Claim Reference",
    "form": "Form",
    "surname": "Patient Surname",
    "service_date": "Date of Service",
    "amount": "Amount",
}
"""Our name → the column heading in the file (matched without regard to case or spaces)."""


class PaymentFileError(ValueError):
    """The file as a whole cannot be read (not text, no heading row, a column missing, too big)."""


@dataclass(frozen=True)
class ScheduleLine:
    line: int
    payment_date: date
    reference: str
    form: str
    surname: str
    service_date: date
    amount: Decimal


@dataclass(frozen=True)
class LineProblem:
    line: int
    message: str


@dataclass(frozen=True)
class Schedule:
    lines: tuple[ScheduleLine, ...]
    problems: tuple[LineProblem, ...]

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    @property
    def payment_date(self) -> date | None:
        return max((line.payment_date for line in self.lines), default=None)


def _key(heading: str) -> str:
    return "".join(heading.split()).lower()


def _date(text: str) -> date:
    text = text.strip()
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(f"'{text[:20]}' is not a date (DD/MM/YYYY)")


def _amount(text: str) -> Decimal:
    cleaned = text.strip().replace("£", "").replace(",", "")
    negative = cleaned.startswith("(") and cleaned.endswith(")")
    if negative:
        cleaned = cleaned[1:-1]
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"'{text.strip()[:20]}' is not an amount") from None
    if not value.is_finite() or value != value.quantize(Decimal("0.01")) or abs(value) >= 100_000:
        raise ValueError(f"'{text.strip()[:20]}' is not an amount in pounds and pence")
    return (-value if negative else value).quantize(Decimal("0.01"))


def parse_schedule(data: bytes) -> Schedule:
    """Read a payment schedule CSV (UTF-8, with or without a BOM; comma-separated; a heading row
    naming the ``COLUMNS``, in any order, other columns ignored). ``PaymentFileError`` when the
    file as a whole cannot be read; a line that cannot be read is a ``LineProblem``."""
    if len(data) > MAX_BYTES:
        raise PaymentFileError("The file is larger than a payment schedule can be (5 MB).")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PaymentFileError("The file is not a CSV text file (UTF-8).") from None
    if "\x00" in text:
        raise PaymentFileError("The file is not a CSV text file.")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        heading = next(reader, None)
    except csv.Error as error:
        raise PaymentFileError(f"The heading row cannot be read: {error}.") from None
    if not heading:
        raise PaymentFileError("The file is empty.")
    where = {_key(h): i for i, h in enumerate(heading)}
    missing = [title for title in COLUMNS.values() if _key(title) not in where]
    if missing:
        raise PaymentFileError("This is not a payment schedule: no column " + ", ".join(f"'{m}'" for m in missing)
                               + ".")
    index = {name: where[_key(title)] for name, title in COLUMNS.items()}
    lines: list[ScheduleLine] = []
    problems: list[LineProblem] = []
    number = 1
    try:
        for number, row in enumerate(reader, start=2):
            if number > MAX_LINES:
                raise PaymentFileError(f"The file has more than {MAX_LINES} lines.")
            if not any(cell.strip() for cell in row):
                continue
            try:
                lines.append(_line(number, row, index))
            except ValueError as error:
                problems.append(LineProblem(number, str(error)))
    except csv.Error as error:
        raise PaymentFileError(f"Line {number + 1} cannot be read: {error}.") from None
    return Schedule(tuple(lines), tuple(problems))


def _line(number: int, row: list[str], index: Mapping[str, int]) -> ScheduleLine:
    if len(row) <= max(index.values()):
        raise ValueError("has fewer columns than the heading")
    cell = {name: row[i].strip() for name, i in index.items()}
    reference = cell["reference"]
    if not reference or len(reference) > 40 or not reference.replace("-", "").replace("/", "").isalnum():
        raise ValueError(f"'{reference[:20]}' is not a claim reference")
    form = cell["form"].upper().replace(" ", "")
    if form not in FORMS:
        raise ValueError(f"'{cell['form'][:10]}' is not a GOS form (GOS1, GOS3, GOS4, GOS6)")
    return ScheduleLine(number, _date(cell["payment_date"]), reference.upper(), form, cell["surname"][:80],
                        _date(cell["service_date"]), _amount(cell["amount"]))


# --------------------------------------------------------------------------------------------------
# Matching


class LineOutcome(StrEnum):
    PAID = "paid"
    SHORT_PAID = "short_paid"
    OVER_PAID = "over_paid"
    UNEXPECTED = "unexpected"

    @property
    def label(self) -> str:
        return {"paid": "Paid", "short_paid": "Short-paid", "over_paid": "Paid more than claimed",
                "unexpected": "Unexpected"}[self.value]


@dataclass(frozen=True)
class OwedClaim:
    """A submitted claim awaiting payment, as the matcher sees it."""

    key: str
    reference: str | None
    form: str
    surname: str
    service_date: date
    claimed: Decimal


@dataclass(frozen=True)
class Match:
    line: ScheduleLine
    outcome: LineOutcome
    claim_key: str | None
    claimed: Decimal | None

    @property
    def difference(self) -> Decimal | None:
        return None if self.claimed is None else self.line.amount - self.claimed


@dataclass(frozen=True)
class Reconciliation:
    matches: tuple[Match, ...]
    unpaid: tuple[OwedClaim, ...]


def reconcile(lines: Iterable[ScheduleLine], owed: Iterable[OwedClaim]) -> Reconciliation:
    """Match each schedule line to an owed claim: by PCSE's claim reference first, else by form,
    surname and service date when exactly one claim fits. The amount against the claim's value
    gives paid, short-paid or paid more; no claim gives unexpected. Owed claims no line matched are
    unpaid. A claim is matched at most once."""
    claims = list(owed)
    by_reference = {c.reference.upper(): c for c in claims if c.reference}
    by_facts: dict[tuple[str, str, date], list[OwedClaim]] = {}
    for claim in claims:
        by_facts.setdefault((claim.form, claim.surname.strip().lower(), claim.service_date), []).append(claim)
    taken: set[str] = set()
    matches: list[Match] = []
    for line in lines:
        claim = by_reference.get(line.reference)
        if claim is None or claim.key in taken:
            fits = [c for c in by_facts.get((line.form, line.surname.strip().lower(), line.service_date), [])
                    if c.key not in taken]
            claim = fits[0] if len(fits) == 1 else None
        if claim is None:
            matches.append(Match(line, LineOutcome.UNEXPECTED, None, None))
            continue
        taken.add(claim.key)
        outcome = (LineOutcome.PAID if line.amount == claim.claimed else
                   LineOutcome.SHORT_PAID if line.amount < claim.claimed else LineOutcome.OVER_PAID)
        matches.append(Match(line, outcome, claim.key, claim.claimed))
    return Reconciliation(tuple(matches), tuple(c for c in claims if c.key not in taken))
