"""The machine-readable batch file a claim submission produces (one row per claim), beside the
per-claim PDFs in the forms' layout.

PCSE Online is not reachable from the practice's system, so claims are keyed or uploaded from this
file; a future direct (eGOS) connection implements the same submission interface instead. The fields
are the GOS claim fields PCSE checks (docs/domain/nhs-gos.md, "Fields"), documented for integrators
in docs/nhs-claims-batch-file.md. UTF-8 CSV (RFC 4180), a header row of the names below, dates
``YYYY-MM-DD``, money in pounds with two decimals, lists separated by ``;``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Final

BATCH_FORMAT_VERSION: Final = "1"

BATCH_FIELDS: Final[tuple[tuple[str, str], ...]] = (
    ("format_version", "Always 1 for this layout."),
    ("batch_number", "The practice's submission number (one per batch)."),
    ("claim_id", "The practice system's id of the claim (UUID): quote it to find the claim."),
    ("form", "GOS1, GOS3, GOS4 or GOS6."),
    ("contractor_ods_code", "The contractor's five-character ODS code."),
    ("contract_number", "The GOS contract number."),
    ("performer_goc_number", "The performer's GOC number, 01-nnnnn (GOS 1 and 6)."),
    ("patient_surname", "As on the record."),
    ("patient_forenames", "As on the record."),
    ("patient_date_of_birth", "YYYY-MM-DD."),
    ("patient_nhs_number", "Ten digits, or empty when not known."),
    ("patient_address", "One line, parts separated by ', '."),
    ("patient_postcode", "As on the record."),
    ("service_date", "The sight test (GOS 1/6) or the supply or repair (GOS 3/4), YYYY-MM-DD."),
    ("eligibility", "Category codes claimed, separated by ';' (see ExemptionCategory)."),
    ("eligibility_detail", "Establishment and town; beneficiary's name and date of birth; HC3 contribution."),
    ("last_sight_test", "YYYY-MM-DD, or NOT_KNOWN (GOS 1/6)."),
    ("early_retest_code", "The early-retest reason code when the test is sooner than the interval."),
    ("voucher_band", "A-J (GOS 3/4)."),
    ("supplements", "Supplement codes separated by ';' (prism, tint, photochromic, small_glasses, ...)."),
    ("prescription_date", "YYYY-MM-DD (GOS 3)."),
    ("patient_contribution", "HC3 contribution deducted, pounds."),
    ("pre_authorisation_code", "NHSBSA's code for a GOS 4 at 16 or over."),
    ("pre_visit_reference", "The pre-visit notification reference (GOS 6)."),
    ("visit_setting", "home, care_home or day_centre (GOS 6)."),
    ("amount_claimed", "Pounds, two decimals."),
    ("patient_signed_on", "YYYY-MM-DD, with signer_type."),
    ("patient_signer", "patient or parent_guardian_carer, with the printed name after ':'."),
    ("performer_signed_on", "YYYY-MM-DD."),
    ("contractor_signed_on", "YYYY-MM-DD."),
)
FIELD_NAMES: Final = tuple(name for name, _ in BATCH_FIELDS)


def _clean(value: str) -> str:
    """No line breaks inside a field (some importers split on them even when quoted)."""
    return " ".join(value.split())


def render_batch(rows: Iterable[Mapping[str, str]]) -> str:
    """The batch file's text: the header and one line per claim. Every row must name exactly
    ``FIELD_NAMES`` (``ValueError`` otherwise)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELD_NAMES, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        if set(row) != set(FIELD_NAMES):
            missing, extra = set(FIELD_NAMES) - set(row), set(row) - set(FIELD_NAMES)
            raise ValueError(f"batch row fields differ: missing {sorted(missing)}, extra {sorted(extra)}")
        writer.writerow({k: _clean(v) for k, v in row.items()})
    return out.getvalue()


def read_batch(text: str) -> list[dict[str, str]]:
    """The rows of a batch file (for tests and integrators)."""
    return list(csv.DictReader(io.StringIO(text)))
