"""The lens catalogue's ranges: for each lens design (a ``spectacle_lens`` product), the powers, adds
and least fitting height it is made in, as the lab's price list states — what the dispense screen
checks a prescription against before a lens can be chosen."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain.dispensing import LensKind, LensRange
from ils_desktop.errors import ValidationFailed
from ils_desktop.models.dispensing import LensRange as LensRangeRow
from ils_desktop.repositories.orders import LensChoice, OrderRepository
from ils_desktop.services.use_case import use_case


@dataclass(frozen=True)
class LensRangeDetails:
    lens_kind: str
    sphere_min: Decimal
    sphere_max: Decimal
    cylinder_min: Decimal
    add_min: Decimal | None = None
    add_max: Decimal | None = None
    min_fitting_height: Decimal | None = None
    material: str = ""
    lens_index: Decimal | None = None
    turnaround_working_days: int | None = None


@use_case(permission="inventory.manage")
def save_lens_range(uow: TenantUnitOfWork, product_id: uuid.UUID, details: LensRangeDetails) -> None:
    try:
        kind = LensKind(details.lens_kind)
        LensRange(min_sphere=details.sphere_min, max_sphere=details.sphere_max, max_cylinder=details.cylinder_min,
                  min_add=details.add_min, max_add=details.add_max, min_fitting_height=details.min_fitting_height)
    except (ValueError, TypeError) as error:
        raise ValidationFailed({"range": str(error).capitalize() + "."}) from None
    if kind.has_add and details.add_max is None:
        raise ValidationFailed({"add_max": f"A {kind.label.lower()} lens needs its add range."})
    orders = uow.repository(OrderRepository)
    row = orders.lens_range(product_id) or orders.add_lens_range(LensRangeRow(product_id=product_id))
    row.lens_kind = kind.value
    row.sphere_min, row.sphere_max = details.sphere_min, details.sphere_max
    row.cylinder_min = -abs(details.cylinder_min)
    row.add_min, row.add_max, row.min_fitting_height = details.add_min, details.add_max, details.min_fitting_height
    row.material, row.lens_index = details.material.strip() or None, details.lens_index
    row.turnaround_working_days = details.turnaround_working_days
    uow.commit()


@use_case(permission="dispense.manage", read_only=True)
def lens_choices(uow: TenantUnitOfWork) -> list[LensChoice]:
    return uow.repository(OrderRepository).lens_choices()
