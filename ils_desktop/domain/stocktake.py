"""Stocktake arithmetic: what the shelf should have held when it was counted, and the adjustment that
puts the ledger right — with sales (and any other movements) during the count accounted for.

When a count sheet is frozen, each line keeps what the ledger said then (``expected``). Counting
takes time and the shop stays open, so a line's counted figure is compared not with the frozen
figure but with the ledger *at the time that line was first counted*: frozen + movements between
the freeze and that time. A sale after the item was counted changes both the ledger and the shelf,
so it does not disturb the variance. The adjustment posted is ``counted - expected_at_count``,
applied to the ledger as it is when posted. (Perpetual inventory with cycle counting; the
"cut-off" rule of ISA 501 *Audit Evidence*, para. A1-A6, on attendance at physical counts.)
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class SheetLine:
    variant_id: uuid.UUID
    frozen: int  # the ledger at the freeze
    counted: int | None  # None: not counted
    moved_before_count: int  # net movements between the freeze and the first count of this line
    unit_cost: Decimal | None


@dataclass(frozen=True)
class Variance:
    variant_id: uuid.UUID
    expected: int  # what the shelf should have held when counted
    counted: int
    difference: int  # counted - expected: the adjustment to post
    value: Decimal  # the difference at cost


def variances(lines: list[SheetLine], *, uncounted_are_zero: bool) -> list[Variance]:
    """The variance of every line (module docstring). An uncounted line is either left alone or,
    when the manager says the whole location was counted, taken as counted zero."""
    found: list[Variance] = []
    for line in lines:
        if line.counted is None and not uncounted_are_zero:
            continue
        counted = line.counted or 0
        expected = line.frozen + line.moved_before_count
        difference = counted - expected
        cost = line.unit_cost or Decimal("0")
        found.append(Variance(line.variant_id, expected, counted, difference,
                              (cost * difference).quantize(Decimal("0.01"))))
    return found


def adjustments(found: list[Variance]) -> Mapping[uuid.UUID, int]:
    """The movements to post: one per line whose count differs."""
    return {v.variant_id: v.difference for v in found if v.difference}
