"""NHS General Ophthalmic Services use cases: the practice's set-up, patients' eligibility, GOS 1/6
sight-test claims from booking to the exam, GOS 3 vouchers and GOS 4 repairs, signatures and the
claim lifecycle, submission batches, payment schedules and the evidence for verification."""
