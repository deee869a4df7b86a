"""Dispensing and lab orders: spectacle orders with their timeline and dispense record, lens ranges,
practice ↔ lab connections, and after-care (quality issues, returns, non-adapts).

- Every table is a tenant table (row-level security forced, the audit trigger, TRUNCATE refused);
  grants are what the use cases need, and clinical and money rows are never deleted.
- ``orders`` carries the practice's per-company ``number`` (``company_counters``, gap-free), the
  powers copied from the prescription, the lens and frame chosen, the lab and the money. NHS
  voucher band and value are kept from the prescription for the NHS claim.
- Sharing with a lab (``docs/tenancy.md``): an order stays the practice's row. A lab reads the
  orders addressed to it (``lab_company_id``), their timeline and dispense record only while the
  practice and the lab are connected (``company_relationships``, ``status = 'active'``) — one
  more SELECT policy per table, beside the tenant policy. ``company_relationships`` rows are made
  only by ``ils_answer_connection_request`` when the lab accepts a request: the application role
  cannot insert one, so a practice cannot push its jobs into a lab's queue, nor a lab connect
  itself to a practice. A lab changes an order only through ``ils_lab_update_order``: the status
  (to acknowledged, in production, dispatched or on hold, while the job is at the lab), its own
  reference, and a timeline row — no other column, no other row.

Revision ID: 0013_dispensing
Revises: 0012_sign_in_actor
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from ils_desktop.db import ddl

revision: str = "0013_dispensing"
down_revision: str | None = "0012_sign_in_actor"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP = ddl.APP_ROLE
AUTH = ddl.AUTH_ROLE
DEFINER = "SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp"

#: table -> (audit key, what the application role may do)
TABLES = {
    "lens_ranges": ("company_id,product_id", "SELECT, INSERT, UPDATE"),
    "connection_requests": ("company_id,id", "SELECT, INSERT, UPDATE"),
    "company_relationships": ("company_id,partner_company_id", "SELECT"),
    "orders": ("company_id,id", "SELECT, INSERT, UPDATE"),
    "order_timeline": ("company_id,id", "SELECT, INSERT"),
    "dispense_records": ("company_id,order_id", "SELECT, INSERT, UPDATE"),
    "quality_issues": ("company_id,id", "SELECT, INSERT, UPDATE"),
    "returns": ("company_id,id", "SELECT, INSERT"),
    "non_adapts": ("company_id,id", "SELECT, INSERT, UPDATE"),
}

STATUS_CHECK = ("status IN ('draft', 'sent_to_lab', 'acknowledged', 'in_production', 'dispatched', "
                "'received', 'checked_pass', 'checked_fail', 'ready_to_collect', 'collected', 'on_hold', 'cancelled', "
                "'remake')")
CURRENT = "(SELECT ils_current_company())"
#: The practices connected to the current company as their lab.
CONNECTED = (
    f"(SELECT r.company_id FROM company_relationships r WHERE r.partner_company_id = {CURRENT} AND r.status = 'active')"
)
SHARING_POLICIES = [
    f"CREATE POLICY partner_reads ON company_relationships FOR SELECT USING (partner_company_id = {CURRENT})",
    f"CREATE POLICY target_reads ON connection_requests FOR SELECT USING (target_company_id = {CURRENT})",
    f"CREATE POLICY lab_reads_its_jobs ON orders FOR SELECT USING (lab_company_id = {CURRENT} "
    f"AND status <> 'draft' AND company_id IN {CONNECTED})",
    # Through orders (whose policies apply inside the sub-query): only the jobs the lab can see.
    *[
        f"CREATE POLICY lab_reads_its_jobs ON {table} FOR SELECT USING ((company_id, order_id) IN "
        f"(SELECT o.company_id, o.id FROM orders o WHERE o.lab_company_id = {CURRENT}))"
        for table in ("order_timeline", "dispense_records")
    ],
]

FUNCTIONS = f"""
CREATE FUNCTION ils_answer_connection_request(p_practice uuid, p_request uuid, p_accept boolean,
                                              p_turnaround integer) RETURNS void
LANGUAGE plpgsql VOLATILE {DEFINER}
AS $$
DECLARE
    lab uuid := (SELECT v.company_id FROM ils_verified_session() v);
    found_status text;
BEGIN
    IF lab IS NULL THEN
        PERFORM ils_session_ended('not signed in');
    END IF;
    IF NOT (ils_session_can('lab.jobs') OR ils_session_can('settings.manage')) THEN
        RAISE EXCEPTION 'ILS permission needed: lab.jobs' USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT c.status INTO found_status FROM public.connection_requests c
     WHERE c.company_id = p_practice AND c.id = p_request AND c.target_company_id = lab FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'ILS no such connection request' USING ERRCODE = 'no_data_found';
    END IF;
    IF found_status <> 'pending' THEN
        RAISE EXCEPTION 'ILS connection request already answered' USING ERRCODE = 'check_violation';
    END IF;
    UPDATE public.connection_requests c
       SET status = CASE WHEN p_accept THEN 'accepted' ELSE 'declined' END,
           answered_by = ils_current_user(), answered_at = now()
     WHERE c.company_id = p_practice AND c.id = p_request;
    IF p_accept THEN
        INSERT INTO public.company_relationships AS r
               (company_id, partner_company_id, kind, status, turnaround_working_days, request_id, connected_at)
        VALUES (p_practice, lab, 'lab', 'active', coalesce(p_turnaround, 5), p_request, now())
        ON CONFLICT (company_id, partner_company_id) DO UPDATE
           SET status = 'active', turnaround_working_days = excluded.turnaround_working_days,
               request_id = excluded.request_id, connected_at = excluded.connected_at;
    END IF;
END
$$;

CREATE FUNCTION ils_lab_update_order(p_practice uuid, p_order uuid, p_status text, p_note text,
                                     p_lab_reference text) RETURNS void
LANGUAGE plpgsql VOLATILE {DEFINER}
AS $$
DECLARE
    lab uuid := ils_require('lab.jobs');
    found_status text;
BEGIN
    SELECT o.status INTO found_status FROM public.orders o
     WHERE o.company_id = p_practice AND o.id = p_order AND o.lab_company_id = lab
       AND EXISTS (SELECT 1 FROM public.company_relationships r
                    WHERE r.company_id = p_practice AND r.partner_company_id = lab AND r.status = 'active')
     FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'ILS no such lab job' USING ERRCODE = 'no_data_found';
    END IF;
    IF p_status NOT IN ('acknowledged', 'in_production', 'dispatched', 'on_hold')
       OR found_status NOT IN ('sent_to_lab', 'acknowledged', 'in_production', 'on_hold') THEN
        RAISE EXCEPTION 'ILS a lab may not move this job from % to %', found_status, p_status
            USING ERRCODE = 'check_violation';
    END IF;
    IF length(p_note) > 1000 OR length(p_lab_reference) > 60 THEN
        RAISE EXCEPTION 'ILS note or reference too long' USING ERRCODE = 'string_data_right_truncation';
    END IF;
    UPDATE public.orders o
       SET status = p_status, lab_reference = coalesce(nullif(btrim(p_lab_reference), ''), o.lab_reference),
           updated_at = now()
     WHERE o.company_id = p_practice AND o.id = p_order;
    INSERT INTO public.order_timeline (company_id, id, order_id, status, note, by_user, by_company, occurred_at)
    VALUES (p_practice, gen_random_uuid(), p_order, p_status, nullif(btrim(p_note), ''), ils_current_user(), lab,
            now());
END
$$;
"""
SIGNATURES = (
    "ils_answer_connection_request(uuid, uuid, boolean, integer)",
    "ils_lab_update_order(uuid, uuid, text, text, text)",
)


def upgrade() -> None:
    op.create_table(
        "lens_ranges",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("product_id", sa.UUID(), nullable=False),
        sa.Column("lens_kind", sa.Text(), nullable=False),
        sa.Column("material", sa.Text(), nullable=True),
        sa.Column("lens_index", sa.Numeric(precision=4, scale=3), nullable=True),
        sa.Column("sphere_min", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("sphere_max", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("cylinder_min", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("add_min", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("add_max", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("min_fitting_height", sa.Numeric(precision=4, scale=1), nullable=True),
        sa.Column("turnaround_working_days", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "lens_kind IN ('single_vision', 'bifocal', 'varifocal', 'occupational')",
            name=op.f("ck_lens_ranges_lens_kind"),
        ),
        sa.CheckConstraint("cylinder_min <= 0", name=op.f("ck_lens_ranges_cylinder_min")),
        sa.CheckConstraint("sphere_min <= sphere_max", name=op.f("ck_lens_ranges_sphere_range")),
        sa.ForeignKeyConstraint(
            ["company_id", "product_id"],
            ["products.company_id", "products.id"],
            name=op.f("fk_lens_ranges_company_id_product_id_products"),
        ),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_lens_ranges_company_id_companies")),
        sa.PrimaryKeyConstraint("company_id", "product_id", name=op.f("pk_lens_ranges")),
    )
    op.create_table(
        "connection_requests",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("target_company_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.Text(), server_default="pending", nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("requested_by", sa.UUID(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("answered_by", sa.UUID(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'accepted', 'declined', 'withdrawn')", name=op.f("ck_connection_requests_status")
        ),
        sa.CheckConstraint("target_company_id <> company_id", name=op.f("ck_connection_requests_not_to_itself")),
        sa.ForeignKeyConstraint(
            ["company_id", "requested_by"],
            ["users.company_id", "users.id"],
            name=op.f("fk_connection_requests_company_id_requested_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_connection_requests_company_id_companies")
        ),
        sa.ForeignKeyConstraint(
            ["target_company_id"], ["companies.id"], name=op.f("fk_connection_requests_target_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_connection_requests")),
    )
    op.create_index(
        "ix_connection_requests_target_company_id_status",
        "connection_requests",
        ["target_company_id", "status"],
        unique=False,
    )
    op.create_table(
        "company_relationships",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("partner_company_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.Text(), server_default="lab", nullable=False),
        sa.Column("status", sa.Text(), server_default="active", nullable=False),
        sa.Column("turnaround_working_days", sa.Integer(), server_default="5", nullable=False),
        sa.Column("request_id", sa.UUID(), nullable=True),
        sa.Column("connected_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("kind IN ('lab')", name=op.f("ck_company_relationships_kind")),
        sa.CheckConstraint("status IN ('active', 'ended')", name=op.f("ck_company_relationships_status")),
        sa.CheckConstraint(
            "turnaround_working_days BETWEEN 1 AND 60", name=op.f("ck_company_relationships_turnaround")
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_company_relationships_company_id_companies")
        ),
        sa.ForeignKeyConstraint(
            ["partner_company_id"], ["companies.id"], name=op.f("fk_company_relationships_partner_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", "partner_company_id", name=op.f("pk_company_relationships")),
    )
    op.create_index(
        "ix_company_relationships_partner_company_id_status",
        "company_relationships",
        ["partner_company_id", "status"],
        unique=False,
    )
    op.create_table(
        "orders",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.UUID(), nullable=False),
        sa.Column("prescription_id", sa.UUID(), nullable=True),
        sa.Column("previous_order_id", sa.UUID(), nullable=True),
        sa.Column("remake_of_order_id", sa.UUID(), nullable=True),
        sa.Column("status", sa.Text(), server_default="draft", nullable=False),
        sa.Column("job_type", sa.Text(), server_default="full_job", nullable=False),
        sa.Column("lens_kind", sa.Text(), server_default="single_vision", nullable=False),
        sa.Column("lens_product_id", sa.UUID(), nullable=True),
        sa.Column("lens_description", sa.Text(), nullable=True),
        sa.Column("lens_material", sa.Text(), nullable=True),
        sa.Column("lens_index", sa.Numeric(precision=4, scale=3), nullable=True),
        sa.Column("coatings", JSONB(), server_default=sa.text("'[]'"), nullable=False),
        sa.Column("tints", JSONB(), server_default=sa.text("'[]'"), nullable=False),
        sa.Column("right_sphere", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("right_cylinder", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("right_axis", sa.Integer(), nullable=True),
        sa.Column("right_add", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("right_prism_h", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("right_prism_h_base", sa.Text(), nullable=True),
        sa.Column("right_prism_v", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("right_prism_v_base", sa.Text(), nullable=True),
        sa.Column("left_sphere", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("left_cylinder", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("left_axis", sa.Integer(), nullable=True),
        sa.Column("left_add", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("left_prism_h", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("left_prism_h_base", sa.Text(), nullable=True),
        sa.Column("left_prism_v", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("left_prism_v_base", sa.Text(), nullable=True),
        sa.Column("frame_variant_id", sa.UUID(), nullable=True),
        sa.Column("frame_description", sa.Text(), nullable=True),
        sa.Column("own_frame", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("lab_company_id", sa.UUID(), nullable=True),
        sa.Column("external_lab", sa.Text(), nullable=True),
        sa.Column("lab_reference", sa.Text(), nullable=True),
        sa.Column("patient_reference", sa.Text(), nullable=True),
        sa.Column("price", sa.Numeric(precision=12, scale=2), server_default="0", nullable=False),
        sa.Column("deposit", sa.Numeric(precision=12, scale=2), server_default="0", nullable=False),
        sa.Column("deposit_sale_key", sa.UUID(), nullable=True),
        sa.Column("balance_sale_key", sa.UUID(), nullable=True),
        sa.Column("voucher_band", sa.Text(), nullable=True),
        sa.Column("voucher_value", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("sent_on", sa.Date(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "job_type IN ('full_job', 'lenses_only', 'glaze_own_frame', 'repair')", name=op.f("ck_orders_job_type")
        ),
        sa.CheckConstraint(
            "lens_kind IN ('single_vision', 'bifocal', 'varifocal', 'occupational')", name=op.f("ck_orders_lens_kind")
        ),
        sa.CheckConstraint(
            STATUS_CHECK,
            name=op.f("ck_orders_status"),
        ),
        sa.CheckConstraint("lab_company_id IS NULL OR external_lab IS NULL", name=op.f("ck_orders_one_lab")),
        sa.CheckConstraint(
            "lab_company_id IS NULL OR lab_company_id <> company_id", name=op.f("ck_orders_lab_not_itself")
        ),
        sa.CheckConstraint("left_axis IS NULL OR left_axis BETWEEN 1 AND 180", name=op.f("ck_orders_left_axis_range")),
        sa.CheckConstraint("price >= 0 AND deposit >= 0 AND deposit <= price", name=op.f("ck_orders_money")),
        sa.CheckConstraint(
            "right_axis IS NULL OR right_axis BETWEEN 1 AND 180", name=op.f("ck_orders_right_axis_range")
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "created_by"],
            ["users.company_id", "users.id"],
            name=op.f("fk_orders_company_id_created_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "frame_variant_id"],
            ["product_variants.company_id", "product_variants.id"],
            name=op.f("fk_orders_company_id_frame_variant_id_product_variants"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "lens_product_id"],
            ["products.company_id", "products.id"],
            name=op.f("fk_orders_company_id_lens_product_id_products"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "patient_id"],
            ["patients.company_id", "patients.id"],
            name=op.f("fk_orders_company_id_patient_id_patients"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "prescription_id"],
            ["prescriptions.company_id", "prescriptions.id"],
            name=op.f("fk_orders_company_id_prescription_id_prescriptions"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "previous_order_id"],
            ["orders.company_id", "orders.id"],
            name=op.f("fk_orders_company_id_previous_order_id_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "remake_of_order_id"],
            ["orders.company_id", "orders.id"],
            name=op.f("fk_orders_company_id_remake_of_order_id_orders"),
        ),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_orders_company_id_companies")),
        sa.ForeignKeyConstraint(["lab_company_id"], ["companies.id"], name=op.f("fk_orders_lab_company_id_companies")),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_orders")),
        sa.UniqueConstraint("company_id", "number", name=op.f("uq_orders_company_id_number")),
    )
    op.create_index(
        "ix_orders_company_id_status_due_date", "orders", ["company_id", "status", "due_date"], unique=False
    )
    op.create_index(
        "ix_orders_company_id_patient_id_created_at", "orders", ["company_id", "patient_id", "created_at"], unique=False
    )
    op.create_index("ix_orders_lab_company_id_status", "orders", ["lab_company_id", "status"], unique=False)
    op.create_table(
        "order_timeline",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("order_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("by_user", sa.UUID(), nullable=True),
        sa.Column("by_company", sa.UUID(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.CheckConstraint(
            STATUS_CHECK,
            name=op.f("ck_order_timeline_status"),
        ),
        sa.ForeignKeyConstraint(["by_company"], ["companies.id"], name=op.f("fk_order_timeline_by_company_companies")),
        sa.ForeignKeyConstraint(
            ["company_id", "order_id"],
            ["orders.company_id", "orders.id"],
            name=op.f("fk_order_timeline_company_id_order_id_orders"),
        ),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_order_timeline_company_id_companies")),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_order_timeline")),
    )
    op.create_index(
        "ix_order_timeline_company_id_order_id_occurred_at",
        "order_timeline",
        ["company_id", "order_id", "occurred_at"],
        unique=False,
    )
    op.create_table(
        "dispense_records",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("order_id", sa.UUID(), nullable=False),
        sa.Column("right_distance_pd", sa.Numeric(precision=4, scale=1), nullable=True),
        sa.Column("left_distance_pd", sa.Numeric(precision=4, scale=1), nullable=True),
        sa.Column("right_near_pd", sa.Numeric(precision=4, scale=1), nullable=True),
        sa.Column("left_near_pd", sa.Numeric(precision=4, scale=1), nullable=True),
        sa.Column("right_fitting_height", sa.Numeric(precision=4, scale=1), nullable=True),
        sa.Column("left_fitting_height", sa.Numeric(precision=4, scale=1), nullable=True),
        sa.Column("vertex_distance", sa.Numeric(precision=4, scale=1), nullable=True),
        sa.Column("pantoscopic_tilt", sa.Numeric(precision=4, scale=1), nullable=True),
        sa.Column("face_form_wrap", sa.Numeric(precision=4, scale=1), nullable=True),
        sa.Column("box_a", sa.Numeric(precision=4, scale=1), nullable=True),
        sa.Column("box_b", sa.Numeric(precision=4, scale=1), nullable=True),
        sa.Column("dbl", sa.Numeric(precision=4, scale=1), nullable=True),
        sa.Column("ed", sa.Numeric(precision=4, scale=1), nullable=True),
        sa.Column("dispensed_by", sa.UUID(), nullable=True),
        sa.Column("sight_impaired", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("needs_supervision", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("supervising_registrant", sa.UUID(), nullable=True),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("collected_by", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "NOT needs_supervision OR collected_at IS NULL OR supervising_registrant IS NOT NULL",
            name=op.f("ck_dispense_records_s27_supervision"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "collected_by"],
            ["users.company_id", "users.id"],
            name=op.f("fk_dispense_records_company_id_collected_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "dispensed_by"],
            ["users.company_id", "users.id"],
            name=op.f("fk_dispense_records_company_id_dispensed_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "order_id"],
            ["orders.company_id", "orders.id"],
            name=op.f("fk_dispense_records_company_id_order_id_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "supervising_registrant"],
            ["users.company_id", "users.id"],
            name=op.f("fk_dispense_records_company_id_supervising_registrant_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_dispense_records_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", "order_id", name=op.f("pk_dispense_records")),
    )
    op.create_table(
        "quality_issues",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("order_id", sa.UUID(), nullable=False),
        sa.Column("source", sa.Text(), server_default="lensmeter", nullable=False),
        sa.Column("fault", sa.Text(), server_default="unknown", nullable=False),
        sa.Column("problems", JSONB(), server_default=sa.text("'[]'"), nullable=False),
        sa.Column("measured", JSONB(), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("cost", sa.Numeric(precision=12, scale=2), server_default="0", nullable=False),
        sa.Column("remake_order_id", sa.UUID(), nullable=True),
        sa.Column("raised_by", sa.UUID(), nullable=True),
        sa.Column("raised_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("fault IN ('lab', 'practice', 'unknown')", name=op.f("ck_quality_issues_fault")),
        sa.CheckConstraint("cost >= 0", name=op.f("ck_quality_issues_cost")),
        sa.ForeignKeyConstraint(
            ["company_id", "order_id"],
            ["orders.company_id", "orders.id"],
            name=op.f("fk_quality_issues_company_id_order_id_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "raised_by"],
            ["users.company_id", "users.id"],
            name=op.f("fk_quality_issues_company_id_raised_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "remake_order_id"],
            ["orders.company_id", "orders.id"],
            name=op.f("fk_quality_issues_company_id_remake_order_id_orders"),
        ),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_quality_issues_company_id_companies")),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_quality_issues")),
    )
    op.create_index(
        "ix_quality_issues_company_id_raised_at", "quality_issues", ["company_id", "raised_at"], unique=False
    )
    op.create_table(
        "returns",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("order_id", sa.UUID(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), server_default="0", nullable=False),
        sa.Column("refund_sale_key", sa.UUID(), nullable=True),
        sa.Column("recorded_by", sa.UUID(), nullable=True),
        sa.Column("returned_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_returns_amount")),
        sa.ForeignKeyConstraint(
            ["company_id", "order_id"],
            ["orders.company_id", "orders.id"],
            name=op.f("fk_returns_company_id_order_id_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "recorded_by"],
            ["users.company_id", "users.id"],
            name=op.f("fk_returns_company_id_recorded_by_users"),
        ),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_returns_company_id_companies")),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_returns")),
    )
    op.create_table(
        "non_adapts",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("order_id", sa.UUID(), nullable=False),
        sa.Column("complaint", sa.Text(), nullable=False),
        sa.Column("change_made", sa.Text(), nullable=True),
        sa.Column("remake_order_id", sa.UUID(), nullable=True),
        sa.Column("cost", sa.Numeric(precision=12, scale=2), server_default="0", nullable=False),
        sa.Column("cost_borne_by", sa.Text(), server_default="practice", nullable=False),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), server_default="open", nullable=False),
        sa.Column("recorded_by", sa.UUID(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "cost_borne_by IN ('practice', 'lab', 'patient', 'none')", name=op.f("ck_non_adapts_cost_borne_by")
        ),
        sa.CheckConstraint("status IN ('open', 'resolved')", name=op.f("ck_non_adapts_status")),
        sa.CheckConstraint("cost >= 0", name=op.f("ck_non_adapts_cost")),
        sa.ForeignKeyConstraint(
            ["company_id", "order_id"],
            ["orders.company_id", "orders.id"],
            name=op.f("fk_non_adapts_company_id_order_id_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "recorded_by"],
            ["users.company_id", "users.id"],
            name=op.f("fk_non_adapts_company_id_recorded_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "remake_order_id"],
            ["orders.company_id", "orders.id"],
            name=op.f("fk_non_adapts_company_id_remake_order_id_orders"),
        ),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_non_adapts_company_id_companies")),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_non_adapts")),
    )
    op.create_index("ix_non_adapts_company_id_status", "non_adapts", ["company_id", "status"], unique=False)

    for table, (key, privileges) in TABLES.items():
        for statement in ddl.enable_verified_tenancy(table):
            op.execute(statement)
        op.execute(ddl.attach_audit(table, key))
        op.execute(
            f"CREATE TRIGGER audit_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION ils_audit_refuse_truncate()"
        )
        op.execute(ddl.grant_app(table, privileges))
    for statement in SHARING_POLICIES:
        op.execute(statement)

    op.execute(f"GRANT SELECT, UPDATE ON connection_requests TO {AUTH}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON company_relationships TO {AUTH}")
    op.execute(f"GRANT SELECT, UPDATE (status, lab_reference, updated_at) ON orders TO {AUTH}")
    op.execute(f"GRANT INSERT ON order_timeline TO {AUTH}")
    op.execute(FUNCTIONS)
    for signature in SIGNATURES:
        op.execute(f"ALTER FUNCTION {signature} OWNER TO {AUTH}")
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {APP}")


def downgrade() -> None:
    for signature in SIGNATURES:
        op.execute(f"DROP FUNCTION {signature}")
    for table in reversed(list(TABLES)):
        op.drop_table(table)
