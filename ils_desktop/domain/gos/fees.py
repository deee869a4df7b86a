"""GOS fees as dated data: the GOS 1 sight-test fee and the domiciliary visit fees (GOS 6).

Source: DHSC, "NHS general ophthalmic service fees and optical voucher values" (the letter of each
April), as summarised in docs/domain/nhs-gos.md, "Fees". A fee is a ``vouchers.VoucherValue`` row
(code, value, valid-from, source) looked up with ``vouchers.value_on``: one dated-table rule for
fees, voucher faces and supplements alike.

Domiciliary fees are paid per patient seen at one address on one visit, at a higher rate for the
first and second patients than for the third and later. No figure for them is confirmed in the
reference, so none is shipped: the practice enters them from the current letter, and a GOS 6 claim
cannot be valued (``MissingValue``) until it has.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Final

from ils_desktop.domain.gos.vouchers import VoucherValue


class FeeCode(StrEnum):
    SIGHT_TEST = "gos1_sight_test"
    DOMICILIARY_FIRST_SECOND = "domiciliary_first_second"
    DOMICILIARY_THIRD_ON = "domiciliary_third_on"


FEE_DESCRIPTIONS: Final[dict[str, str]] = {
    FeeCode.SIGHT_TEST: "GOS 1 sight test",
    FeeCode.DOMICILIARY_FIRST_SECOND: "Domiciliary visit, first and second patient at an address",
    FeeCode.DOMICILIARY_THIRD_ON: "Domiciliary visit, third and later patients at an address",
}

ENGLAND_FEES: Final[tuple[VoucherValue, ...]] = (
    VoucherValue(FeeCode.SIGHT_TEST, Decimal("23.53"), date(2024, 4, 1), "DHSC GOS fees, England, April 2024"),
    VoucherValue(FeeCode.SIGHT_TEST, Decimal("24.13"), date(2025, 4, 1), "DHSC GOS fees, England, 2025/26"),
)
"""The England fees a practice starts from (docs/domain/nhs-gos.md, "Fees"); check each against the
DHSC letter for the year. Domiciliary fees are entered by the practice (see the module docstring)."""


def domiciliary_fee_code(position_at_address: int) -> FeeCode:
    """The domiciliary fee for the ``position_at_address``-th patient (1-based) seen at one address
    on one visit: the first and second at the higher rate, the third and later at the lower."""
    if position_at_address < 1:
        raise ValueError("A patient's position at the address counts from 1")
    return FeeCode.DOMICILIARY_FIRST_SECOND if position_at_address <= 2 else FeeCode.DOMICILIARY_THIRD_ON
