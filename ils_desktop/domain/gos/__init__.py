"""NHS General Ophthalmic Services (England first; the nation is kept on the practice's contract so
the rules and values can differ by nation later): who is eligible, the minimum intervals between
sight tests, voucher bands and values, and what a claim must hold. Pure rules; see
docs/domain/nhs-gos.md for the sources.

The two functions documented for integrators:

- ``minimum_interval_months(age, *, diabetic=False, glaucoma_family_history=False, ...)``
- ``voucher_band(right, left, *, bifocal)``
"""

from ils_desktop.domain.gos.intervals import minimum_interval_months
from ils_desktop.domain.gos.vouchers import voucher_band

__all__ = ["minimum_interval_months", "voucher_band"]
