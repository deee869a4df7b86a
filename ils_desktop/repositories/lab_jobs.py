"""The lab's side: the jobs practices have sent to it (readable through the sharing policies of
migration 0013, never copied), the status path ``ils_lab_update_order``, and the connection between
a practice and a lab."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import text

from ils_desktop.models.dispensing import ConnectionRequest
from ils_desktop.repositories.base import TenantRepository

#: Statuses in which a job is on the lab's bench (or about to be).
OPEN_AT_LAB = ("sent_to_lab", "acknowledged", "in_production", "on_hold")


@dataclass(frozen=True)
class LabJobLine:
    practice_id: uuid.UUID
    order_id: uuid.UUID
    number: int
    practice_name: str
    status: str
    lens_kind: str
    job_type: str
    lens_description: str | None
    patient_reference: str | None
    lab_reference: str | None
    sent_on: date | None
    due_date: date | None


@dataclass(frozen=True)
class LabJobRecord:
    """A job as the lab reads it: the order's spec and the dispense record's measurements."""

    practice_id: uuid.UUID
    order_id: uuid.UUID
    number: int
    practice_name: str
    practice_address: dict[str, object] | None
    status: str
    lens_kind: str
    job_type: str
    lens_description: str | None
    lens_material: str | None
    lens_index: Decimal | None
    coatings: list[str]
    tints: list[str]
    right_sphere: Decimal | None
    right_cylinder: Decimal | None
    right_axis: int | None
    right_add: Decimal | None
    right_prism_h: Decimal | None
    right_prism_h_base: str | None
    right_prism_v: Decimal | None
    right_prism_v_base: str | None
    left_sphere: Decimal | None
    left_cylinder: Decimal | None
    left_axis: int | None
    left_add: Decimal | None
    left_prism_h: Decimal | None
    left_prism_h_base: str | None
    left_prism_v: Decimal | None
    left_prism_v_base: str | None
    frame_description: str | None
    own_frame: bool
    patient_reference: str | None
    lab_reference: str | None
    sent_on: date | None
    due_date: date | None
    note: str | None
    right_distance_pd: Decimal | None
    left_distance_pd: Decimal | None
    right_near_pd: Decimal | None
    left_near_pd: Decimal | None
    right_fitting_height: Decimal | None
    left_fitting_height: Decimal | None
    vertex_distance: Decimal | None
    pantoscopic_tilt: Decimal | None
    face_form_wrap: Decimal | None
    box_a: Decimal | None
    box_b: Decimal | None
    dbl: Decimal | None
    ed: Decimal | None


@dataclass(frozen=True)
class RequestLine:
    practice_id: uuid.UUID
    request_id: uuid.UUID
    practice_name: str
    other_name: str
    status: str
    message: str | None
    requested_at: datetime


@dataclass(frozen=True)
class CompanyLine:
    id: uuid.UUID
    name: str
    company_type: str


_JOB_COLUMNS = """
o.company_id AS practice_id, o.id AS order_id, o.number, c.name AS practice_name, c.address AS practice_address,
o.status, o.lens_kind, o.job_type, o.lens_description, o.lens_material, o.lens_index, o.coatings, o.tints,
o.right_sphere, o.right_cylinder, o.right_axis, o.right_add, o.right_prism_h, o.right_prism_h_base, o.right_prism_v,
o.right_prism_v_base, o.left_sphere, o.left_cylinder, o.left_axis, o.left_add, o.left_prism_h, o.left_prism_h_base,
o.left_prism_v, o.left_prism_v_base, o.frame_description, o.own_frame, o.patient_reference, o.lab_reference,
o.sent_on, o.due_date, o.note,
d.right_distance_pd, d.left_distance_pd, d.right_near_pd, d.left_near_pd, d.right_fitting_height,
d.left_fitting_height, d.vertex_distance, d.pantoscopic_tilt, d.face_form_wrap, d.box_a, d.box_b, d.dbl, d.ed
"""


class LabJobRepository(TenantRepository):
    """Reads for the lab signed in: ``company_id`` here is the lab's."""

    def queue(self, statuses: tuple[str, ...] = OPEN_AT_LAB, *, limit: int = 20_000) -> list[LabJobLine]:
        return self._records(LabJobLine, (
            "SELECT o.company_id AS practice_id, o.id AS order_id, o.number, c.name AS practice_name, o.status, "
            "       o.lens_kind, o.job_type, o.lens_description, o.patient_reference, o.lab_reference, o.sent_on, "
            "       o.due_date "
            "  FROM orders o JOIN companies c ON c.id = o.company_id "
            " WHERE o.lab_company_id = %s AND o.status = ANY(%s) "
            " ORDER BY o.due_date NULLS LAST, c.name, o.number LIMIT %s"), (self.company_id, list(statuses), limit))

    def job(self, practice_id: uuid.UUID, order_id: uuid.UUID) -> LabJobRecord | None:
        return self._record(LabJobRecord, (
            f"SELECT {_JOB_COLUMNS} FROM orders o JOIN companies c ON c.id = o.company_id "
            "  LEFT JOIN dispense_records d ON d.company_id = o.company_id AND d.order_id = o.id "
            " WHERE o.company_id = %s AND o.id = %s AND o.lab_company_id = %s"),
            (practice_id, order_id, self.company_id))

    def practice_job(self, order_id: uuid.UUID) -> LabJobRecord | None:
        """The same record of one of this practice's own orders (its ticket and lab file)."""
        return self._record(LabJobRecord, (
            f"SELECT {_JOB_COLUMNS} FROM orders o "
            "  JOIN companies c ON c.id = o.company_id "
            "  LEFT JOIN dispense_records d ON d.company_id = o.company_id AND d.order_id = o.id "
            " WHERE o.company_id = %s AND o.id = %s"), (self.company_id, order_id))

    def update_status(self, practice_id: uuid.UUID, order_id: uuid.UUID, status: str, note: str,
                      lab_reference: str) -> None:
        self.session.execute(text("SELECT ils_lab_update_order(:p, :o, :s, :n, :r)"),
                             {"p": practice_id, "o": order_id, "s": status, "n": note, "r": lab_reference})

    # --- connections ----------------------------------------------------------------------------

    def labs_directory(self) -> list[CompanyLine]:
        return self._records(CompanyLine, (
            "SELECT id, name, company_type FROM companies WHERE company_type IN ('lab', 'hybrid') AND id <> %s "
            "AND status = 'active' ORDER BY name"), (self.company_id,))

    def add_request(self, request: ConnectionRequest) -> ConnectionRequest:
        self._add(request)
        self.session.flush()
        return request

    def requests_sent(self) -> list[RequestLine]:
        return self._records(RequestLine, (
            "SELECT r.company_id AS practice_id, r.id AS request_id, p.name AS practice_name, t.name AS other_name, "
            "       r.status, r.message, r.requested_at "
            "  FROM connection_requests r JOIN companies p ON p.id = r.company_id "
            "  JOIN companies t ON t.id = r.target_company_id "
            " WHERE r.company_id = %s ORDER BY r.requested_at DESC"), (self.company_id,))

    def requests_received(self) -> list[RequestLine]:
        return self._records(RequestLine, (
            "SELECT r.company_id AS practice_id, r.id AS request_id, p.name AS practice_name, p.name AS other_name, "
            "       r.status, r.message, r.requested_at "
            "  FROM connection_requests r JOIN companies p ON p.id = r.company_id "
            " WHERE r.target_company_id = %s ORDER BY r.status <> 'pending', r.requested_at DESC"),
            (self.company_id,))

    def pending_to(self, target: uuid.UUID) -> bool:
        return bool(self.session.execute(text(
            "SELECT 1 FROM connection_requests WHERE company_id = :c AND target_company_id = :t "
            "AND status = 'pending'"), {"c": self.company_id, "t": target}).first())

    def connected_practices(self) -> list[CompanyLine]:
        return self._records(CompanyLine, (
            "SELECT c.id, c.name, c.company_type FROM company_relationships r JOIN companies c ON c.id = r.company_id "
            " WHERE r.partner_company_id = %s AND r.status = 'active' ORDER BY c.name"), (self.company_id,))

    def answer(self, practice_id: uuid.UUID, request_id: uuid.UUID, accept: bool, turnaround: int) -> None:
        self.session.execute(text("SELECT ils_answer_connection_request(:p, :r, :a, :t)"),
                             {"p": practice_id, "r": request_id, "a": accept, "t": turnaround})

    def lab_name_of(self, order_id: uuid.UUID) -> str | None:
        """The lab of one of this practice's orders: the connected lab's name or the outside lab."""
        return self.session.execute(text(
            "SELECT coalesce(c.name, o.external_lab) FROM orders o LEFT JOIN companies c ON c.id = o.lab_company_id "
            "WHERE o.company_id = :c AND o.id = :o"), {"c": self.company_id, "o": order_id}).scalar()

    def queue_figures(self, today: date) -> tuple[int, int, int]:
        """(open jobs, new jobs, overdue jobs) on this lab's bench: one query."""
        row = self.session.execute(text(
            "SELECT count(*), count(*) FILTER (WHERE status = 'sent_to_lab'), count(*) FILTER (WHERE due_date < :t) "
            "  FROM orders WHERE lab_company_id = :lab AND status = ANY(:open)"),
            {"lab": self.company_id, "t": today, "open": list(OPEN_AT_LAB)}).one()
        return int(row[0]), int(row[1]), int(row[2])
