"""The till X (mid-day, not a close) and Z (closing) reports."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from ils_desktop.domain.exam import LONDON
from ils_desktop.reports.z_report import CashMovement, ReportKind, render_till_report
from tests.reports import samples
from tests.reports.conftest import assert_pdf, flat_text

D = Decimal


def test_z_report_closes_with_counted_cash_and_difference() -> None:
    pdf = render_till_report(samples.till_report(), printed_at=samples.PRINTED_AT)
    assert_pdf(pdf)
    text = flat_text(pdf)
    for expected in (
        "Z REPORT — END OF DAY CLOSE (Z 412)", "Till Front desk till", "Session S-2026-0310-1",
        "Opened 10/03/2026 08:52 by Sam Carter", "Closed 10/03/2026 17:35 by Priya Raman",
        "Sales 23 £2,046.48", "Refunds 2 -£18.99", "Voids 1 -£3.99", "Discounts given (in sales) £64.90",
        "Net takings £2,023.50",
        "Card 14 £1,512.30", "Cash 6 £212.70", "NHS voucher 5 £268.50", "Gift card 1 £30.00", "Total 26 £2,023.50",
        "Window cleaner 11:20 Sam Carter £12.00", "Float top-up (coins) 13:05 Priya Raman £20.00",
        "Opening float £150.00", "Cash takings (net) £212.70", "Cash paid in £20.00", "Cash paid out £16.85",
        "Expected in drawer £365.85", "Counted £365.35", "Difference: short -£0.50",
        "20% £1,030.35 £206.07 £1,236.42", "Exempt £787.08 £0.00 £787.08",
        "Counted by", "Checked by", "Page 1 of 1",
    ):
        assert expected in text, expected
    assert "NOT A CLOSE" not in text


def test_x_report_is_not_a_close() -> None:
    text = flat_text(render_till_report(samples.till_report(ReportKind.X), printed_at=samples.PRINTED_AT))
    assert "X REPORT — MID-DAY READING: NOT A CLOSE" in text
    assert "Still open" in text
    assert "Expected in drawer £365.85" in text
    assert "Cash is counted when the till is closed" in text
    assert "Counted by" not in text and "Z REPORT" not in text


def test_over_and_balanced() -> None:
    over = flat_text(render_till_report(samples.till_report(counted_cash=D("366.00")), printed_at=samples.PRINTED_AT))
    assert "Difference: over +£0.15" in over
    even = flat_text(render_till_report(samples.till_report(counted_cash=D("365.85")), printed_at=samples.PRINTED_AT))
    assert "Difference: balanced £0.00" in even


def test_report_rules() -> None:
    with pytest.raises(ValueError, match="counted cash"):
        samples.till_report(counted_cash=None)
    with pytest.raises(ValueError, match="who closed"):
        samples.till_report(closed_by=None)
    with pytest.raises(ValueError, match="X report"):
        samples.till_report(ReportKind.X, closed_at=datetime(2026, 3, 10, 17, 0, tzinfo=LONDON))
    with pytest.raises(ValueError, match="does not match"):
        samples.till_report(expected_cash=D("400.00"))
    assert samples.till_report(expected_cash=D("365.85")).expected_cash == D("365.85")
    assert samples.till_report().difference == D("-0.50")


def test_cash_movement_rules() -> None:
    when = datetime(2026, 3, 10, 12, 0, tzinfo=LONDON)
    with pytest.raises(ValueError, match="positive"):
        CashMovement(when, "out", D("-5.00"), "Stamps")
    with pytest.raises(ValueError, match="reason"):
        CashMovement(when, "in", D("5.00"), " ")
    with pytest.raises(ValueError, match="'in' or 'out'"):
        CashMovement(when, "sideways", D("5.00"), "Stamps")  # type: ignore[arg-type]
