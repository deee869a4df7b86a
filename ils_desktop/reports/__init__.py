"""Printed documents as PDF (reportlab): pure functions, data in, PDF bytes out; no database, no Qt.

* ``prescription.render_prescription`` — spectacle prescription or statement after a sight test
  (Opticians Act 1989 s.26; Sight Testing (Examination and Prescription) (No.2) Regulations 1989).
* ``referral.render_referral`` — referral letter to a GP or the hospital eye service.
* ``receipt.render_receipt`` — till receipt on an 80 mm roll (simplified VAT invoice, £250 or less).
* ``invoice.render_invoice`` — full VAT invoice or credit note on A4 (HMRC VAT Notice 700 §16).
* ``z_report.render_till_report`` — till X (mid-day, not a close) and Z (closing) reports.

``layout`` holds the shared letterhead, fonts, styles and page templates. Submodules are imported on
demand so that importing this package does not load reportlab.
"""
