"""The dispensing optician's use cases for an order: open the patient's dispense page, start an order
from a prescription or a previous order, choose lens and frame, take the measurements, send it to
the lab, move it along, read it back.

The rules are in ``domain.dispensing`` (lens range, measurements, s.27 supervision, status flow,
due date); these read what the rules need, ask them, and write the order and its timeline.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain import text_input
from ils_desktop.domain.dispensing import (
    LAB_SETS,
    DispensingMeasurements,
    JobType,
    LensKind,
    LensRange,
    OrderStatus,
    age_on,
    due_date,
    lens_range_problems,
    measurement_problems,
    needs_registrant_supervision,
    supervision_reason,
    supply_problem,
    transition_problem,
)
from ils_desktop.domain.gos import voucher_band
from ils_desktop.domain.money import require_pennies
from ils_desktop.domain.rx import Sca
from ils_desktop.errors import NotFound, UserFacingError, ValidationFailed
from ils_desktop.models.clinical import Prescription
from ils_desktop.models.dispensing import DispenseRecord, Order
from ils_desktop.repositories.counters import CounterRepository
from ils_desktop.repositories.orders import FrameFound, LensChoice, OrderLine, OrderRepository
from ils_desktop.services import clock
from ils_desktop.services.dispensing.announce import announce_status
from ils_desktop.services.dispensing.views import (
    MEASUREMENT_FIELDS,
    DispensePage,
    OrderDetail,
    OrderSpec,
    RxOnRecord,
    detail_of,
    eye_of_order,
    measurements_of,
)
from ils_desktop.services.use_case import use_case

EYE_COLUMNS = ("sphere", "cylinder", "axis", "prism_h", "prism_h_base", "prism_v", "prism_v_base")


def _rx_of(row: Prescription) -> RxOnRecord:
    def eye(side: str) -> Sca | None:
        sphere = getattr(row, f"{side}_sphere")
        if sphere is None:
            return None
        cylinder = getattr(row, f"{side}_cylinder") or Decimal("0")
        return Sca(sphere, cylinder, getattr(row, f"{side}_axis") if cylinder else None)
    return RxOnRecord(row.id, row.issue_date, eye("right"), eye("left"), row.right_near_add, row.left_near_add,
                      row.expiry_date)


@use_case(permission="dispense.manage", read_only=True)
def open_dispense(uow: TenantUnitOfWork, patient_id: uuid.UUID) -> DispensePage:
    """The patient's dispense page: who, their current Rx, their orders, and the practice's labs,
    registrants and lenses to choose from."""
    orders = uow.repository(OrderRepository)
    patient = orders.patient(patient_id)
    if patient is None:
        raise NotFound("That patient was not found.")
    rx = orders.current_prescription(patient_id)
    return DispensePage(patient, age_on(patient.date_of_birth, clock.today()), _rx_of(rx) if rx else None,
                        orders.orders_for_patient(patient_id), orders.connected_labs(), orders.registrants(),
                        orders.lens_choices())


def _new_order(uow: TenantUnitOfWork, patient_id: uuid.UUID, **columns: object) -> Order:
    orders = uow.repository(OrderRepository)
    number = uow.repository(CounterRepository).next_value("spectacle_order")
    order = orders.add(Order(id=uuid.uuid4(), number=number, patient_id=patient_id, status=OrderStatus.DRAFT.value,
                             created_by=uow.context.user_id, **columns))
    orders.session.flush()
    return order


@use_case(permission="dispense.manage")
def order_from_prescription(uow: TenantUnitOfWork, prescription_id: uuid.UUID) -> uuid.UUID:
    """A draft order with the prescription's powers copied (never typed twice)."""
    orders = uow.repository(OrderRepository)
    rx = orders.prescription(prescription_id)
    if rx is None:
        raise NotFound("That prescription was not found.")
    if rx.kind != "new" or (rx.right_sphere is None and rx.left_sphere is None):
        raise UserFacingError("That prescription has no powers to make up (it is a statement).")
    powers = {f"{side}_{name}": getattr(rx, f"{side}_{name}") for side in ("right", "left") for name in EYE_COLUMNS}
    adds = {"right_add": rx.right_near_add, "left_add": rx.left_near_add}
    kind = LensKind.VARIFOCAL if (rx.right_near_add or rx.left_near_add) else LensKind.SINGLE_VISION
    order = _new_order(uow, rx.patient_id, prescription_id=rx.id, lens_kind=kind.value, **powers, **adds)
    orders.add_event(order.id, OrderStatus.DRAFT.value, f"Started from the prescription of {rx.issue_date:%d/%m/%Y}",
                     at=clock.now())
    uow.commit()
    return order.id


@use_case(permission="dispense.manage")
def order_from_previous(uow: TenantUnitOfWork, previous_order_id: uuid.UUID, purpose: str = "") -> uuid.UUID:
    """A draft order repeating a previous one (a repeat pair, a second pair, sunglasses from the same
    Rx): powers, lens, coatings and tints copied; frame, lab and money chosen again."""
    _refuse_text({"purpose": (purpose, text_input.LABEL)})
    orders = uow.repository(OrderRepository)
    previous = orders.get(previous_order_id)
    if previous is None:
        raise NotFound("That order was not found.")
    copied = {f"{side}_{name}": getattr(previous, f"{side}_{name}")
              for side in ("right", "left") for name in (*EYE_COLUMNS, "add")}
    order = _new_order(uow, previous.patient_id, prescription_id=previous.prescription_id,
                       previous_order_id=previous.id, lens_kind=previous.lens_kind, job_type=previous.job_type,
                       lens_product_id=previous.lens_product_id, lens_description=previous.lens_description,
                       lens_material=previous.lens_material, lens_index=previous.lens_index,
                       coatings=list(previous.coatings), tints=list(previous.tints), **copied)
    why = purpose.strip() or "repeat"
    orders.add_event(order.id, OrderStatus.DRAFT.value, f"Started from order {previous.number} ({why})", at=clock.now())
    uow.commit()
    return order.id


def _refuse_text(fields: dict[str, tuple[str | None, text_input.TextRule]]) -> None:
    problems = text_input.text_problems(fields)
    if problems:
        raise ValidationFailed(problems)


def lens_range_of(choice: LensChoice) -> LensRange:
    return LensRange(min_sphere=choice.sphere_min, max_sphere=choice.sphere_max, max_cylinder=choice.cylinder_min,
                     min_add=choice.add_min, max_add=choice.add_max, min_fitting_height=choice.min_fitting_height)


def range_problems(order: Order, choice: LensChoice, record: DispenseRecord | None) -> list[str]:
    """Why the chosen lens cannot be made in this order's Rx, eye by eye ("Right: cylinder …")."""
    lens = lens_range_of(choice)
    problems = []
    for side in ("right", "left"):
        sca = eye_of_order(order, side)
        if sca is None:
            continue
        add = getattr(order, f"{side}_add") if LensKind(choice.lens_kind).has_add else None
        height = getattr(record, f"{side}_fitting_height") if record else None
        problems += [f"{side.capitalize()}: {p}" for p in lens_range_problems(sca, add, lens, height)]
    return problems


def _voucher(uow: TenantUnitOfWork, order: Order) -> tuple[str | None, Decimal | None]:
    """The GOS 3 voucher band of the order's Rx and its value today (docs/domain/nhs-gos.md)."""
    multifocal = LensKind(order.lens_kind).has_add
    right, left = eye_of_order(order, "right"), eye_of_order(order, "left")
    if right is None and left is None:
        return None, None
    band = voucher_band(right, left, bifocal=multifocal)
    return band, uow.repository(OrderRepository).voucher_value(band, clock.today())


@use_case(permission="dispense.manage")
def save_order(uow: TenantUnitOfWork, order_id: uuid.UUID, spec: OrderSpec) -> OrderDetail:
    """Save what was chosen for a draft order: lens (refused with the reason when the Rx cannot be
    made in it), frame (by its scanned code) or the patient's own, lab, coatings, tints, money."""
    _refuse_text({"own_frame": (spec.own_frame, text_input.LABEL),
                  "external_lab": (spec.external_lab, text_input.LABEL),
                  "frame_code": (spec.frame_code, text_input.CODE), "note": (spec.note, text_input.NOTE),
                  **{f"coating {i}": (c, text_input.LABEL) for i, c in enumerate(spec.coatings)},
                  **{f"tint {i}": (t, text_input.LABEL) for i, t in enumerate(spec.tints)}})
    orders = uow.repository(OrderRepository)
    order = orders.for_update(order_id)
    if order is None:
        raise NotFound("That order was not found.")
    if order.status != OrderStatus.DRAFT:
        raise UserFacingError(f"Order {order.number} has been sent to the lab: it can no longer be changed.")
    problems: dict[str, str] = {}
    try:
        kind, job = LensKind(spec.lens_kind), JobType(spec.job_type)
    except ValueError:
        raise ValidationFailed({"lens_kind": "Choose the lens type and the job type."}) from None
    choice = None
    if spec.lens_product_id is not None:
        choice = orders.lens_choice(spec.lens_product_id)
        if choice is None:
            problems["lens"] = "That lens is not in the catalogue's lens list."
        elif choice.lens_kind != kind:
            problems["lens"] = (f"{choice.name} is a {LensKind(choice.lens_kind).label.lower()} lens, "
                                f"not {kind.label.lower()}.")
    frame = None
    code = spec.frame_code.strip()
    if code:
        frame = orders.frame_by_code(code)
        if frame is None:
            problems["frame"] = f"No frame in the catalogue has the code {code}."
    elif job in (JobType.FULL_JOB,) and not spec.own_frame.strip():
        problems["frame"] = "Scan the frame, or describe the patient's own frame."
    try:
        price = require_pennies(spec.price, what="price")
        deposit = require_pennies(spec.deposit, what="deposit")
    except ValueError as error:
        raise ValidationFailed({"price": str(error)}) from None
    if price < 0:
        problems["price"] = "The price cannot be negative."
    if deposit < 0 or deposit > price:
        problems["deposit"] = "The deposit is between nothing and the price."
    if spec.lab_company_id is not None and spec.external_lab.strip():
        problems["lab"] = "Choose a connected lab or name an outside lab, not both."
    connected = {lab.company_id for lab in orders.connected_labs()}
    if spec.lab_company_id is not None and spec.lab_company_id not in connected:
        problems["lab"] = "That lab is not connected to the practice."
    if problems:
        raise ValidationFailed(problems)
    order.lens_kind, order.job_type = kind.value, job.value
    record = orders.dispense_record(order.id)
    if choice is not None:
        refused = range_problems(order, choice, record)
        if refused:
            raise ValidationFailed({"lens": f"{choice.name} cannot be made in this prescription. "
                                            + "; ".join(refused) + "."})
        order.lens_product_id, order.lens_description = choice.product_id, choice.name
        order.lens_material, order.lens_index = choice.material, choice.lens_index
    else:
        order.lens_product_id = order.lens_description = None
    order.coatings = [c.strip() for c in spec.coatings if c.strip()]
    order.tints = [t.strip() for t in spec.tints if t.strip()]
    order.frame_variant_id = frame.variant_id if frame else None
    order.own_frame = frame is None and bool(spec.own_frame.strip())
    order.frame_description = frame.name if frame else (spec.own_frame.strip() or None)
    order.lab_company_id = spec.lab_company_id
    order.external_lab = spec.external_lab.strip() or None
    order.price, order.deposit, order.note = price, deposit, spec.note.strip() or None
    order.voucher_band, order.voucher_value = _voucher(uow, order) if spec.nhs_voucher else (None, None)
    uow.commit()
    return _detail(orders, order)


@use_case(permission="dispense.manage")
def save_measurements(uow: TenantUnitOfWork, order_id: uuid.UUID, measurements: DispensingMeasurements, *,
                      sight_impaired: bool = False, supervising_registrant: uuid.UUID | None = None) -> OrderDetail:
    """Record the dispensing measurements (checked against sensible ranges, field by field), and
    who dispensed and supervised."""
    orders = uow.repository(OrderRepository)
    order = orders.for_update(order_id)
    if order is None:
        raise NotFound("That order was not found.")
    problems = measurement_problems(measurements, None)
    if problems:
        raise ValidationFailed(problems)
    if supervising_registrant is not None and supervising_registrant not in {r.id for r in orders.registrants()}:
        raise ValidationFailed({"supervising_registrant": "Choose a registrant on the practice's staff."})
    patient = orders.patient(order.patient_id)
    assert patient is not None
    record = orders.dispense_record(order.id) or orders.add_dispense_record(DispenseRecord(order_id=order.id))
    for name in MEASUREMENT_FIELDS:
        setattr(record, name, getattr(measurements, name))
    record.dispensed_by = uow.context.user_id
    record.sight_impaired = sight_impaired
    record.needs_supervision = needs_registrant_supervision(patient.date_of_birth, clock.today(), sight_impaired)
    record.supervising_registrant = supervising_registrant
    uow.commit()
    return _detail(orders, order)


def supervision_refusal(orders: OrderRepository, order: Order, record: DispenseRecord | None) -> str | None:
    """The s.27 refusal for this order's patient when no registrant is named, else ``None``."""
    patient = orders.patient(order.patient_id)
    assert patient is not None
    sight_impaired = bool(record and record.sight_impaired)
    reason = supervision_reason(patient.date_of_birth, clock.today(), sight_impaired)
    named = None
    if record is not None and record.supervising_registrant is not None:
        named = next((f"{r.name} ({r.goc_number})" for r in orders.registrants()
                      if r.id == record.supervising_registrant), None)
    return supply_problem(reason is not None, named, reason=reason)


@use_case(permission="dispense.manage")
def send_to_lab(uow: TenantUnitOfWork, order_id: uuid.UUID) -> OrderDetail:
    """Send a draft to its lab: lens, frame and measurements complete and valid, a registrant named
    when the patient needs one (s.27); the due date from the lab's turnaround."""
    orders = uow.repository(OrderRepository)
    order = orders.for_update(order_id)
    if order is None:
        raise NotFound("That order was not found.")
    problem = transition_problem(order.status, OrderStatus.SENT_TO_LAB)
    if problem:
        raise UserFacingError(problem + ".")
    record = orders.dispense_record(order.id)
    problems: dict[str, str] = {}
    if order.lens_product_id is None:
        problems["lens"] = "Choose the lens before sending the order."
    if order.lab_company_id is None and not order.external_lab:
        problems["lab"] = "Choose the lab to send the order to."
    if order.job_type == JobType.FULL_JOB and not order.frame_description:
        problems["frame"] = "Scan the frame, or describe the patient's own frame."
    measured = measurement_problems(measurements_of(record), order.lens_kind)
    problems.update(measured)
    if order.lens_product_id is not None and not problems:
        choice = orders.lens_choice(order.lens_product_id)
        if choice is not None:
            refused = range_problems(order, choice, record)
            if refused:
                problems["lens"] = f"{choice.name} cannot be made in this prescription. " + "; ".join(refused) + "."
    s27 = supervision_refusal(orders, order, record)
    if s27:
        problems["supervising_registrant"] = s27
    if problems:
        raise ValidationFailed(problems)
    today = clock.today()
    turnaround = next((lab.turnaround_working_days for lab in orders.connected_labs()
                       if lab.company_id == order.lab_company_id), None)
    if turnaround is None and order.lens_product_id is not None:
        choice = orders.lens_choice(order.lens_product_id)
        turnaround = choice.turnaround_working_days if choice else None
    order.status, order.sent_on = OrderStatus.SENT_TO_LAB.value, today
    order.due_date = due_date(today, turnaround or 5)
    patient = orders.patient(order.patient_id)
    assert patient is not None
    order.patient_reference = f"{patient.first_name[:1]}. {patient.last_name}"
    lab = next((lab.name for lab in orders.connected_labs() if lab.company_id == order.lab_company_id),
               order.external_lab)
    orders.add_event(order.id, OrderStatus.SENT_TO_LAB.value, f"Sent to {lab}, due {order.due_date:%d/%m/%Y}",
                     at=clock.now())
    uow.commit()
    return _detail(orders, order)


@use_case(permission="dispense.manage")
def change_status(uow: TenantUnitOfWork, order_id: uuid.UUID, status: str, note: str = "") -> OrderDetail:
    """Move an order on (received, ready to collect, on hold, cancelled…), with a timeline row. The
    lab's own steps are the lab's to record when the lab is a connected company."""
    _refuse_text({"note": (note, text_input.NOTE)})
    orders = uow.repository(OrderRepository)
    order = orders.for_update(order_id)
    if order is None:
        raise NotFound("That order was not found.")
    wanted = OrderStatus(status)
    problem = transition_problem(order.status, wanted)
    if problem:
        raise UserFacingError(problem + ".")
    if order.lab_company_id is not None and wanted in LAB_SETS - {OrderStatus.ON_HOLD}:
        raise UserFacingError(f"The lab records “{wanted.label}” itself: it will appear here when they do.")
    if wanted in (OrderStatus.COLLECTED, OrderStatus.CHECKED_PASS, OrderStatus.CHECKED_FAIL):
        raise UserFacingError("Use check-in on the lensmeter, or collection at the till, for that step.")
    order.status = wanted.value
    orders.add_event(order.id, wanted.value, note.strip() or None, at=clock.now())
    announce_status(uow, order)
    uow.commit()
    return _detail(orders, order)


@use_case(permission="dispense.manage", read_only=True)
def order_detail(uow: TenantUnitOfWork, order_id: uuid.UUID) -> OrderDetail:
    orders = uow.repository(OrderRepository)
    order = orders.get(order_id)
    if order is None:
        raise NotFound("That order was not found.")
    return _detail(orders, order)


def _detail(orders: OrderRepository, order: Order) -> OrderDetail:
    orders.session.flush()
    return detail_of(order, orders.dispense_record(order.id), orders.timeline([order.id]))


@use_case(permission="dispense.manage", read_only=True)
def find_frame(uow: TenantUnitOfWork, code: str) -> FrameFound | None:
    """A frame by its barcode or SKU, as the scanner types it (one query)."""
    code = code.strip()
    if not code or text_input.text_problem(code, text_input.CODE):
        return None
    return uow.repository(OrderRepository).frame_by_code(code)


@use_case(permission="dispense.manage", read_only=True)
def orders_in(uow: TenantUnitOfWork, statuses: tuple[str, ...]) -> list[OrderLine]:
    """The practice's orders in these statuses, the soonest due first (one query)."""
    return uow.repository(OrderRepository).order_lines([OrderStatus(s).value for s in statuses])
