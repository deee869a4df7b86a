"""Stocktakes: freeze a count sheet for a location (or one category there), count by scanning on any
workstation — several people at once, each scan its own row — see the variances, and post them as
``stocktake`` movements with a manager's approval. Sales during the count are accounted for
(``domain.stocktake``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain import text_input
from ils_desktop.domain.inventory import MovementKind
from ils_desktop.domain.stocktake import SheetLine, Variance, adjustments, variances
from ils_desktop.errors import NotFound, UserFacingError, ValidationFailed
from ils_desktop.repositories.inventory import Movement, StockRepository
from ils_desktop.repositories.stocktakes import SheetRow, StocktakeHeader, StocktakeRepository
from ils_desktop.services import clock
from ils_desktop.services.till.authorisation import (
    ManagerApproval,
    ManagerAuthorisationNeeded,
    _approving_manager,
    _proof_of,
)
from ils_desktop.services.use_case import use_case

__all__ = ["SheetRow", "StocktakeHeader"]

PRODUCT_CATEGORIES = ("frame", "sunglasses", "spectacle_lens", "lens_option", "contact_lens", "solution", "accessory")


@dataclass(frozen=True)
class Counted:
    name: str
    counted: int  # this line's count so far (all counters)


@dataclass(frozen=True)
class StocktakeView:
    header: StocktakeHeader
    sheet: list[SheetRow]
    variances: list[Variance]
    names: dict[uuid.UUID, str]

    @property
    def value(self) -> Decimal:
        return sum((v.value for v in self.variances), Decimal("0.00"))


def _header(repository: StocktakeRepository, stocktake_id: uuid.UUID) -> StocktakeHeader:
    found = repository.headers(stocktake_id)
    if not found:
        raise NotFound("That stocktake was not found.")
    return found[0]


@use_case(permission="inventory.manage")
def start_stocktake(uow: TenantUnitOfWork, location_id: uuid.UUID | None = None,
                    category: str | None = None) -> uuid.UUID:
    """Freeze a count sheet: every counted item (of ``category``) at the location, with what the
    ledger holds there now."""
    if category is not None and category not in PRODUCT_CATEGORIES:
        raise ValidationFailed({"category": "Choose a category, or count everything."})
    stock = uow.repository(StockRepository)
    stock.queue_behind_other_writers()  # the freeze sees every movement committed before it
    location = location_id or stock.default_location()
    if location not in {loc.id for loc in stock.locations()}:
        raise ValidationFailed({"location": "Choose a location of this practice."})
    stocktake_id, _number = uow.repository(StocktakeRepository).start(location, category, uow.context.user_id,
                                                                      clock.now())
    uow.commit()
    return stocktake_id


@use_case(permission="till.sell", read_only=True)
def stocktakes(uow: TenantUnitOfWork) -> list[StocktakeHeader]:
    return uow.repository(StocktakeRepository).headers()


@use_case(permission="till.sell")
def count_scan(uow: TenantUnitOfWork, stocktake_id: uuid.UUID, code: str, quantity: int = 1,
               workstation: str = "") -> Counted:
    """One counter's scan (or typed count) on the sheet: each is its own row, so counters on several
    workstations never overwrite each other; a negative quantity takes back a mis-scan."""
    code = text_input.clean_search_text(code).strip()[:64]
    if not code:
        raise ValidationFailed({"code": "Scan or type the item's barcode."})
    if quantity == 0 or abs(quantity) > 10_000:
        raise ValidationFailed({"quantity": "Count between 1 and 10,000 at a time."})
    repository = uow.repository(StocktakeRepository)
    header = _header(repository, stocktake_id)
    if header.status != "counting":
        raise UserFacingError(f"Stocktake {header.number} is {header.status}: counting has finished.")
    found = repository.on_sheet(stocktake_id, code)
    if found is None:
        raise UserFacingError(f"{code} is not on this count sheet (another location or category, or not a stocked "
                              "item). Put it aside for the manager.")
    variant_id, name = found
    total = repository.count(stocktake_id, variant_id, quantity, uow.context.user_id,
                             workstation.strip()[:60] or None, clock.now())
    if total < 0:
        raise ValidationFailed({"quantity": f"{name} has only {total - quantity} counted: cannot take back more."})
    uow.commit()
    return Counted(name, total)


def _view(uow: TenantUnitOfWork, stocktake_id: uuid.UUID, uncounted_are_zero: bool) -> StocktakeView:
    repository = uow.repository(StocktakeRepository)
    header = _header(repository, stocktake_id)
    sheet = repository.sheet(stocktake_id, clock.now())
    lines = [SheetLine(r.variant_id, r.frozen, r.counted, r.moved_before_count, r.unit_cost) for r in sheet]
    return StocktakeView(header, sheet, variances(lines, uncounted_are_zero=uncounted_are_zero),
                         {r.variant_id: r.name for r in sheet})


@use_case(permission="till.sell", read_only=True)
def stocktake(uow: TenantUnitOfWork, stocktake_id: uuid.UUID, uncounted_are_zero: bool = False) -> StocktakeView:
    """The sheet with its counts so far and the variance report."""
    return _view(uow, stocktake_id, uncounted_are_zero)


@use_case(permission="till.sell")
def post_stocktake(uow: TenantUnitOfWork, stocktake_id: uuid.UUID, *, uncounted_are_zero: bool = False,
                   approval: ManagerApproval | None = None) -> int:
    """Post the variances as ``stocktake`` movements (one per line that differs) and close the
    stocktake. A manager approves: the person signed in if they manage stock, else a manager who
    types their email and password. Returns how many movements were posted."""
    proof = _proof_of(uow, approval)
    manager = _approving_manager(uow, proof, "inventory.manage")
    if manager is None:
        raise ManagerAuthorisationNeeded(["posting a stocktake changes the stock"], permission="inventory.manage")
    stock = uow.repository(StockRepository)
    stock.queue_behind_other_writers()
    repository = uow.repository(StocktakeRepository)
    status = repository.lock(stocktake_id)
    if status is None:
        raise NotFound("That stocktake was not found.")
    if status != "counting":
        raise UserFacingError(f"This stocktake is already {status}.")
    view = _view(uow, stocktake_id, uncounted_are_zero)
    changes = adjustments(view.variances)
    now = clock.now()
    stock.record([Movement(variant_id, change, MovementKind.STOCKTAKE.value, now, uow.context.user_id,
                           note=f"stocktake {view.header.number}", location_id=view.header.location_id,
                           stocktake_id=stocktake_id) for variant_id, change in sorted(changes.items())])
    repository.finish(stocktake_id, "posted", manager.user_id, now)
    uow.commit()
    return len(changes)


@use_case(permission="inventory.manage")
def cancel_stocktake(uow: TenantUnitOfWork, stocktake_id: uuid.UUID) -> None:
    repository = uow.repository(StocktakeRepository)
    if repository.lock(stocktake_id) != "counting":
        raise UserFacingError("Only a stocktake still being counted can be cancelled.")
    repository.finish(stocktake_id, "cancelled", uow.context.user_id, clock.now())
    uow.commit()
