"""Purchase order lines can be removed from a draft order (and only from a draft).

Until now the application role could add and change a purchase order's lines but never remove one,
so a line added by mistake stayed on the order. The role may now delete a line; a trigger refuses the
delete unless the order is still a draft and nothing has been received on the line, whatever the
client (a hostile workstation cannot rewrite what was sent to a supplier or received into stock).
The audit trigger already on the table records the removal.

Revision ID: 0018_inventory_gaps
Revises: 0017_messages
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

from ils_desktop.db import ddl

revision: str = "0018_inventory_gaps"
down_revision: str | None = "0017_messages"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DRAFT_LINES_ONLY = """
CREATE FUNCTION ils_po_line_delete_guard() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
    IF OLD.quantity_received <> 0 OR NOT EXISTS (
        SELECT 1 FROM purchase_orders o
         WHERE o.company_id = OLD.company_id AND o.id = OLD.purchase_order_id AND o.status = 'draft'
    ) THEN
        RAISE EXCEPTION 'only a line of a draft purchase order can be removed'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN OLD;
END
$$;
"""


def upgrade() -> None:
    op.execute(DRAFT_LINES_ONLY)
    op.execute(
        "CREATE TRIGGER draft_lines_only BEFORE DELETE ON po_line_items "
        "FOR EACH ROW EXECUTE FUNCTION ils_po_line_delete_guard()"
    )
    op.execute(ddl.grant_app("po_line_items", "DELETE"))


def downgrade() -> None:
    op.execute(f"REVOKE DELETE ON po_line_items FROM {ddl.APP_ROLE}")
    op.execute("DROP TRIGGER draft_lines_only ON po_line_items")
    op.execute("DROP FUNCTION ils_po_line_delete_guard()")
