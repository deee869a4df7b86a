"""Inventory and purchasing: the stock ledger becomes the one record of stock, with locations,
balances kept by the database, low-stock alerts, suppliers and purchase orders, stocktakes, contact
lens stock and demand forecasts.

- ``inventory_movements`` (0004) is THE ledger. It gains the location, the source documents
  (purchase order, stocktake, transfer pair, and ``order_id``: dispensing's order, migration
  0013), the unit cost and the location's balance after the movement. Its kinds (``reason``) now include
  transfers, stocktake adjustments, damage, returns to the supplier and dispensing. The application
  role may only INSERT and SELECT it (as before).
- A BEFORE INSERT trigger (``ils_inventory_ledger``, SECURITY DEFINER) applies every movement to
  ``stock_balances`` (per location) and ``stock_levels`` (all locations: on-hand and the weighted
  average cost) in the movement's own transaction, refuses stock below zero unless the practice
  allows it (``inventory_settings``) — as ``ck_stock_levels_on_hand_not_negative``, the name the
  CHECK it replaces had — and raises or clears the variant's low-stock alert. The application role
  loses INSERT/UPDATE of ``stock_levels.on_hand`` (it keeps the reorder columns) and cannot write
  ``stock_balances`` or insert alerts: no path changes a balance without a movement.
- Existing data: every company with stock gets a default location "Main"; movements are placed
  there; where a stock level differs from its ledger sum an ``adjustment`` movement carries the
  difference into the ledger (noted), and the balances are built from the ledger.
- New tenant tables (row-level security on the verified session, the audit trigger and the
  TRUNCATE guard, least-privilege grants): stock_locations, inventory_settings, stock_balances,
  stock_reservations, reorder_rules, low_stock_alerts, company_supplier_relationships,
  purchase_orders, po_line_items, stocktakes, stocktake_lines, stocktake_counts,
  contact_lens_inventory, demand_forecasts, seasonal_patterns, forecast_accuracy_metrics.

Revision ID: 0015_inventory
Revises: 0014_imaging
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ils_desktop.db import ddl

revision: str = "0015_inventory"
# Written beside dispensing (0013) and others from 0012; the merger re-chains it.
down_revision: str | None = "0014_imaging"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFINER = "SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp"

# table: (audit key columns, app role privileges)
TENANT_TABLES: dict[str, tuple[str, str]] = {
    "stock_locations": ("company_id,id", "SELECT, INSERT, UPDATE"),
    "inventory_settings": ("company_id", "SELECT, INSERT, UPDATE"),
    "stock_balances": ("company_id,variant_id,location_id", "SELECT"),
    "stock_reservations": ("company_id,id", "SELECT, INSERT, UPDATE (status)"),
    "reorder_rules": ("company_id,category", "SELECT, INSERT, UPDATE, DELETE"),
    "low_stock_alerts": ("company_id,id", "SELECT, UPDATE (status, purchase_order_id, handled_by)"),
    "company_supplier_relationships": ("company_id,id", "SELECT, INSERT, UPDATE"),
    "purchase_orders": ("company_id,id", "SELECT, INSERT, UPDATE"),
    "po_line_items": (
        "company_id,purchase_order_id,line_number",
        "SELECT, INSERT, UPDATE (quantity_ordered, unit_cost, quantity_received)",
    ),
    "stocktakes": ("company_id,id", "SELECT, INSERT, UPDATE (status, approved_by, posted_at)"),
    "stocktake_lines": ("company_id,stocktake_id,variant_id", "SELECT, INSERT"),
    "stocktake_counts": ("company_id,id", "SELECT, INSERT"),
    "contact_lens_inventory": ("company_id,variant_id", "SELECT, INSERT, UPDATE"),
    "demand_forecasts": ("company_id,id", "SELECT, INSERT"),
    "seasonal_patterns": ("company_id,id", "SELECT, INSERT"),
    "forecast_accuracy_metrics": ("company_id,id", "SELECT, INSERT"),
}

OLD_REASONS = ("opening", "receipt", "sale", "refund", "exchange", "void", "adjustment", "import")
NEW_REASONS = (
    *OLD_REASONS,
    "transfer_out",
    "transfer_in",
    "stocktake",
    "damage",
    "supplier_return",
    "dispensed",
    "dispensed_return",
)

DEFAULT_LOCATION = f"""
CREATE FUNCTION ils_inventory_default_location(p_company uuid) RETURNS uuid
LANGUAGE plpgsql VOLATILE {DEFINER}
AS $$
DECLARE
    found uuid;
BEGIN
    SELECT id INTO found FROM public.stock_locations WHERE company_id = p_company AND is_default;
    IF found IS NULL THEN
        INSERT INTO public.stock_locations (company_id, id, name, is_default)
        VALUES (p_company, gen_random_uuid(), 'Main', true) ON CONFLICT DO NOTHING;
        SELECT id INTO found FROM public.stock_locations WHERE company_id = p_company AND is_default;
    END IF;
    RETURN found;
END
$$;
"""

# Raise or clear a variant's low-stock alert for a new total: raised when a movement takes the
# total from above the reorder point to at or below it (or first reaches it), cleared when stock is
# back above it. The variant's own reorder point wins; 0 means its category's rule.
LOW_STOCK_REVIEW = f"""
CREATE FUNCTION ils_low_stock_review(p_company uuid, p_variant uuid, p_old integer, p_new integer,
                                     p_at timestamptz, p_force boolean) RETURNS void
LANGUAGE plpgsql VOLATILE {DEFINER}
AS $$
DECLARE
    own_level integer;
    own_quantity integer;
    level integer;
    quantity integer;
BEGIN
    SELECT s.reorder_level, s.reorder_quantity INTO own_level, own_quantity
      FROM public.stock_levels s WHERE s.company_id = p_company AND s.variant_id = p_variant;
    IF coalesce(own_level, 0) > 0 THEN
        level := own_level;
        quantity := own_quantity;
    ELSE
        SELECT r.reorder_level, r.reorder_quantity INTO level, quantity
          FROM public.product_variants v
          JOIN public.products p ON p.company_id = v.company_id AND p.id = v.product_id
          JOIN public.reorder_rules r ON r.company_id = p.company_id AND r.category = p.category
         WHERE v.company_id = p_company AND v.id = p_variant AND v.track_stock AND v.is_active;
    END IF;
    IF coalesce(level, 0) <= 0 OR p_new > level THEN
        UPDATE public.low_stock_alerts SET status = 'cleared', cleared_at = p_at
         WHERE company_id = p_company AND variant_id = p_variant AND status IN ('open', 'ordered');
        RETURN;
    END IF;
    IF p_force OR p_old IS NULL OR p_old > level THEN
        INSERT INTO public.low_stock_alerts (company_id, id, variant_id, status, on_hand_at_raise, reorder_level,
                                             reorder_quantity, raised_at)
        VALUES (p_company, gen_random_uuid(), p_variant, 'open', p_new, level, greatest(coalesce(quantity, 0), 1),
                p_at)
        ON CONFLICT (company_id, variant_id) WHERE status IN ('open', 'ordered') DO NOTHING;
    END IF;
END
$$;
"""

# The application's way to have an alert looked at again after a reorder point changed (no
# movement): for the session's own company only.
LOW_STOCK_RECHECK = f"""
CREATE FUNCTION ils_low_stock_recheck(p_variant uuid) RETURNS void
LANGUAGE plpgsql VOLATILE {DEFINER}
AS $$
DECLARE
    current_company uuid := (SELECT ils_current_company());
    total integer;
BEGIN
    SELECT on_hand INTO total FROM public.stock_levels WHERE company_id = current_company AND variant_id = p_variant;
    IF total IS NOT NULL THEN
        PERFORM ils_low_stock_review(current_company, p_variant, NULL, total, now(), true);
    END IF;
END
$$;
"""

LEDGER = f"""
CREATE FUNCTION ils_inventory_ledger() RETURNS trigger
LANGUAGE plpgsql VOLATILE {DEFINER}
AS $$
DECLARE
    at_location integer;
    old_total integer;
    new_total integer;
    average numeric(12, 4);
    fallback_cost numeric(12, 2);
    allowed boolean;
BEGIN
    IF NEW.location_id IS NULL THEN
        NEW.location_id := ils_inventory_default_location(NEW.company_id);
    END IF;
    -- Location first, then the variant's total: every writer takes the two row locks in this order.
    INSERT INTO public.stock_balances AS b (company_id, variant_id, location_id, on_hand)
    VALUES (NEW.company_id, NEW.variant_id, NEW.location_id, NEW.quantity)
    ON CONFLICT (company_id, variant_id, location_id)
    DO UPDATE SET on_hand = b.on_hand + excluded.on_hand, updated_at = now()
    RETURNING b.on_hand INTO at_location;

    SELECT s.on_hand, s.average_cost INTO old_total, average
      FROM public.stock_levels s WHERE s.company_id = NEW.company_id AND s.variant_id = NEW.variant_id FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO public.stock_levels (company_id, variant_id, on_hand) VALUES (NEW.company_id, NEW.variant_id, 0)
        ON CONFLICT DO NOTHING;
        SELECT s.on_hand, s.average_cost INTO old_total, average
          FROM public.stock_levels s WHERE s.company_id = NEW.company_id AND s.variant_id = NEW.variant_id FOR UPDATE;
    END IF;
    new_total := old_total + NEW.quantity;

    IF NEW.quantity < 0 AND (at_location < 0 OR new_total < 0) THEN
        SELECT i.allow_negative_stock INTO allowed FROM public.inventory_settings i WHERE i.company_id = NEW.company_id;
        IF NOT coalesce(allowed, false) THEN
            RAISE EXCEPTION 'new row for relation "stock_levels" violates check constraint %',
                            '"ck_stock_levels_on_hand_not_negative"'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'ck_stock_levels_on_hand_not_negative',
                      TABLE = 'stock_levels';
        END IF;
    END IF;

    -- Weighted average cost: goods coming in at a known cost move the average; everything else
    -- leaves it and is valued at it.
    IF NEW.quantity > 0 AND NEW.unit_cost IS NOT NULL AND NEW.reason IN ('receipt', 'opening', 'import') THEN
        IF average IS NULL OR old_total <= 0 THEN
            average := NEW.unit_cost;
        ELSE
            average := round((old_total * average + NEW.quantity * NEW.unit_cost) / (old_total + NEW.quantity), 4);
        END IF;
    ELSE
        IF average IS NULL THEN
            SELECT v.cost_price INTO fallback_cost FROM public.product_variants v
             WHERE v.company_id = NEW.company_id AND v.id = NEW.variant_id;
            average := fallback_cost;
        END IF;
        NEW.unit_cost := coalesce(NEW.unit_cost, average);
    END IF;

    UPDATE public.stock_levels SET on_hand = new_total, average_cost = average, updated_at = now()
     WHERE company_id = NEW.company_id AND variant_id = NEW.variant_id;
    NEW.balance_after := at_location;
    PERFORM ils_low_stock_review(NEW.company_id, NEW.variant_id, old_total, new_total, NEW.occurred_at, false);
    RETURN NEW;
END
$$;
"""

# Stock carried into the ledger: where a level and its movements disagree, the difference becomes
# a movement; then every movement is placed at its company's default location.
BACKFILL = """
INSERT INTO stock_locations (company_id, id, name, is_default)
SELECT DISTINCT c, gen_random_uuid(), 'Main', true
  FROM (SELECT company_id AS c FROM stock_levels UNION SELECT company_id FROM inventory_movements) k;

INSERT INTO inventory_movements (company_id, id, variant_id, quantity, reason, note, occurred_at)
SELECT s.company_id, gen_random_uuid(), s.variant_id, s.on_hand - coalesce(m.total, 0), 'adjustment',
       'stock level carried into the ledger (0015)', now()
  FROM stock_levels s
  LEFT JOIN (SELECT company_id, variant_id, sum(quantity) AS total FROM inventory_movements
              GROUP BY company_id, variant_id) m ON m.company_id = s.company_id AND m.variant_id = s.variant_id
 WHERE s.on_hand <> coalesce(m.total, 0);

UPDATE inventory_movements m SET location_id = l.id
  FROM stock_locations l WHERE l.company_id = m.company_id AND l.is_default;

INSERT INTO stock_balances (company_id, variant_id, location_id, on_hand)
SELECT company_id, variant_id, location_id, sum(quantity) FROM inventory_movements
 GROUP BY company_id, variant_id, location_id;

INSERT INTO stock_levels (company_id, variant_id, on_hand)
SELECT company_id, variant_id, sum(quantity) FROM inventory_movements GROUP BY company_id, variant_id
ON CONFLICT (company_id, variant_id) DO NOTHING;

UPDATE stock_levels s SET average_cost = v.cost_price
  FROM product_variants v WHERE v.company_id = s.company_id AND v.id = s.variant_id;
"""

FUNCTIONS = (
    "ils_inventory_ledger()",
    "ils_low_stock_recheck(uuid)",
    "ils_low_stock_review(uuid, uuid, integer, integer, timestamptz, boolean)",
    "ils_inventory_default_location(uuid)",
)


def _reason_check(values: tuple[str, ...]) -> None:
    op.drop_constraint(op.f("ck_inventory_movements_reason"), "inventory_movements", type_="check")
    op.create_check_constraint(
        op.f("ck_inventory_movements_reason"),
        "inventory_movements",
        "reason IN (" + ", ".join(f"'{v}'" for v in values) + ")",
    )


def upgrade() -> None:
    op.create_table(
        "company_supplier_relationships",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("supplier_company_id", sa.UUID(), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("account_number", sa.Text(), nullable=True),
        sa.Column("payment_terms", sa.Text(), nullable=True),
        sa.Column("lead_time_days", sa.Integer(), server_default="7", nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("btrim(name) <> ''", name=op.f("ck_company_supplier_relationships_name_given")),
        sa.CheckConstraint("lead_time_days >= 0", name=op.f("ck_company_supplier_relationships_lead_time")),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_company_supplier_relationships_company_id_companies")
        ),
        sa.ForeignKeyConstraint(
            ["supplier_company_id"],
            ["companies.id"],
            name=op.f("fk_company_supplier_relationships_supplier_company_id_companies"),
        ),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_company_supplier_relationships")),
        sa.UniqueConstraint("company_id", "name", name=op.f("uq_company_supplier_relationships_company_id_name")),
    )
    op.create_table(
        "inventory_settings",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("allow_negative_stock", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_inventory_settings_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", name=op.f("pk_inventory_settings")),
    )
    op.create_table(
        "reorder_rules",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("reorder_level", sa.Integer(), nullable=False),
        sa.Column("reorder_quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("reorder_level >= 0", name=op.f("ck_reorder_rules_reorder_level")),
        sa.CheckConstraint("reorder_quantity >= 0", name=op.f("ck_reorder_rules_reorder_quantity")),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_reorder_rules_company_id_companies")),
        sa.PrimaryKeyConstraint("company_id", "category", name=op.f("pk_reorder_rules")),
    )
    op.create_table(
        "stock_locations",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("is_default", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("btrim(name) <> ''", name=op.f("ck_stock_locations_name_given")),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_stock_locations_company_id_companies")),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_stock_locations")),
        sa.UniqueConstraint("company_id", "name", name=op.f("uq_stock_locations_company_id_name")),
    )
    op.create_index(
        "uq_stock_locations_one_default",
        "stock_locations",
        ["company_id"],
        unique=True,
        postgresql_where=sa.text("is_default"),
    )
    op.create_table(
        "purchase_orders",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.UUID(), nullable=False),
        sa.Column("location_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.Text(), server_default="draft", nullable=False),
        sa.Column("expected_on", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('draft', 'sent', 'part_received', 'received', 'closed', 'cancelled')",
            name=op.f("ck_purchase_orders_status"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "created_by"],
            ["users.company_id", "users.id"],
            name=op.f("fk_purchase_orders_company_id_created_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "location_id"],
            ["stock_locations.company_id", "stock_locations.id"],
            name=op.f("fk_purchase_orders_company_id_location_id_stock_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "supplier_id"],
            ["company_supplier_relationships.company_id", "company_supplier_relationships.id"],
            name=op.f("fk_purchase_orders_company_id_supplier_id_company_supplier_relationships"),
        ),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_purchase_orders_company_id_companies")),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_purchase_orders")),
        sa.UniqueConstraint("company_id", "number", name=op.f("uq_purchase_orders_company_id_number")),
    )
    op.create_index("ix_purchase_orders_company_id_status", "purchase_orders", ["company_id", "status"], unique=False)
    op.create_table(
        "stocktakes",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.UUID(), nullable=False),
        sa.Column("category", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), server_default="counting", nullable=False),
        sa.Column("frozen_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("started_by", sa.UUID(), nullable=True),
        sa.Column("approved_by", sa.UUID(), nullable=True),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('counting', 'posted', 'cancelled')", name=op.f("ck_stocktakes_status")),
        sa.ForeignKeyConstraint(
            ["company_id", "approved_by"],
            ["users.company_id", "users.id"],
            name=op.f("fk_stocktakes_company_id_approved_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "location_id"],
            ["stock_locations.company_id", "stock_locations.id"],
            name=op.f("fk_stocktakes_company_id_location_id_stock_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "started_by"],
            ["users.company_id", "users.id"],
            name=op.f("fk_stocktakes_company_id_started_by_users"),
        ),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_stocktakes_company_id_companies")),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_stocktakes")),
        sa.UniqueConstraint("company_id", "number", name=op.f("uq_stocktakes_company_id_number")),
    )
    op.create_table(
        "contact_lens_inventory",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("variant_id", sa.UUID(), nullable=False),
        sa.Column("base_curve", sa.Numeric(precision=3, scale=1), nullable=False),
        sa.Column("diameter", sa.Numeric(precision=3, scale=1), nullable=False),
        sa.Column("sphere", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("cylinder", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("axis", sa.Integer(), nullable=True),
        sa.Column("addition", sa.Numeric(precision=4, scale=2), nullable=True),
        sa.Column("pack_size", sa.Integer(), nullable=False),
        sa.Column("expiry_on", sa.Date(), nullable=True),
        sa.Column("is_trial", sa.Boolean(), server_default="false", nullable=False),
        sa.CheckConstraint(
            "(cylinder IS NULL) = (axis IS NULL)", name=op.f("ck_contact_lens_inventory_cylinder_has_axis")
        ),
        sa.CheckConstraint("axis IS NULL OR axis BETWEEN 1 AND 180", name=op.f("ck_contact_lens_inventory_axis")),
        sa.CheckConstraint("pack_size > 0", name=op.f("ck_contact_lens_inventory_pack_size")),
        sa.ForeignKeyConstraint(
            ["company_id", "variant_id"],
            ["product_variants.company_id", "product_variants.id"],
            name=op.f("fk_contact_lens_inventory_company_id_variant_id_product_variants"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_contact_lens_inventory_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", "variant_id", name=op.f("pk_contact_lens_inventory")),
    )
    op.create_index(
        "ix_contact_lens_inventory_company_id_expiry_on",
        "contact_lens_inventory",
        ["company_id", "expiry_on"],
        unique=False,
    )
    op.create_table(
        "demand_forecasts",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("run_id", sa.UUID(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=True),
        sa.Column("variant_id", sa.UUID(), nullable=True),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("lower", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("upper", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("scope IN ('category', 'variant')", name=op.f("ck_demand_forecasts_scope")),
        sa.ForeignKeyConstraint(
            ["company_id", "variant_id"],
            ["product_variants.company_id", "product_variants.id"],
            name=op.f("fk_demand_forecasts_company_id_variant_id_product_variants"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_demand_forecasts_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_demand_forecasts")),
    )
    op.create_index("ix_demand_forecasts_company_id_run_id", "demand_forecasts", ["company_id", "run_id"], unique=False)
    op.create_table(
        "forecast_accuracy_metrics",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("run_id", sa.UUID(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=True),
        sa.Column("variant_id", sa.UUID(), nullable=True),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("mase", sa.Numeric(precision=10, scale=4), nullable=True),
        sa.Column("mape", sa.Numeric(precision=10, scale=4), nullable=True),
        sa.Column("naive_mase", sa.Numeric(precision=10, scale=4), nullable=True),
        sa.Column("folds", sa.Integer(), nullable=False),
        sa.Column("horizon_weeks", sa.Integer(), nullable=False),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("scope IN ('category', 'variant')", name=op.f("ck_forecast_accuracy_metrics_scope")),
        sa.ForeignKeyConstraint(
            ["company_id", "variant_id"],
            ["product_variants.company_id", "product_variants.id"],
            name=op.f("fk_forecast_accuracy_metrics_company_id_variant_id_product_variants"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_forecast_accuracy_metrics_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_forecast_accuracy_metrics")),
    )
    op.create_index(
        "ix_forecast_accuracy_metrics_company_id_run_id",
        "forecast_accuracy_metrics",
        ["company_id", "run_id"],
        unique=False,
    )
    op.create_table(
        "low_stock_alerts",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("variant_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.Text(), server_default="open", nullable=False),
        sa.Column("on_hand_at_raise", sa.Integer(), nullable=False),
        sa.Column("reorder_level", sa.Integer(), nullable=False),
        sa.Column("reorder_quantity", sa.Integer(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("purchase_order_id", sa.UUID(), nullable=True),
        sa.Column("handled_by", sa.UUID(), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'ordered', 'cleared', 'dismissed')", name=op.f("ck_low_stock_alerts_status")
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "handled_by"],
            ["users.company_id", "users.id"],
            name=op.f("fk_low_stock_alerts_company_id_handled_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "purchase_order_id"],
            ["purchase_orders.company_id", "purchase_orders.id"],
            name=op.f("fk_low_stock_alerts_company_id_purchase_order_id_purchase_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "variant_id"],
            ["product_variants.company_id", "product_variants.id"],
            name=op.f("fk_low_stock_alerts_company_id_variant_id_product_variants"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_low_stock_alerts_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_low_stock_alerts")),
    )
    op.create_index(
        "uq_low_stock_alerts_one_live_per_variant",
        "low_stock_alerts",
        ["company_id", "variant_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('open', 'ordered')"),
    )
    op.create_table(
        "po_line_items",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("purchase_order_id", sa.UUID(), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=False),
        sa.Column("variant_id", sa.UUID(), nullable=False),
        sa.Column("quantity_ordered", sa.Integer(), nullable=False),
        sa.Column("quantity_received", sa.Integer(), server_default="0", nullable=False),
        sa.Column("unit_cost", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("source", sa.Text(), server_default="manual", nullable=False),
        sa.CheckConstraint("source IN ('manual', 'alert', 'forecast')", name=op.f("ck_po_line_items_source")),
        sa.CheckConstraint("quantity_ordered > 0", name=op.f("ck_po_line_items_ordered_positive")),
        sa.CheckConstraint("quantity_received >= 0", name=op.f("ck_po_line_items_received_not_negative")),
        sa.CheckConstraint("unit_cost >= 0", name=op.f("ck_po_line_items_unit_cost")),
        sa.ForeignKeyConstraint(
            ["company_id", "purchase_order_id"],
            ["purchase_orders.company_id", "purchase_orders.id"],
            name=op.f("fk_po_line_items_company_id_purchase_order_id_purchase_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "variant_id"],
            ["product_variants.company_id", "product_variants.id"],
            name=op.f("fk_po_line_items_company_id_variant_id_product_variants"),
        ),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_po_line_items_company_id_companies")),
        sa.PrimaryKeyConstraint("company_id", "purchase_order_id", "line_number", name=op.f("pk_po_line_items")),
        sa.UniqueConstraint(
            "company_id",
            "purchase_order_id",
            "variant_id",
            name=op.f("uq_po_line_items_company_id_purchase_order_id_variant_id"),
        ),
    )
    op.create_index(
        "ix_po_line_items_company_id_variant_id", "po_line_items", ["company_id", "variant_id"], unique=False
    )
    op.create_table(
        "seasonal_patterns",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("run_id", sa.UUID(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=True),
        sa.Column("variant_id", sa.UUID(), nullable=True),
        sa.Column("season_index", sa.Integer(), nullable=False),
        sa.Column("factor", sa.Numeric(precision=8, scale=4), nullable=False),
        sa.CheckConstraint("scope IN ('category', 'variant')", name=op.f("ck_seasonal_patterns_scope")),
        sa.ForeignKeyConstraint(
            ["company_id", "variant_id"],
            ["product_variants.company_id", "product_variants.id"],
            name=op.f("fk_seasonal_patterns_company_id_variant_id_product_variants"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_seasonal_patterns_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_seasonal_patterns")),
    )
    op.create_index(
        "ix_seasonal_patterns_company_id_run_id", "seasonal_patterns", ["company_id", "run_id"], unique=False
    )
    op.create_table(
        "stock_balances",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("variant_id", sa.UUID(), nullable=False),
        sa.Column("location_id", sa.UUID(), nullable=False),
        sa.Column("on_hand", sa.Integer(), server_default="0", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id", "location_id"],
            ["stock_locations.company_id", "stock_locations.id"],
            name=op.f("fk_stock_balances_company_id_location_id_stock_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "variant_id"],
            ["product_variants.company_id", "product_variants.id"],
            name=op.f("fk_stock_balances_company_id_variant_id_product_variants"),
        ),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_stock_balances_company_id_companies")),
        sa.PrimaryKeyConstraint("company_id", "variant_id", "location_id", name=op.f("pk_stock_balances")),
    )
    op.create_table(
        "stock_reservations",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("variant_id", sa.UUID(), nullable=False),
        sa.Column("order_id", sa.UUID(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("status", sa.Text(), server_default="held", nullable=False),
        sa.Column("reserved_by", sa.UUID(), nullable=True),
        sa.Column("reserved_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("status IN ('held', 'released', 'dispensed')", name=op.f("ck_stock_reservations_status")),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_stock_reservations_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["company_id", "reserved_by"],
            ["users.company_id", "users.id"],
            name=op.f("fk_stock_reservations_company_id_reserved_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "variant_id"],
            ["product_variants.company_id", "product_variants.id"],
            name=op.f("fk_stock_reservations_company_id_variant_id_product_variants"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_stock_reservations_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_stock_reservations")),
    )
    op.create_index(
        "ix_stock_reservations_company_id_variant_id_held",
        "stock_reservations",
        ["company_id", "variant_id"],
        unique=False,
        postgresql_where=sa.text("status = 'held'"),
    )
    op.create_table(
        "stocktake_counts",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("stocktake_id", sa.UUID(), nullable=False),
        sa.Column("variant_id", sa.UUID(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("counted_by", sa.UUID(), nullable=True),
        sa.Column("workstation", sa.Text(), nullable=True),
        sa.Column("counted_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("quantity <> 0", name=op.f("ck_stocktake_counts_quantity_not_zero")),
        sa.ForeignKeyConstraint(
            ["company_id", "counted_by"],
            ["users.company_id", "users.id"],
            name=op.f("fk_stocktake_counts_company_id_counted_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "stocktake_id"],
            ["stocktakes.company_id", "stocktakes.id"],
            name=op.f("fk_stocktake_counts_company_id_stocktake_id_stocktakes"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "variant_id"],
            ["product_variants.company_id", "product_variants.id"],
            name=op.f("fk_stocktake_counts_company_id_variant_id_product_variants"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_stocktake_counts_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_stocktake_counts")),
    )
    op.create_index(
        "ix_stocktake_counts_company_id_stocktake_id", "stocktake_counts", ["company_id", "stocktake_id"], unique=False
    )
    op.create_table(
        "stocktake_lines",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("stocktake_id", sa.UUID(), nullable=False),
        sa.Column("variant_id", sa.UUID(), nullable=False),
        sa.Column("expected", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id", "stocktake_id"],
            ["stocktakes.company_id", "stocktakes.id"],
            name=op.f("fk_stocktake_lines_company_id_stocktake_id_stocktakes"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "variant_id"],
            ["product_variants.company_id", "product_variants.id"],
            name=op.f("fk_stocktake_lines_company_id_variant_id_product_variants"),
        ),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_stocktake_lines_company_id_companies")),
        sa.PrimaryKeyConstraint("company_id", "stocktake_id", "variant_id", name=op.f("pk_stocktake_lines")),
    )

    op.add_column("inventory_movements", sa.Column("location_id", sa.UUID(), nullable=True))
    op.add_column("inventory_movements", sa.Column("purchase_order_id", sa.UUID(), nullable=True))
    op.add_column("inventory_movements", sa.Column("stocktake_id", sa.UUID(), nullable=True))
    op.add_column("inventory_movements", sa.Column("transfer_id", sa.UUID(), nullable=True))
    op.add_column("inventory_movements", sa.Column("order_id", sa.UUID(), nullable=True))
    op.add_column("inventory_movements", sa.Column("unit_cost", sa.Numeric(precision=12, scale=4), nullable=True))
    op.add_column("inventory_movements", sa.Column("balance_after", sa.Integer(), nullable=True))
    op.create_index(
        "ix_inventory_movements_company_id_order_id",
        "inventory_movements",
        ["company_id", "order_id"],
        unique=False,
        postgresql_where=sa.text("order_id IS NOT NULL"),
    )
    op.create_index(
        "ix_inventory_movements_company_id_purchase_order_id",
        "inventory_movements",
        ["company_id", "purchase_order_id"],
        unique=False,
        postgresql_where=sa.text("purchase_order_id IS NOT NULL"),
    )
    op.create_foreign_key(
        op.f("fk_inventory_movements_company_id_stocktake_id_stocktakes"),
        "inventory_movements",
        "stocktakes",
        ["company_id", "stocktake_id"],
        ["company_id", "id"],
    )
    op.create_foreign_key(
        op.f("fk_inventory_movements_company_id_purchase_order_id_purchase_orders"),
        "inventory_movements",
        "purchase_orders",
        ["company_id", "purchase_order_id"],
        ["company_id", "id"],
    )
    op.create_foreign_key(
        op.f("fk_inventory_movements_company_id_location_id_stock_locations"),
        "inventory_movements",
        "stock_locations",
        ["company_id", "location_id"],
        ["company_id", "id"],
    )
    op.add_column("stock_levels", sa.Column("reorder_quantity", sa.Integer(), server_default="0", nullable=False))
    op.add_column("stock_levels", sa.Column("average_cost", sa.Numeric(precision=12, scale=4), nullable=True))
    op.create_check_constraint(op.f("ck_stock_levels_reorder_quantity"), "stock_levels", "reorder_quantity >= 0")
    op.create_check_constraint(
        op.f("ck_inventory_movements_unit_cost"), "inventory_movements", "unit_cost IS NULL OR unit_cost >= 0"
    )
    _reason_check(NEW_REASONS)

    for table, (key_columns, privileges) in TENANT_TABLES.items():
        for statement in ddl.enable_verified_tenancy(table):
            op.execute(statement)
        op.execute(ddl.attach_audit(table, key_columns))
        op.execute(
            f"CREATE TRIGGER audit_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION ils_audit_refuse_truncate()"
        )
        op.execute(ddl.grant_app(table, privileges))

    op.execute(BACKFILL)
    op.alter_column("inventory_movements", "location_id", nullable=False)
    # The balance is the ledger's: only the ledger trigger writes on_hand and the average cost.
    op.drop_constraint(op.f("ck_stock_levels_on_hand_not_negative"), "stock_levels", type_="check")
    op.execute(f"REVOKE INSERT, UPDATE ON stock_levels FROM {ddl.APP_ROLE}")
    op.execute(ddl.grant_app("stock_levels", "INSERT (company_id, variant_id, reorder_level, reorder_quantity)"))
    op.execute(ddl.grant_app("stock_levels", "UPDATE (reorder_level, reorder_quantity)"))
    for function in (DEFAULT_LOCATION, LOW_STOCK_REVIEW, LOW_STOCK_RECHECK, LEDGER):
        op.execute(function)
    for signature in FUNCTIONS:
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION ils_low_stock_recheck(uuid) TO {ddl.APP_ROLE}")
    op.execute(
        "CREATE TRIGGER ledger BEFORE INSERT ON inventory_movements "
        "FOR EACH ROW EXECUTE FUNCTION ils_inventory_ledger()"
    )
    # Dispensing's orders (migration 0013): a movement or a reservation for an order names it.
    for table in ("inventory_movements", "stock_reservations"):
        op.create_foreign_key(op.f(f"fk_{table}_company_id_order_id_orders"), table, "orders",
                              ["company_id", "order_id"], ["company_id", "id"])


def downgrade() -> None:
    for table in ("inventory_movements", "stock_reservations"):
        op.drop_constraint(op.f(f"fk_{table}_company_id_order_id_orders"), table, type_="foreignkey")
    op.execute("DROP TRIGGER ledger ON inventory_movements")
    for signature in FUNCTIONS:
        op.execute(f"DROP FUNCTION {signature}")
    op.execute(f"REVOKE INSERT, UPDATE ON stock_levels FROM {ddl.APP_ROLE}")
    op.execute(ddl.grant_app("stock_levels", "INSERT, UPDATE"))
    # The kinds 0004 did not know become adjustments (the quantities, and so the levels, stay).
    op.execute(
        "UPDATE inventory_movements SET reason = 'adjustment' WHERE reason NOT IN ("
        + ", ".join(f"'{v}'" for v in OLD_REASONS)
        + ")"
    )
    op.create_check_constraint(op.f("ck_stock_levels_on_hand_not_negative"), "stock_levels", "on_hand >= 0")
    _reason_check(OLD_REASONS)
    op.drop_constraint(op.f("ck_inventory_movements_unit_cost"), "inventory_movements", type_="check")
    op.drop_constraint(op.f("ck_stock_levels_reorder_quantity"), "stock_levels", type_="check")
    op.drop_column("stock_levels", "average_cost")
    op.drop_column("stock_levels", "reorder_quantity")
    for name in ("location_id_stock_locations", "purchase_order_id_purchase_orders", "stocktake_id_stocktakes"):
        op.drop_constraint(op.f(f"fk_inventory_movements_company_id_{name}"), "inventory_movements", type_="foreignkey")
    op.drop_index("ix_inventory_movements_company_id_purchase_order_id", table_name="inventory_movements")
    op.drop_index("ix_inventory_movements_company_id_order_id", table_name="inventory_movements")
    for column in (
        "balance_after",
        "unit_cost",
        "order_id",
        "transfer_id",
        "stocktake_id",
        "purchase_order_id",
        "location_id",
    ):
        op.drop_column("inventory_movements", column)
    for table in (
        "stocktake_lines",
        "stocktake_counts",
        "stock_reservations",
        "stock_balances",
        "seasonal_patterns",
        "po_line_items",
        "low_stock_alerts",
        "forecast_accuracy_metrics",
        "demand_forecasts",
        "contact_lens_inventory",
        "stocktakes",
        "purchase_orders",
        "stock_locations",
        "reorder_rules",
        "inventory_settings",
        "company_supplier_relationships",
    ):
        op.drop_table(table)
