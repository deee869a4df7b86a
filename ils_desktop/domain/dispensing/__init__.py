"""Dispensing rules: from prescription to glasses on the patient's face. Pure, no I/O.

* ``tolerances`` — is a finished lens what was ordered? ``check_mounted_lens(ordered, measured)``
  against the mounted-lens tolerances of BS EN ISO 21987:2017 (a dated data table).
* ``lens_range`` — can a lens be made in this Rx? ``LensRange`` and ``lens_range_problems``.
* ``measurements`` — PDs, heights, vertex, tilt, wrap, frame box data: ``measurement_problems``.
* ``supply`` — who may supply to whom (Opticians Act 1989 s.27): ``needs_registrant_supervision``.
* ``order_status`` — the order's status flow, job types, lens kinds, due dates and lateness.
* ``pricing`` — deposit and balance (practice default: half the price, to the pound).

docs/domain/dispensing.md sets out the rules with their sources.
"""

from ils_desktop.domain.dispensing.lens_range import LensRange, lens_range_problems, minimum_blank_size
from ils_desktop.domain.dispensing.measurements import (
    FIELD_LABELS,
    RANGES,
    DispensingMeasurements,
    measurement_problems,
    required_fields,
)
from ils_desktop.domain.dispensing.order_status import (
    AT_LAB,
    LAB_SETS,
    TERMINAL,
    JobType,
    LensKind,
    OrderStatus,
    due_date,
    is_overdue,
    is_working_day,
    next_statuses,
    transition_problem,
)
from ils_desktop.domain.dispensing.pricing import DEFAULT_DEPOSIT_SHARE, balance_due, suggested_deposit
from ils_desktop.domain.dispensing.supply import (
    age_on,
    needs_registrant_supervision,
    supervision_reason,
    supply_problem,
)
from ils_desktop.domain.dispensing.tolerances import (
    ISO_21987_2017,
    TOLERANCE_TABLES,
    LensTolerances,
    ToleranceTable,
    check_addition,
    check_mounted_lens,
    table_in_force,
    tolerances_for,
)

__all__ = [
    "AT_LAB",
    "DEFAULT_DEPOSIT_SHARE",
    "FIELD_LABELS",
    "ISO_21987_2017",
    "LAB_SETS",
    "RANGES",
    "TERMINAL",
    "TOLERANCE_TABLES",
    "DispensingMeasurements",
    "JobType",
    "LensKind",
    "LensRange",
    "LensTolerances",
    "OrderStatus",
    "ToleranceTable",
    "age_on",
    "balance_due",
    "check_addition",
    "check_mounted_lens",
    "due_date",
    "is_overdue",
    "is_working_day",
    "lens_range_problems",
    "measurement_problems",
    "minimum_blank_size",
    "needs_registrant_supervision",
    "next_statuses",
    "required_fields",
    "suggested_deposit",
    "supervision_reason",
    "supply_problem",
    "table_in_force",
    "tolerances_for",
    "transition_problem",
]
