"""Till: catalogue and stock, till sessions and cash, sales with lines, payments and invoices,
parked baskets, the practice's dated VAT apportionment scheme and NHS voucher values.

Sales are never edited or deleted: the app role may INSERT transactions, lines, payments, stock
movements and invoices, and may UPDATE only ``pos_transactions.status`` (refunded/voided marks) and
``gift_cards.status`` (column privileges). ``stock_levels.on_hand >= 0`` is a CHECK, so two tills
cannot both sell the last unit. NHS voucher values are a tenant table because each UK nation sets
its own values (a practice keeps the table of its nation), so no new shared table is needed.

Revision ID: 0004_till
Revises: 0003_equipment
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from ils_desktop.db import ddl

revision: str = "0004_till"
# Chained after the equipment revision (both were written from 0002_clinical at the same time), so
# the history keeps a single head.
down_revision: str | None = "0003_equipment"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# table: (audit key columns, app role privileges). Financial rows get no DELETE, and sale rows no
# UPDATE beyond the status columns named here.
TENANT_TABLES: dict[str, tuple[str, str]] = {
    "products": ("company_id,id", "SELECT, INSERT, UPDATE"),
    "product_variants": ("company_id,id", "SELECT, INSERT, UPDATE"),
    "price_history": ("company_id,id", "SELECT, INSERT"),
    "stock_levels": ("company_id,variant_id", "SELECT, INSERT, UPDATE"),
    "inventory_movements": ("company_id,id", "SELECT, INSERT"),
    "vat_apportionment_schemes": ("company_id,id", "SELECT, INSERT"),
    "nhs_voucher_values": ("company_id,id", "SELECT, INSERT, UPDATE"),
    "till_sessions": ("company_id,id", "SELECT, INSERT, UPDATE"),
    "till_cash_movements": ("company_id,id", "SELECT, INSERT"),
    "pos_transactions": ("company_id,id", "SELECT, INSERT, UPDATE (status)"),
    "pos_transaction_items": ("company_id,transaction_id,line_number", "SELECT, INSERT"),
    "gift_cards": ("company_id,id", "SELECT, INSERT, UPDATE (status)"),
    "pos_payments": ("company_id,transaction_id,line_number", "SELECT, INSERT"),
    "invoices": ("company_id,id", "SELECT, INSERT"),
    "invoice_line_items": ("company_id,invoice_id,line_number", "SELECT, INSERT"),
    "parked_baskets": ("company_id,id", "SELECT, INSERT, UPDATE"),
}


def upgrade() -> None:

    op.create_table(
        "nhs_voucher_values",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("value", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.CheckConstraint("value >= 0", name=op.f("ck_nhs_voucher_values_value")),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_nhs_voucher_values_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_nhs_voucher_values")),
        sa.UniqueConstraint(
            "company_id", "code", "valid_from", name=op.f("uq_nhs_voucher_values_company_id_code_valid_from")
        ),
    )
    op.create_table(
        "products",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("brand", sa.Text(), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("supplier", sa.Text(), nullable=True),
        sa.Column("vat_rate", sa.Text(), server_default="standard", nullable=False),
        sa.Column("supply_kind", sa.Text(), server_default="goods", nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "category IN ('frame', 'sunglasses', 'spectacle_lens', 'lens_option', 'contact_lens', 'solution', "
            "'accessory', 'service')",
            name=op.f("ck_products_category"),
        ),
        sa.CheckConstraint(
            "supply_kind IN ('goods', 'service', 'spectacles_package', 'contact_lens_package')",
            name=op.f("ck_products_supply_kind"),
        ),
        sa.CheckConstraint(
            "vat_rate IN ('standard', 'reduced', 'zero', 'exempt', 'outside_scope')", name=op.f("ck_products_vat_rate")
        ),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_products_company_id_companies")),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_products")),
    )
    op.create_index(
        "ix_products_company_id_category_name", "products", ["company_id", "category", "name"], unique=False
    )
    op.create_table(
        "parked_baskets",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("till_name", sa.Text(), nullable=True),
        sa.Column("basket", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("total", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("is_recalled", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("parked_by", sa.UUID(), nullable=True),
        sa.Column("parked_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("recalled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recalled_by", sa.UUID(), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id", "parked_by"],
            ["users.company_id", "users.id"],
            name=op.f("fk_parked_baskets_company_id_parked_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "recalled_by"],
            ["users.company_id", "users.id"],
            name=op.f("fk_parked_baskets_company_id_recalled_by_users"),
        ),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_parked_baskets_company_id_companies")),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_parked_baskets")),
    )
    op.create_index(
        "ix_parked_baskets_company_id_recalled_at", "parked_baskets", ["company_id", "recalled_at"], unique=False
    )
    op.create_table(
        "product_variants",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("product_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("sku", sa.Text(), nullable=True),
        sa.Column("barcode", sa.Text(), nullable=True),
        sa.Column("colour", sa.Text(), nullable=True),
        sa.Column("eye_size", sa.Integer(), nullable=True),
        sa.Column("bridge", sa.Integer(), nullable=True),
        sa.Column("temple", sa.Integer(), nullable=True),
        sa.Column(
            "attributes", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'"), nullable=False
        ),
        sa.Column("cost_price", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("retail_price", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("track_stock", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column(
            "search_name",
            sa.Text(),
            sa.Computed(
                "ils_search_text(name || ' ' || coalesce(sku, '') || ' ' || coalesce(barcode, ''))", persisted=True
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("barcode ~ '^[0-9A-Za-z-]{4,32}$'", name=op.f("ck_product_variants_barcode_format")),
        sa.CheckConstraint("cost_price IS NULL OR cost_price >= 0", name=op.f("ck_product_variants_cost_price")),
        sa.CheckConstraint("retail_price IS NULL OR retail_price >= 0", name=op.f("ck_product_variants_retail_price")),
        sa.ForeignKeyConstraint(
            ["company_id", "product_id"],
            ["products.company_id", "products.id"],
            name=op.f("fk_product_variants_company_id_product_id_products"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_product_variants_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_product_variants")),
        sa.UniqueConstraint("company_id", "barcode", name=op.f("uq_product_variants_company_id_barcode")),
        sa.UniqueConstraint("company_id", "sku", name=op.f("uq_product_variants_company_id_sku")),
    )
    op.create_index(
        "ix_product_variants_company_id_product_id", "product_variants", ["company_id", "product_id"], unique=False
    )
    op.create_index(
        "ix_product_variants_search_name_trgm",
        "product_variants",
        ["search_name"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"search_name": "gin_trgm_ops"},
    )
    op.create_table(
        "till_sessions",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("till_name", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), server_default="open", nullable=False),
        sa.Column("opening_float", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("opened_by", sa.UUID(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.UUID(), nullable=True),
        sa.Column("authorised_by", sa.UUID(), nullable=True),
        sa.Column("expected_cash", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("counted_cash", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("difference", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("z_number", sa.Integer(), nullable=True),
        sa.Column("z_report", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status = 'open' OR (closed_at IS NOT NULL AND counted_cash IS NOT NULL "
            "AND expected_cash IS NOT NULL AND z_number IS NOT NULL)",
            name=op.f("ck_till_sessions_closed_has_z"),
        ),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_till_sessions_status")),
        sa.CheckConstraint("opening_float >= 0", name=op.f("ck_till_sessions_opening_float")),
        sa.ForeignKeyConstraint(
            ["company_id", "authorised_by"],
            ["users.company_id", "users.id"],
            name=op.f("fk_till_sessions_company_id_authorised_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "closed_by"],
            ["users.company_id", "users.id"],
            name=op.f("fk_till_sessions_company_id_closed_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "opened_by"],
            ["users.company_id", "users.id"],
            name=op.f("fk_till_sessions_company_id_opened_by_users"),
        ),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_till_sessions_company_id_companies")),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_till_sessions")),
        sa.UniqueConstraint("company_id", "number", name=op.f("uq_till_sessions_company_id_number")),
    )
    op.create_index(
        "uq_till_sessions_one_open_per_till",
        "till_sessions",
        ["company_id", "till_name"],
        unique=True,
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_table(
        "vat_apportionment_schemes",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("spectacles_goods_share", sa.Numeric(precision=5, scale=4), nullable=True),
        sa.Column("contact_lenses_goods_share", sa.Numeric(precision=5, scale=4), nullable=True),
        sa.Column("hmrc_reference", sa.Text(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "method IN ('separate_charges', 'agreed_goods_share')", name=op.f("ck_vat_apportionment_schemes_method")
        ),
        sa.CheckConstraint(
            "contact_lenses_goods_share IS NULL OR contact_lenses_goods_share BETWEEN 0 AND 1",
            name=op.f("ck_vat_apportionment_schemes_contact_lenses_goods_share"),
        ),
        sa.CheckConstraint(
            "spectacles_goods_share IS NULL OR spectacles_goods_share BETWEEN 0 AND 1",
            name=op.f("ck_vat_apportionment_schemes_spectacles_goods_share"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "created_by"],
            ["users.company_id", "users.id"],
            name=op.f("fk_vat_apportionment_schemes_company_id_created_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_vat_apportionment_schemes_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_vat_apportionment_schemes")),
        sa.UniqueConstraint(
            "company_id", "valid_from", name=op.f("uq_vat_apportionment_schemes_company_id_valid_from")
        ),
    )
    op.create_table(
        "pos_transactions",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.UUID(), nullable=False),
        sa.Column("kind", sa.Text(), server_default="sale", nullable=False),
        sa.Column("status", sa.Text(), server_default="completed", nullable=False),
        sa.Column("till_session_id", sa.UUID(), nullable=True),
        sa.Column("till_name", sa.Text(), nullable=True),
        sa.Column("patient_id", sa.UUID(), nullable=True),
        sa.Column("cashier_id", sa.UUID(), nullable=True),
        sa.Column("authorised_by", sa.UUID(), nullable=True),
        sa.Column("original_transaction_id", sa.UUID(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("basket_discount", sa.Numeric(precision=12, scale=2), server_default="0", nullable=False),
        sa.Column("basket_discount_reason", sa.Text(), nullable=True),
        sa.Column("subtotal", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("discount_total", sa.Numeric(precision=12, scale=2), server_default="0", nullable=False),
        sa.Column("total", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("net_total", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("vat_total", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("paid_total", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("change_given", sa.Numeric(precision=12, scale=2), server_default="0", nullable=False),
        sa.Column("basket_fingerprint", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "(kind = 'sale') = (original_transaction_id IS NULL)", name=op.f("ck_pos_transactions_linked_unless_sale")
        ),
        sa.CheckConstraint(
            "kind = 'sale' OR btrim(coalesce(reason, '')) <> ''", name=op.f("ck_pos_transactions_reason_unless_sale")
        ),
        sa.CheckConstraint("kind IN ('sale', 'refund', 'void', 'exchange')", name=op.f("ck_pos_transactions_kind")),
        sa.CheckConstraint(
            "status IN ('completed', 'part_refunded', 'refunded', 'voided')", name=op.f("ck_pos_transactions_status")
        ),
        sa.CheckConstraint("change_given >= 0", name=op.f("ck_pos_transactions_change_given")),
        sa.CheckConstraint("paid_total = total", name=op.f("ck_pos_transactions_fully_paid")),
        sa.CheckConstraint("total = net_total + vat_total", name=op.f("ck_pos_transactions_net_plus_vat")),
        sa.CheckConstraint("total = subtotal - discount_total", name=op.f("ck_pos_transactions_total_after_discounts")),
        sa.ForeignKeyConstraint(
            ["company_id", "authorised_by"],
            ["users.company_id", "users.id"],
            name=op.f("fk_pos_transactions_company_id_authorised_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "cashier_id"],
            ["users.company_id", "users.id"],
            name=op.f("fk_pos_transactions_company_id_cashier_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "original_transaction_id"],
            ["pos_transactions.company_id", "pos_transactions.id"],
            name=op.f("fk_pos_transactions_company_id_original_transaction_id_pos_transactions"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "patient_id"],
            ["patients.company_id", "patients.id"],
            name=op.f("fk_pos_transactions_company_id_patient_id_patients"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "till_session_id"],
            ["till_sessions.company_id", "till_sessions.id"],
            name=op.f("fk_pos_transactions_company_id_till_session_id_till_sessions"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_pos_transactions_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_pos_transactions")),
        sa.UniqueConstraint(
            "company_id", "idempotency_key", name=op.f("uq_pos_transactions_company_id_idempotency_key")
        ),
        sa.UniqueConstraint("company_id", "number", name=op.f("uq_pos_transactions_company_id_number")),
    )
    op.create_index(
        "ix_pos_transactions_company_id_occurred_at", "pos_transactions", ["company_id", "occurred_at"], unique=False
    )
    op.create_index(
        "ix_pos_transactions_company_id_original_transaction_id",
        "pos_transactions",
        ["company_id", "original_transaction_id"],
        unique=False,
    )
    op.create_index(
        "ix_pos_transactions_company_id_patient_id", "pos_transactions", ["company_id", "patient_id"], unique=False
    )
    op.create_index(
        "ix_pos_transactions_company_id_till_session_id",
        "pos_transactions",
        ["company_id", "till_session_id"],
        unique=False,
    )
    op.create_table(
        "price_history",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("variant_id", sa.UUID(), nullable=False),
        sa.Column("retail_price", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("cost_price", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("changed_by", sa.UUID(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id", "changed_by"],
            ["users.company_id", "users.id"],
            name=op.f("fk_price_history_company_id_changed_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "variant_id"],
            ["product_variants.company_id", "product_variants.id"],
            name=op.f("fk_price_history_company_id_variant_id_product_variants"),
        ),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_price_history_company_id_companies")),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_price_history")),
    )
    op.create_index(
        "ix_price_history_company_id_variant_id_changed_at",
        "price_history",
        ["company_id", "variant_id", "changed_at"],
        unique=False,
    )
    op.create_table(
        "stock_levels",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("variant_id", sa.UUID(), nullable=False),
        sa.Column("on_hand", sa.Integer(), server_default="0", nullable=False),
        sa.Column("reorder_level", sa.Integer(), server_default="0", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("on_hand >= 0", name=op.f("ck_stock_levels_on_hand_not_negative")),
        sa.CheckConstraint("reorder_level >= 0", name=op.f("ck_stock_levels_reorder_level")),
        sa.ForeignKeyConstraint(
            ["company_id", "variant_id"],
            ["product_variants.company_id", "product_variants.id"],
            name=op.f("fk_stock_levels_company_id_variant_id_product_variants"),
        ),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_stock_levels_company_id_companies")),
        sa.PrimaryKeyConstraint("company_id", "variant_id", name=op.f("pk_stock_levels")),
    )
    op.create_table(
        "till_cash_movements",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("session_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("btrim(reason) <> ''", name=op.f("ck_till_cash_movements_reason_given")),
        sa.CheckConstraint("kind IN ('cash_in', 'cash_out')", name=op.f("ck_till_cash_movements_kind")),
        sa.CheckConstraint("amount > 0", name=op.f("ck_till_cash_movements_amount_positive")),
        sa.ForeignKeyConstraint(
            ["company_id", "session_id"],
            ["till_sessions.company_id", "till_sessions.id"],
            name=op.f("fk_till_cash_movements_company_id_session_id_till_sessions"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "user_id"],
            ["users.company_id", "users.id"],
            name=op.f("fk_till_cash_movements_company_id_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_till_cash_movements_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_till_cash_movements")),
    )
    op.create_index(
        "ix_till_cash_movements_company_id_session_id",
        "till_cash_movements",
        ["company_id", "session_id"],
        unique=False,
    )
    op.create_table(
        "gift_cards",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("initial_value", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("status", sa.Text(), server_default="active", nullable=False),
        sa.Column("issued_transaction_id", sa.UUID(), nullable=True),
        sa.Column("patient_id", sa.UUID(), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("kind IN ('gift_card', 'credit_note')", name=op.f("ck_gift_cards_kind")),
        sa.CheckConstraint("status IN ('active', 'cancelled')", name=op.f("ck_gift_cards_status")),
        sa.CheckConstraint("initial_value >= 0", name=op.f("ck_gift_cards_initial_value")),
        sa.ForeignKeyConstraint(
            ["company_id", "issued_transaction_id"],
            ["pos_transactions.company_id", "pos_transactions.id"],
            name=op.f("fk_gift_cards_company_id_issued_transaction_id_pos_transactions"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "patient_id"],
            ["patients.company_id", "patients.id"],
            name=op.f("fk_gift_cards_company_id_patient_id_patients"),
        ),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_gift_cards_company_id_companies")),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_gift_cards")),
        sa.UniqueConstraint("company_id", "code", name=op.f("uq_gift_cards_company_id_code")),
    )
    op.create_table(
        "inventory_movements",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("variant_id", sa.UUID(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("transaction_id", sa.UUID(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("user_id", sa.UUID(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "reason IN ('opening', 'receipt', 'sale', 'refund', 'exchange', 'void', 'adjustment', 'import')",
            name=op.f("ck_inventory_movements_reason"),
        ),
        sa.CheckConstraint("quantity <> 0", name=op.f("ck_inventory_movements_quantity_not_zero")),
        sa.ForeignKeyConstraint(
            ["company_id", "transaction_id"],
            ["pos_transactions.company_id", "pos_transactions.id"],
            name=op.f("fk_inventory_movements_company_id_transaction_id_pos_transactions"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "user_id"],
            ["users.company_id", "users.id"],
            name=op.f("fk_inventory_movements_company_id_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "variant_id"],
            ["product_variants.company_id", "product_variants.id"],
            name=op.f("fk_inventory_movements_company_id_variant_id_product_variants"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_inventory_movements_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_inventory_movements")),
    )
    op.create_index(
        "ix_inventory_movements_company_id_transaction_id",
        "inventory_movements",
        ["company_id", "transaction_id"],
        unique=False,
    )
    op.create_index(
        "ix_inventory_movements_company_id_variant_id_occurred_at",
        "inventory_movements",
        ["company_id", "variant_id", "occurred_at"],
        unique=False,
    )
    op.create_table(
        "invoices",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.Text(), server_default="invoice", nullable=False),
        sa.Column("transaction_id", sa.UUID(), nullable=False),
        sa.Column("original_invoice_id", sa.UUID(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("supplier_name", sa.Text(), nullable=False),
        sa.Column("supplier_address", sa.Text(), nullable=False),
        sa.Column("supplier_vat_number", sa.Text(), nullable=True),
        sa.Column("customer_name", sa.Text(), nullable=True),
        sa.Column("customer_address", sa.Text(), nullable=True),
        sa.Column("patient_id", sa.UUID(), nullable=True),
        sa.Column("total_net", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("total_vat", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("total_gross", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("vat_summary", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("apportionment_note", sa.Text(), nullable=True),
        sa.CheckConstraint("kind IN ('invoice', 'credit_note')", name=op.f("ck_invoices_kind")),
        sa.CheckConstraint("total_gross = total_net + total_vat", name=op.f("ck_invoices_totals_add_up")),
        sa.ForeignKeyConstraint(
            ["company_id", "original_invoice_id"],
            ["invoices.company_id", "invoices.id"],
            name=op.f("fk_invoices_company_id_original_invoice_id_invoices"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "patient_id"],
            ["patients.company_id", "patients.id"],
            name=op.f("fk_invoices_company_id_patient_id_patients"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "transaction_id"],
            ["pos_transactions.company_id", "pos_transactions.id"],
            name=op.f("fk_invoices_company_id_transaction_id_pos_transactions"),
        ),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_invoices_company_id_companies")),
        sa.PrimaryKeyConstraint("company_id", "id", name=op.f("pk_invoices")),
        sa.UniqueConstraint("company_id", "number", name=op.f("uq_invoices_company_id_number")),
        sa.UniqueConstraint("company_id", "transaction_id", name=op.f("uq_invoices_company_id_transaction_id")),
    )
    op.create_table(
        "pos_transaction_items",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("transaction_id", sa.UUID(), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=False),
        sa.Column("variant_id", sa.UUID(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("line_discount", sa.Numeric(precision=12, scale=2), server_default="0", nullable=False),
        sa.Column("discount_reason", sa.Text(), nullable=True),
        sa.Column("basket_discount_share", sa.Numeric(precision=12, scale=2), server_default="0", nullable=False),
        sa.Column("gross", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("vat_rate", sa.Text(), nullable=False),
        sa.Column("vat_rate_percent", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("supply_kind", sa.Text(), nullable=False),
        sa.Column("goods_gross", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("service_gross", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("net", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("vat", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("cost_price", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("original_line_number", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "supply_kind IN ('goods', 'service', 'spectacles_package', 'contact_lens_package')",
            name=op.f("ck_pos_transaction_items_supply_kind"),
        ),
        sa.CheckConstraint(
            "vat_rate IN ('standard', 'reduced', 'zero', 'exempt', 'outside_scope')",
            name=op.f("ck_pos_transaction_items_vat_rate"),
        ),
        sa.CheckConstraint("gross = goods_gross + service_gross", name=op.f("ck_pos_transaction_items_parts_add_up")),
        sa.CheckConstraint("gross = net + vat", name=op.f("ck_pos_transaction_items_net_plus_vat")),
        sa.CheckConstraint(
            "line_discount >= 0 AND basket_discount_share >= 0", name=op.f("ck_pos_transaction_items_discounts")
        ),
        sa.CheckConstraint("quantity <> 0", name=op.f("ck_pos_transaction_items_quantity_not_zero")),
        sa.ForeignKeyConstraint(
            ["company_id", "transaction_id"],
            ["pos_transactions.company_id", "pos_transactions.id"],
            name=op.f("fk_pos_transaction_items_company_id_transaction_id_pos_transactions"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "variant_id"],
            ["product_variants.company_id", "product_variants.id"],
            name=op.f("fk_pos_transaction_items_company_id_variant_id_product_variants"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_pos_transaction_items_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", "transaction_id", "line_number", name=op.f("pk_pos_transaction_items")),
    )
    op.create_index(
        "ix_pos_transaction_items_company_id_variant_id",
        "pos_transaction_items",
        ["company_id", "variant_id"],
        unique=False,
    )
    op.create_table(
        "invoice_line_items",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("invoice_id", sa.UUID(), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("vat_rate", sa.Text(), nullable=False),
        sa.Column("vat_rate_percent", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("net", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("vat", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("gross", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.CheckConstraint(
            "vat_rate IN ('standard', 'reduced', 'zero', 'exempt', 'outside_scope')",
            name=op.f("ck_invoice_line_items_vat_rate"),
        ),
        sa.CheckConstraint("gross = net + vat", name=op.f("ck_invoice_line_items_net_plus_vat")),
        sa.ForeignKeyConstraint(
            ["company_id", "invoice_id"],
            ["invoices.company_id", "invoices.id"],
            name=op.f("fk_invoice_line_items_company_id_invoice_id_invoices"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_invoice_line_items_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", "invoice_id", "line_number", name=op.f("pk_invoice_line_items")),
    )
    op.create_table(
        "pos_payments",
        sa.Column("company_id", sa.UUID(), server_default=sa.text("ils_current_company()"), nullable=False),
        sa.Column("transaction_id", sa.UUID(), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=False),
        sa.Column("tender", sa.Text(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("tendered", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("change_given", sa.Numeric(precision=12, scale=2), server_default="0", nullable=False),
        sa.Column("reference", sa.Text(), nullable=True),
        sa.Column("voucher_code", sa.Text(), nullable=True),
        sa.Column("voucher_value", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("gift_card_id", sa.UUID(), nullable=True),
        sa.CheckConstraint(
            "tender <> 'card' OR btrim(coalesce(reference, '')) <> ''", name=op.f("ck_pos_payments_card_reference")
        ),
        sa.CheckConstraint(
            "tender <> 'cash' OR tendered IS NULL OR tendered = amount + change_given",
            name=op.f("ck_pos_payments_cash_tendered"),
        ),
        sa.CheckConstraint(
            "tender <> 'nhs_voucher' OR voucher_code IS NOT NULL", name=op.f("ck_pos_payments_voucher_code")
        ),
        sa.CheckConstraint("tender = 'cash' OR change_given = 0", name=op.f("ck_pos_payments_change_only_from_cash")),
        sa.CheckConstraint(
            "tender IN ('card', 'cash', 'nhs_voucher', 'gift_card', 'credit_note')", name=op.f("ck_pos_payments_tender")
        ),
        sa.CheckConstraint(
            "tender NOT IN ('gift_card', 'credit_note') OR gift_card_id IS NOT NULL",
            name=op.f("ck_pos_payments_gift_card"),
        ),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_pos_payments_amount_not_zero")),
        sa.CheckConstraint("change_given >= 0", name=op.f("ck_pos_payments_change_given")),
        sa.ForeignKeyConstraint(
            ["company_id", "gift_card_id"],
            ["gift_cards.company_id", "gift_cards.id"],
            name=op.f("fk_pos_payments_company_id_gift_card_id_gift_cards"),
        ),
        sa.ForeignKeyConstraint(
            ["company_id", "transaction_id"],
            ["pos_transactions.company_id", "pos_transactions.id"],
            name=op.f("fk_pos_payments_company_id_transaction_id_pos_transactions"),
        ),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_pos_payments_company_id_companies")),
        sa.PrimaryKeyConstraint("company_id", "transaction_id", "line_number", name=op.f("pk_pos_payments")),
    )
    op.create_index(
        "ix_pos_payments_company_id_gift_card_id", "pos_payments", ["company_id", "gift_card_id"], unique=False
    )

    for table, (key_columns, privileges) in TENANT_TABLES.items():
        for statement in ddl.enable_tenancy(table):
            op.execute(statement)
        op.execute(ddl.attach_audit(table, key_columns))
        op.execute(ddl.grant_app(table, privileges))


def downgrade() -> None:

    op.drop_index("ix_pos_payments_company_id_gift_card_id", table_name="pos_payments")
    op.drop_table("pos_payments")
    op.drop_table("invoice_line_items")
    op.drop_index("ix_pos_transaction_items_company_id_variant_id", table_name="pos_transaction_items")
    op.drop_table("pos_transaction_items")
    op.drop_table("invoices")
    op.drop_index("ix_inventory_movements_company_id_variant_id_occurred_at", table_name="inventory_movements")
    op.drop_index("ix_inventory_movements_company_id_transaction_id", table_name="inventory_movements")
    op.drop_table("inventory_movements")
    op.drop_table("gift_cards")
    op.drop_index("ix_till_cash_movements_company_id_session_id", table_name="till_cash_movements")
    op.drop_table("till_cash_movements")
    op.drop_table("stock_levels")
    op.drop_index("ix_price_history_company_id_variant_id_changed_at", table_name="price_history")
    op.drop_table("price_history")
    op.drop_index("ix_pos_transactions_company_id_till_session_id", table_name="pos_transactions")
    op.drop_index("ix_pos_transactions_company_id_patient_id", table_name="pos_transactions")
    op.drop_index("ix_pos_transactions_company_id_original_transaction_id", table_name="pos_transactions")
    op.drop_index("ix_pos_transactions_company_id_occurred_at", table_name="pos_transactions")
    op.drop_table("pos_transactions")
    op.drop_table("vat_apportionment_schemes")
    op.drop_index(
        "uq_till_sessions_one_open_per_till", table_name="till_sessions", postgresql_where=sa.text("status = 'open'")
    )
    op.drop_table("till_sessions")
    op.drop_index(
        "ix_product_variants_search_name_trgm",
        table_name="product_variants",
        postgresql_using="gin",
        postgresql_ops={"search_name": "gin_trgm_ops"},
    )
    op.drop_index("ix_product_variants_company_id_product_id", table_name="product_variants")
    op.drop_table("product_variants")
    op.drop_index("ix_parked_baskets_company_id_recalled_at", table_name="parked_baskets")
    op.drop_table("parked_baskets")
    op.drop_index("ix_products_company_id_category_name", table_name="products")
    op.drop_table("products")
    op.drop_table("nhs_voucher_values")
