"""The NHS tables under attack: every one is a tenant table the cross-company probes of the attack
suite reach (and the demo gives the victim rows in each), and inside its own practice the
application role cannot delete or rewrite NHS money: claims, payments and their lines, submissions
and fees are never deleted, payment lines and submissions never edited."""

from __future__ import annotations

from typing import Any

import pytest

from tests.security.conftest import ESCALATION, LEDGER, Arena
from tests.security.test_attack_suite import attempt, tenant_tables, victim_rows

NHS_TABLES = ("nhs_claim_signatures", "nhs_claim_submissions", "nhs_claims", "nhs_contract_details", "nhs_fees",
              "nhs_patient_exemptions", "nhs_payment_lines", "nhs_payments", "nhs_practitioners", "nhs_vouchers")


def test_every_nhs_table_is_attacked_and_the_victim_has_rows_in_it(arena: Arena) -> None:
    attacked = set(tenant_tables(arena))
    populated = victim_rows(arena)
    assert set(NHS_TABLES) <= attacked
    assert [t for t in NHS_TABLES if not populated[t]] == []


TAMPERING: dict[str, str] = {
    "delete a claim": "DELETE FROM nhs_claims",
    "delete a payment schedule": "DELETE FROM nhs_payments",
    "delete payment lines": "DELETE FROM nhs_payment_lines",
    "rewrite what a payment line paid": "UPDATE nhs_payment_lines SET amount = amount + 100",
    "rewrite a submission's batch file": "UPDATE nhs_claim_submissions SET batch_file = ''",
    "delete a submission": "DELETE FROM nhs_claim_submissions",
    "rewrite a dated fee": "UPDATE nhs_fees SET value = value + 1",
    "delete a voucher": "DELETE FROM nhs_vouchers",
    "delete an exemption": "DELETE FROM nhs_patient_exemptions",
}


@pytest.mark.parametrize("what", list(TAMPERING))
def test_nhs_money_cannot_be_deleted_or_rewritten_from_inside(arena: Arena, what: str) -> None:
    connection = arena.connect(arena.attacker_admin_token)
    try:
        # The attacker's own practice: its administrator, with a live session of its own.
        outcome: Any = attempt(connection, [("SELECT ils_bind_session(%s)", (arena.attacker_admin_token,)),
                                            (TAMPERING[what], ())])
    finally:
        connection.close()
    refused = not outcome.ok and outcome.error == "InsufficientPrivilege"
    assert not LEDGER.record(ESCALATION, f"NHS: {what}", not refused), outcome
