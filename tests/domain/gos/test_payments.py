"""The payment schedule reader (untrusted input: clear errors, a fuzz test) and the matcher."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ils_desktop.domain.gos.batch import FIELD_NAMES, read_batch, render_batch
from ils_desktop.domain.gos.payments import (
    LineOutcome,
    OwedClaim,
    PaymentFileError,
    Schedule,
    parse_schedule,
    reconcile,
)

HEAD = "Payment Date,Claim Reference,Form,Patient Surname,Date of Service,Amount\r\n"


def test_a_schedule_is_read_line_by_line() -> None:
    data = (HEAD + "07/12/2026,PC-1001,GOS1,Smith,02/11/2026,24.13\r\n"
            "07/12/2026,PC-1002,GOS 3,O'Neil,2026-11-05,\"£1,064.30\"\r\n"
            "07/12/2026,PC-1003,GOS1,Jones,03/11/2026,(24.13)\r\n\r\n").encode("utf-8-sig")
    schedule = parse_schedule(data)
    assert [line.reference for line in schedule.lines] == ["PC-1001", "PC-1002", "PC-1003"]
    assert schedule.lines[1].form == "GOS3" and schedule.lines[1].amount == Decimal("1064.30")
    assert schedule.lines[2].amount == Decimal("-24.13")
    assert schedule.total == Decimal("1064.30") and schedule.payment_date == date(2026, 12, 7)
    assert not schedule.problems


@pytest.mark.parametrize(("row", "message"), [
    ("07/12/2026,PC-1,GOS9,Smith,02/11/2026,24.13", "not a GOS form"),
    ("31/02/2026,PC-1,GOS1,Smith,02/11/2026,24.13", "not a date"),
    ("07/12/2026,PC-1,GOS1,Smith,02/11/2026,24.1x", "not an amount"),
    ("07/12/2026,PC-1,GOS1,Smith,02/11/2026,24.135", "pounds and pence"),
    ("07/12/2026,,GOS1,Smith,02/11/2026,24.13", "not a claim reference"),
    ("07/12/2026,PC-1,GOS1", "fewer columns"),
])
def test_a_bad_line_is_listed_with_its_number(row: str, message: str) -> None:
    schedule = parse_schedule((HEAD + "07/12/2026,PC-9,GOS1,Ok,02/11/2026,1.00\r\n" + row + "\r\n").encode())
    assert len(schedule.lines) == 1
    assert [(p.line, message in p.message) for p in schedule.problems] == [(3, True)]


@pytest.mark.parametrize(("data", "message"), [
    (b"", "empty"),
    (b"\xff\xfe\x00n\x00o", "not a CSV"),
    (b"Name,Value\r\nx,1\r\n", "not a payment schedule"),
    (b"a\x00b", "not a CSV"),
])
def test_a_file_that_is_not_a_schedule_says_so(data: bytes, message: str) -> None:
    with pytest.raises(PaymentFileError, match=message):
        parse_schedule(data)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=400).map(lambda t: (HEAD + t).encode()))
def test_any_bytes_give_a_schedule_or_a_clear_error(data: bytes) -> None:
    try:
        schedule = parse_schedule(data)
    except PaymentFileError as error:
        assert str(error)
    else:
        assert isinstance(schedule, Schedule)
        assert all(p.line >= 2 and p.message for p in schedule.problems)


def _owed(key: str, reference: str | None, surname: str, claimed: str) -> OwedClaim:
    return OwedClaim(key, reference, "GOS1", surname, date(2026, 11, 2), Decimal(claimed))


def test_lines_are_matched_paid_short_unexpected_and_the_rest_unpaid() -> None:
    data = (HEAD + "07/12/2026,PC-1,GOS1,Smith,02/11/2026,24.13\r\n"
            "07/12/2026,PC-2,GOS1,Jones,02/11/2026,20.00\r\n"
            "07/12/2026,PC-X,GOS1,Brown,02/11/2026,24.13\r\n"     # no reference known: by facts
            "07/12/2026,PC-Y,GOS1,Nobody,02/11/2026,24.13\r\n").encode()
    owed = [_owed("a", "PC-1", "Smith", "24.13"), _owed("b", "PC-2", "Jones", "24.13"),
            _owed("c", None, "Brown", "24.13"), _owed("d", "PC-4", "Green", "24.13")]
    result = reconcile(parse_schedule(data).lines, owed)
    assert [(m.claim_key, m.outcome) for m in result.matches] == [
        ("a", LineOutcome.PAID), ("b", LineOutcome.SHORT_PAID), ("c", LineOutcome.PAID),
        (None, LineOutcome.UNEXPECTED)]
    assert result.matches[1].difference == Decimal("-4.13")
    assert [c.key for c in result.unpaid] == ["d"]


def test_a_claim_is_matched_once() -> None:
    data = (HEAD + "07/12/2026,PC-1,GOS1,Smith,02/11/2026,24.13\r\n" * 2).encode()
    result = reconcile(parse_schedule(data).lines, [_owed("a", "PC-1", "Smith", "24.13")])
    assert [m.outcome for m in result.matches] == [LineOutcome.PAID, LineOutcome.UNEXPECTED]


def test_the_batch_file_round_trips_and_refuses_a_wrong_row() -> None:
    row = dict.fromkeys(FIELD_NAMES, "") | {"form": "GOS1", "patient_surname": "O'Neil,\nJr"}
    text = render_batch([row])
    assert text.splitlines()[0].split(",") == list(FIELD_NAMES)
    assert read_batch(text)[0]["patient_surname"] == "O'Neil, Jr"
    with pytest.raises(ValueError):
        render_batch([{"form": "GOS1"}])


def test_the_authored_month_of_payments_reads_whole() -> None:
    from pathlib import Path

    data = (Path(__file__).parents[2] / "fixtures" / "nhs" / "payment-schedule-2026-11.csv").read_bytes()
    schedule = parse_schedule(data)
    assert not schedule.problems and len(schedule.lines) == 7
    assert schedule.payment_date == date(2026, 11, 28) and schedule.total == Decimal("171.84")
    assert {line.form for line in schedule.lines} == {"GOS1", "GOS3", "GOS6"}
