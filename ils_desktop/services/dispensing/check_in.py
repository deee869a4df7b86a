"""Check-in: the finished glasses on the lensmeter, compared with what was ordered.

The lensmeter is read through the equipment path (``devices``: the practice's registered lensmeter,
its serial line and protocol, ``listen_once`` then the protocol's parser) — ``read_lensmeter`` does
the device I/O off the GUI thread and touches no database. ``check_in`` compares each lens with the
order (``domain.dispensing.check_mounted_lens``: BS EN ISO 21987 tolerances, either cylinder form):
a pass moves the order to checked and ready to collect; a fail records a ``quality_issues`` row
with the problems and the reading, and the screen offers ``remake``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.devices.measurement import Measurement, MeasurementKind
from ils_desktop.devices.transports.serial_listener import SerialSettings, listen_once
from ils_desktop.domain.dispensing import OrderStatus, check_mounted_lens, transition_problem
from ils_desktop.domain.rx import Sca, format_sca
from ils_desktop.errors import NotFound, UserFacingError
from ils_desktop.models.dispensing import Order, QualityIssue
from ils_desktop.repositories.orders import OrderLine, OrderRepository
from ils_desktop.services import clock
from ils_desktop.services.dispensing.announce import announce_status
from ils_desktop.services.dispensing.orders import _new_order
from ils_desktop.services.dispensing.views import eye_of_order
from ils_desktop.services.use_case import use_case

try:
    import termios

    PORT_ERRORS: tuple[type[BaseException], ...] = (termios.error,)
except ImportError:  # Windows: pyserial raises SerialException, which listen_once reports itself
    PORT_ERRORS = ()


@dataclass(frozen=True)
class Lensmeter:
    """A lensmeter registered on the Equipment screen with a serial connection."""

    id: uuid.UUID
    name: str
    port: str
    protocol: str
    settings: SerialSettings


@dataclass(frozen=True)
class LensReading:
    """What the lensmeter read for each lens (``None``: that lens was not read)."""

    right: Sca | None
    left: Sca | None
    right_add: Decimal | None = None
    left_add: Decimal | None = None
    device: str = ""

    @property
    def summary(self) -> str:
        def eye(sca: Sca | None) -> str:
            return format_sca(sca) if sca is not None else "not read"
        return f"R {eye(self.right)}   L {eye(self.left)}"


@dataclass(frozen=True)
class CheckResult:
    passed: bool
    problems: dict[str, list[str]] = field(default_factory=dict)  # "right"/"left" -> problems
    quality_issue_id: uuid.UUID | None = None

    @property
    def lines(self) -> list[str]:
        return [f"{side.capitalize()}: {p}" for side, found in self.problems.items() for p in found]


#: Orders whose glasses are on their way back or here waiting for their check.
AWAITING = ("dispatched", "received", "checked_fail")


@use_case(permission="dispense.manage", read_only=True)
def awaiting_check_in(uow: TenantUnitOfWork) -> list[OrderLine]:
    """The orders to check on the lensmeter: dispatched by the lab, received, or failed (one query)."""
    return uow.repository(OrderRepository).order_lines(AWAITING)


@use_case(permission="dispense.manage", read_only=True)
def lensmeters(uow: TenantUnitOfWork) -> list[Lensmeter]:
    """The practice's lensmeters that send over a serial line."""
    found = []
    for device_id, name, connection in uow.repository(OrderRepository).lensmeters():
        port = str(connection.get("port") or "")
        if not port:
            continue
        settings = SerialSettings(baudrate=int(connection.get("baudrate") or 9600),
                                  bytesize=int(connection.get("bytesize") or 8),
                                  parity=str(connection.get("parity") or "E"),
                                  stopbits=int(connection.get("stopbits") or 1))
        found.append(Lensmeter(device_id, name, port, str(connection.get("protocol") or "auto"), settings))
    return found


def reading_of(measurement: Measurement) -> LensReading:
    """A lensometry measurement as the check compares it."""
    def eye(code: str) -> tuple[Sca | None, Decimal | None]:
        values = measurement.eye(code)
        if values is None or values.sphere is None:
            return None, None
        cylinder = values.cylinder or Decimal("0")
        axis = values.axis if cylinder else None
        if axis == 0:
            axis = 180
        return Sca(values.sphere, cylinder, axis), values.add
    right, right_add = eye("R")
    left, left_add = eye("L")
    device = " ".join(p for p in (measurement.maker, measurement.model) if p) or measurement.protocol
    return LensReading(right, left, right_add, left_add, device)


def read_lensmeter(device: Lensmeter, *, seconds: float = 30.0) -> LensReading:
    """Wait for the lensmeter to send (the DO presses SEND/PRINT) and read both lenses. Device I/O:
    run it off the GUI thread. ``UserFacingError`` when nothing, or nothing readable, arrived."""
    try:
        test = listen_once(device.port, device.settings, protocol=device.protocol, seconds=seconds)
    except PORT_ERRORS as error:  # the line settings were refused by the port's driver
        raise UserFacingError(f"{device.name}'s port {device.port} would not take its line settings ({error}). "
                              "Check the settings on the Equipment screen.") from None
    if test.error or not test.raw:
        raise UserFacingError(test.summary)
    readings = [m for m in test.parsed if m.kind is MeasurementKind.LENSOMETRY]
    if not readings:
        raise UserFacingError("The lensmeter sent something that is not a lens reading. Read the lenses again.")
    return reading_of(readings[-1])


def _order(uow: TenantUnitOfWork, order_id: uuid.UUID) -> Order:
    order = uow.repository(OrderRepository).for_update(order_id)
    if order is None:
        raise NotFound("That order was not found.")
    return order


def _measured(reading: LensReading) -> dict[str, Any]:
    def eye(sca: Sca | None, add: Decimal | None) -> dict[str, Any] | None:
        if sca is None:
            return None
        return {"sphere": str(sca.sphere), "cylinder": str(sca.cylinder), "axis": sca.axis,
                "add": str(add) if add is not None else None}
    return {"right": eye(reading.right, reading.right_add), "left": eye(reading.left, reading.left_add),
            "device": reading.device}


@use_case(permission="dispense.manage")
def check_in(uow: TenantUnitOfWork, order_id: uuid.UUID, reading: LensReading) -> CheckResult:
    """Compare the lensmeter's reading with the order, lens by lens; record pass or fail."""
    orders = uow.repository(OrderRepository)
    order = _order(uow, order_id)
    if order.status == OrderStatus.DISPATCHED:  # arrived: received first, then checked
        order.status = OrderStatus.RECEIVED.value
        orders.add_event(order.id, OrderStatus.RECEIVED.value, None, at=clock.now())
    problem = transition_problem(order.status, OrderStatus.CHECKED_PASS)
    if problem:
        raise UserFacingError(problem + ".")
    problems: dict[str, list[str]] = {}
    for side in ("right", "left"):
        ordered = eye_of_order(order, side)
        if ordered is None:
            continue
        measured = getattr(reading, side)
        if measured is None:
            problems[side] = ["This lens was not read on the lensmeter"]
            continue
        found = check_mounted_lens(ordered, measured)
        if found:
            problems[side] = found
    issue_id = None
    if problems:
        order.status = OrderStatus.CHECKED_FAIL.value
        issue = orders.add_quality_issue(QualityIssue(
            id=uuid.uuid4(), order_id=order.id, source="lensmeter", fault="lab",
            problems=[f"{side.capitalize()}: {p}" for side, found in problems.items() for p in found],
            measured=_measured(reading), raised_by=uow.context.user_id, raised_at=clock.now()))
        issue_id = issue.id
        orders.add_event(order.id, OrderStatus.CHECKED_FAIL.value,
                         "Failed on the lensmeter: " + "; ".join(issue.problems), at=clock.now())
    else:
        order.status = OrderStatus.CHECKED_PASS.value
        orders.add_event(order.id, OrderStatus.CHECKED_PASS.value, f"Passed on the lensmeter: {reading.summary}",
                         at=clock.now())
        order.status = OrderStatus.READY_TO_COLLECT.value
        orders.add_event(order.id, OrderStatus.READY_TO_COLLECT.value, None, at=clock.now())
    announce_status(uow, order)
    uow.commit()
    return CheckResult(not problems, problems, issue_id)


@use_case(permission="dispense.manage")
def remake(uow: TenantUnitOfWork, order_id: uuid.UUID, reason: str = "") -> uuid.UUID:
    """A new order for the same job, linked to the original (now "remade"), ready to send again;
    the open quality issue of the original points at it."""
    made = make_remake(uow, order_id, reason)
    uow.commit()
    return made


def make_remake(uow: TenantUnitOfWork, order_id: uuid.UUID, reason: str) -> uuid.UUID:
    """``remake``'s writes, inside the caller's transaction (a non-adapt remade, too)."""
    orders = uow.repository(OrderRepository)
    original = _order(uow, order_id)
    problem = transition_problem(original.status, OrderStatus.REMAKE)
    if problem:
        raise UserFacingError(problem + ".")
    columns = {name: getattr(original, name) for name in REMADE_COLUMNS}
    new = _new_order(uow, original.patient_id, remake_of_order_id=original.id, previous_order_id=original.id,
                     coatings=list(original.coatings), tints=list(original.tints), **columns)
    record = orders.dispense_record(original.id)
    if record is not None:
        orders.copy_dispense_record(record, new.id)
    original.status = OrderStatus.REMAKE.value
    orders.add_event(original.id, OrderStatus.REMAKE.value, f"Remade as order {new.number}" +
                     (f": {reason.strip()}" if reason.strip() else ""), at=clock.now())
    orders.add_event(new.id, OrderStatus.DRAFT.value, f"Remake of order {original.number}", at=clock.now())
    orders.link_remake(original.id, new.id)
    return new.id


REMADE_COLUMNS = (
    "prescription_id", "lens_kind", "job_type", "lens_product_id", "lens_description", "lens_material", "lens_index",
    "frame_variant_id", "frame_description", "own_frame", "lab_company_id", "external_lab",
    *[f"{side}_{name}" for side in ("right", "left")
      for name in ("sphere", "cylinder", "axis", "add", "prism_h", "prism_h_base", "prism_v", "prism_v_base")],
)
"""What a remake copies: the job as it was ordered. Its price is nil (a remake is not sold again);
the original keeps its price and deposit."""
