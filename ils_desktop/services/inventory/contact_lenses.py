"""Contact lens stock: each lens variant's parameters (brand, base curve, diameter, sphere, cylinder
and axis, addition, pack size), its expiry and whether it is a trial (diagnostic) lens; on-hand
from the ledger; and the list of packs expiring soon.

Parameters are checked against BS EN ISO 18369-2 (contact lens tolerances and the usual ranges):
sphere in 0.25 D steps (0.50 D beyond ±6.00 D is common but 0.25 is accepted everywhere),
cylinder negative in 0.25 D steps with an axis 1-180, addition 0.25-4.00 D.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.errors import NotFound, ValidationFailed
from ils_desktop.repositories.inventory import ContactLensRow, StockRepository
from ils_desktop.services import clock
from ils_desktop.services.use_case import use_case

__all__ = ["ContactLensRow"]

QUARTER = Decimal("0.25")


@dataclass(frozen=True)
class LensParameters:
    base_curve: Decimal
    diameter: Decimal
    sphere: Decimal
    pack_size: int
    cylinder: Decimal | None = None
    axis: int | None = None
    addition: Decimal | None = None
    expiry_on: date | None = None
    is_trial: bool = False


def lens_problems(p: LensParameters) -> dict[str, str]:
    """What is wrong with a lens's parameters (BS EN ISO 18369-2 ranges; module docstring)."""
    problems: dict[str, str] = {}
    if not Decimal("7.0") <= p.base_curve <= Decimal("10.0"):
        problems["base_curve"] = "Base curve is between 7.0 and 10.0 mm."
    if not Decimal("12.0") <= p.diameter <= Decimal("16.0"):
        problems["diameter"] = "Diameter is between 12.0 and 16.0 mm."
    if not Decimal("-30") <= p.sphere <= Decimal("30") or p.sphere % QUARTER:
        problems["sphere"] = "Sphere is -30.00 to +30.00 D in 0.25 D steps."
    if (p.cylinder is None) != (p.axis is None):
        problems["axis"] = "A toric lens has both a cylinder and an axis."
    if p.cylinder is not None and (p.cylinder >= 0 or p.cylinder < Decimal("-10") or p.cylinder % QUARTER):
        problems["cylinder"] = "Cylinder is negative, to -10.00 D, in 0.25 D steps."
    if p.axis is not None and not 1 <= p.axis <= 180:
        problems["axis"] = "Axis is 1 to 180."
    if p.addition is not None and (not QUARTER <= p.addition <= Decimal("4") or p.addition % QUARTER):
        problems["addition"] = "Addition is +0.25 to +4.00 D in 0.25 D steps."
    if not 1 <= p.pack_size <= 365:
        problems["pack_size"] = "Pack size is 1 to 365 lenses."
    return problems


@use_case(permission="inventory.manage")
def save_lens_parameters(uow: TenantUnitOfWork, variant_id: uuid.UUID, parameters: LensParameters) -> None:
    """Record (or change) the lens parameters of a contact lens item in the catalogue."""
    problems = lens_problems(parameters)
    if problems:
        raise ValidationFailed(problems)
    stock = uow.repository(StockRepository)
    row = stock.stock_row(variant_id)
    if row is None:
        raise NotFound("That item is no longer in the catalogue.")
    if row.category != "contact_lens":
        raise ValidationFailed({"variant": f"{row.name} is not a contact lens."})
    stock.save_contact_lens(variant_id, {
        "base_curve": parameters.base_curve, "diameter": parameters.diameter, "sphere": parameters.sphere,
        "cylinder": parameters.cylinder, "axis": parameters.axis, "addition": parameters.addition,
        "pack_size": parameters.pack_size, "expiry_on": parameters.expiry_on, "is_trial": parameters.is_trial})
    uow.commit()


@use_case(permission="inventory.manage", read_only=True)
def contact_lens_stock(uow: TenantUnitOfWork, query: str = "", trial: bool | None = None) -> list[ContactLensRow]:
    words = [w[:64] for w in query.split()[:6]]
    return uow.repository(StockRepository).contact_lenses(trial=trial, words=words)


@use_case(permission="inventory.manage", read_only=True)
def expiring_soon(uow: TenantUnitOfWork, days: int = 90) -> list[ContactLensRow]:
    """Lenses in stock whose expiry falls within ``days`` (or has passed), soonest first."""
    return uow.repository(StockRepository).contact_lenses(expiring_before=clock.now().date() + timedelta(days=days))
