"""Till sessions: open the till with its float, cash in and out with a reason, the X report during the
day, and the Z report at close (counted cash against expected, the difference kept, and the report's
figures stored so that it prints again exactly as it was)."""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from ils_desktop.db.unit_of_work import TenantUnitOfWork
from ils_desktop.domain import text_input
from ils_desktop.domain.money import require_pennies
from ils_desktop.domain.till_rules import ZERO, TillLimits, cash_difference, expected_cash
from ils_desktop.domain.vat import ApportionmentScheme
from ils_desktop.errors import NotFound, ValidationFailed
from ils_desktop.models.till import CashMovement, TillSession
from ils_desktop.repositories.catalogue import CatalogueRepository
from ils_desktop.repositories.counters import CounterRepository
from ils_desktop.repositories.till import TillRepository
from ils_desktop.services import clock
from ils_desktop.services.till.authorisation import (
    ManagerApproval,
    ManagerAuthorisationNeeded,
    _approving_manager,
    _proof_of,
)
from ils_desktop.services.till.basket import TillNotOpen, _refuse_text
from ils_desktop.services.till.settings import (
    LIMIT_KEYS,
    VoucherValue,
    _ensure_voucher_values,
    _limits_from,
    _scheme_on,
    _values_on,
)
from ils_desktop.services.use_case import use_case


@dataclass(frozen=True)
class TillSessionView:
    id: uuid.UUID
    number: int
    till_name: str
    status: str
    opening_float: Decimal
    opened_at: datetime
    opened_by_name: str


@dataclass(frozen=True)
class TillSetup:
    """What the till screen loads when it opens: the rules it prices with and its session."""

    scheme: ApportionmentScheme
    limits: TillLimits
    session: TillSessionView | None
    voucher_values: tuple[VoucherValue, ...]
    practice_name: str
    can_authorise: bool


@dataclass(frozen=True)
class SessionReport:
    """An X report (during the day) or Z report (at close) of one till session."""

    kind: str  # "X" or "Z"
    session_number: int
    z_number: int | None
    till_name: str
    practice_name: str
    opened_at: datetime
    opened_by: str
    closed_at: datetime | None
    closed_by: str
    printed_at: datetime
    opening_float: Decimal
    sales_count: int
    sales_total: Decimal
    refunds_count: int
    refunds_total: Decimal
    discounts_total: Decimal
    tenders: tuple[tuple[str, int, Decimal], ...]
    vat_rates: tuple[tuple[str, Decimal | None, Decimal, Decimal, Decimal], ...]
    cash_in: Decimal
    cash_out: Decimal
    cash_movements: tuple[tuple[datetime, str, Decimal, str], ...]
    expected_cash: Decimal
    counted_cash: Decimal | None
    difference: Decimal | None
    notes: str
    voids_count: int = 0
    voids_total: Decimal = ZERO  # included in refunds_count / refunds_total

    @property
    def takings(self) -> Decimal:
        return self.sales_total + self.refunds_total

    def to_json(self) -> dict[str, Any]:
        return json.loads(json.dumps(asdict(self), default=str))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SessionReport:
        def money(value: Any) -> Decimal | None:
            return None if value is None else Decimal(value)

        def when(value: Any) -> datetime | None:
            return None if value is None else datetime.fromisoformat(value)

        return cls(
            kind=data["kind"], session_number=data["session_number"], z_number=data["z_number"],
            till_name=data["till_name"], practice_name=data["practice_name"],
            opened_at=datetime.fromisoformat(data["opened_at"]), opened_by=data["opened_by"],
            closed_at=when(data["closed_at"]), closed_by=data["closed_by"],
            printed_at=datetime.fromisoformat(data["printed_at"]),
            opening_float=Decimal(data["opening_float"]), sales_count=data["sales_count"],
            sales_total=Decimal(data["sales_total"]), refunds_count=data["refunds_count"],
            refunds_total=Decimal(data["refunds_total"]), discounts_total=Decimal(data["discounts_total"]),
            tenders=tuple((t, int(c), Decimal(a)) for t, c, a in data["tenders"]),
            vat_rates=tuple((r, money(p), Decimal(g), Decimal(n), Decimal(v)) for r, p, g, n, v in data["vat_rates"]),
            cash_in=Decimal(data["cash_in"]), cash_out=Decimal(data["cash_out"]),
            cash_movements=tuple((datetime.fromisoformat(w), k, Decimal(a), r)
                                 for w, k, a, r in data["cash_movements"]),
            expected_cash=Decimal(data["expected_cash"]), counted_cash=money(data["counted_cash"]),
            difference=money(data["difference"]), notes=data["notes"],
            voids_count=int(data.get("voids_count", 0)), voids_total=Decimal(data.get("voids_total", "0.00")),
        )


def _views(uow: TenantUnitOfWork, sessions: list[TillSession]) -> list[TillSessionView]:
    names = uow.repository(TillRepository).user_names(s.opened_by for s in sessions)
    return [TillSessionView(s.id, s.number, s.till_name, s.status, s.opening_float, s.opened_at,
                            names.get(s.opened_by, "") if s.opened_by else "") for s in sessions]


@use_case(permission="till.sell", retry_safe=True)
def load_till_setup(uow: TenantUnitOfWork, till_name: str) -> TillSetup:
    """What the till screen needs when it opens (the voucher table is started the first time)."""
    _refuse_text({"till_name": (till_name, text_input.LABEL)})
    today = clock.today()
    values = _ensure_voucher_values(uow)
    till = uow.repository(TillRepository)
    session = till.open_session(till_name)
    setup = TillSetup(
        scheme=_scheme_on(till.apportionment_schemes(), today),
        limits=_limits_from({key: uow.settings.get(key) for key in LIMIT_KEYS}),
        session=_views(uow, [session])[0] if session else None, voucher_values=_values_on(values, today),
        practice_name=uow.companies.current().name, can_authorise=uow.context.can("till.authorise"))
    uow.commit()
    return setup


@use_case(permission="till.sell", read_only=True)
def current_session(uow: TenantUnitOfWork, till_name: str) -> TillSessionView | None:
    _refuse_text({"till_name": (till_name, text_input.LABEL)})
    session = uow.repository(TillRepository).open_session(till_name)
    return _views(uow, [session])[0] if session else None


@use_case(permission="till.sell", read_only=True)
def recent_sessions(uow: TenantUnitOfWork, limit: int = 30) -> list[TillSessionView]:
    return _views(uow, list(uow.repository(TillRepository).sessions(limit)))


@use_case(permission="till.sell", retry_safe=True)
def open_till(uow: TenantUnitOfWork, till_name: str, opening_float: Decimal) -> TillSessionView:
    """Open a till session with its float (one open session per till; opening twice is harmless)."""
    if not till_name.strip():
        raise ValidationFailed({"till_name": "Name the till."})
    _refuse_text({"till_name": (till_name, text_input.LABEL)})
    if opening_float < 0:
        raise ValidationFailed({"opening_float": "The float cannot be negative."})
    opening_float = require_pennies(opening_float, what="float")
    uow.repository(CatalogueRepository).lock_stock_writers()
    till = uow.repository(TillRepository)
    session = till.open_session(till_name)
    if session is None:
        session = TillSession(number=uow.repository(CounterRepository).next_value("till_session"),
                              till_name=till_name, opening_float=opening_float, opened_by=uow.context.user_id,
                              opened_at=clock.now())
        till.add(session)
        uow.flush()
    view = _views(uow, [session])[0]
    uow.commit()
    return view


@use_case(permission="till.sell")
def record_cash_movement(uow: TenantUnitOfWork, session_id: uuid.UUID, kind: str, amount: Decimal,
                         reason: str) -> None:
    """Cash put into (``cash_in``) or taken out of (``cash_out``) the drawer, with the reason."""
    problems = {}
    if kind not in ("cash_in", "cash_out"):
        problems["kind"] = "Choose cash in or cash out."
    if amount <= 0:
        problems["amount"] = "Enter an amount above zero."
    if not reason.strip():
        problems["reason"] = "Say why the cash goes in or out (e.g. 'change from bank', 'window cleaner')."
    elif reason_problem := text_input.text_problem(reason, text_input.NOTE):
        problems["reason"] = reason_problem
    if problems:
        raise ValidationFailed(problems)
    till = uow.repository(TillRepository)
    session = till.get_session(session_id)
    if session is None or session.status != "open":
        raise TillNotOpen("This till session is closed. Open the till first.")
    till.add(CashMovement(session_id=session_id, kind=kind, amount=require_pennies(amount), reason=reason.strip(),
                          user_id=uow.context.user_id, occurred_at=clock.now()))
    uow.commit()


def _session_report(uow: TenantUnitOfWork, session: TillSession, kind: str, *, counted: Decimal | None = None,
                    at: datetime | None = None, notes: str = "", z_number: int | None = None,
                    closed_by: uuid.UUID | None = None) -> SessionReport:
    till = uow.repository(TillRepository)
    kinds = {k.kind: k for k in till.session_kind_totals(session.id)}
    sales = kinds.get("sale")
    refund_kinds = [k for name, k in kinds.items() if name != "sale"]
    tenders = till.session_tender_totals(session.id)
    cash_taken = sum((t.amount for t in tenders if t.tender == "cash"), ZERO)
    movements = till.cash_movements(session.id)
    cash_in = sum((m.amount for m in movements if m.kind == "cash_in"), ZERO)
    cash_out = sum((m.amount for m in movements if m.kind == "cash_out"), ZERO)
    expected = expected_cash(session.opening_float, cash_taken, cash_in, cash_out)
    closer = closed_by or session.closed_by
    names = till.user_names(u for u in (session.opened_by, closer) if u)
    return SessionReport(
        kind=kind, session_number=session.number, z_number=z_number or session.z_number,
        till_name=session.till_name, practice_name=uow.companies.current().name, opened_at=session.opened_at,
        opened_by=names.get(session.opened_by, "") if session.opened_by else "",
        closed_at=at if kind == "Z" else session.closed_at,
        closed_by=names.get(closer, "") if closer else "", printed_at=at or clock.now(),
        opening_float=session.opening_float,
        sales_count=sales.count if sales else 0, sales_total=sales.total if sales else ZERO,
        refunds_count=sum(k.count for k in refund_kinds), refunds_total=sum((k.total for k in refund_kinds), ZERO),
        discounts_total=sum((k.discounts for k in kinds.values()), ZERO),
        tenders=tuple((t.tender, t.count, t.amount) for t in tenders),
        vat_rates=tuple((r.rate, r.percent, r.gross, r.net, r.vat) for r in till.session_rate_totals(session.id)),
        cash_in=cash_in, cash_out=cash_out,
        cash_movements=tuple((m.occurred_at, m.kind, m.amount, m.reason) for m in movements),
        expected_cash=expected, counted_cash=counted,
        difference=None if counted is None else cash_difference(counted, expected), notes=notes,
        voids_count=kinds["void"].count if "void" in kinds else 0,
        voids_total=kinds["void"].total if "void" in kinds else ZERO,
    )


@use_case(permission="till.sell", read_only=True)
def x_report(uow: TenantUnitOfWork, session_id: uuid.UUID) -> SessionReport:
    """The X report: the session's figures so far, without closing it."""
    session = uow.repository(TillRepository).get_session(session_id)
    if session is None:
        raise NotFound("That till session was not found.")
    return _session_report(uow, session, "X")


@use_case(permission="till.sell", retry_safe=True)
def close_till(uow: TenantUnitOfWork, session_id: uuid.UUID, counted_cash: Decimal, *, notes: str = "",
               approval: ManagerApproval | None = None) -> SessionReport:
    """Close a session with the Z report: counted cash against expected, the difference recorded.

    Needs ``till.close``, or a manager's approval at the till. Closing twice returns the same report.
    """
    if counted_cash < 0:
        raise ValidationFailed({"counted_cash": "Counted cash cannot be negative."})
    _refuse_text({"notes": (notes, text_input.NOTE)})
    counted = require_pennies(counted_cash, what="counted cash")
    manager = None
    if not uow.context.can("till.close"):
        manager = _approving_manager(uow, _proof_of(uow, approval), "till.close")
        if manager is None:
            raise ManagerAuthorisationNeeded(["closing the till (Z report)"], "till.close")
    uow.repository(CatalogueRepository).lock_stock_writers()
    session = uow.repository(TillRepository).get_session(session_id, for_update=True)
    if session is None:
        raise NotFound("That till session was not found.")
    if session.status == "closed":
        assert session.z_report is not None
        return SessionReport.from_json(session.z_report)
    when = clock.now()
    z_number = uow.repository(CounterRepository).next_value("z_report")
    report = _session_report(uow, session, "Z", counted=counted, at=when, notes=notes.strip(), z_number=z_number,
                             closed_by=uow.context.user_id)
    session.status = "closed"
    session.closed_at = when
    session.closed_by = uow.context.user_id
    session.authorised_by = manager.user_id if manager else None
    session.z_number = z_number
    session.counted_cash = counted
    session.expected_cash = report.expected_cash
    session.difference = report.difference
    session.notes = notes.strip() or None
    session.z_report = report.to_json()
    uow.commit()
    return report


@use_case(permission="till.sell", read_only=True)
def z_report(uow: TenantUnitOfWork, session_id: uuid.UUID) -> SessionReport:
    """The Z report of a closed session, exactly as it was at close (for reprinting)."""
    session = uow.repository(TillRepository).get_session(session_id)
    if session is None or session.z_report is None:
        raise NotFound("That till session has no Z report (it is still open).")
    return SessionReport.from_json(session.z_report)
