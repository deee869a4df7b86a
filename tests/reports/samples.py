"""Realistic sample data for the printed documents (shared by the tests and by eyeballing the PNGs)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from ils_desktop.domain.exam import LONDON, PupillaryDistance, RefractionEye
from ils_desktop.domain.rx import Prism, Sca
from ils_desktop.reports.layout import Letterhead
from ils_desktop.reports.parties import Patient, Practitioner
from ils_desktop.reports.prescription import PrescriptionDocument, PrescriptionKind

D = Decimal
PRINTED_AT = datetime(2026, 3, 10, 16, 45, tzinfo=LONDON)

PRACTICE = Letterhead(
    practice_name="Hughes & Daughters Opticians",
    address_lines=("14 Market Street", "Ludlow", "Shropshire", "SY8 1AA"),
    phone="01584 872 100",
    email="hello@hughesopticians.co.uk",
    goc_number="B-01234",
    ods_code="TP1AB",
    vat_number="GB 123 4567 89",
)

LONG_PRACTICE = Letterhead(
    practice_name="The Very Long-Named Community Eyecare & Hearing Centre of Upper Wharfedale (Grassington Branch)",
    address_lines=("Unit 7, The Old Mill Business Park, Riverside Industrial Estate off Hebden Road",
                   "Grassington", "Skipton", "North Yorkshire", "BD23 5LB"),
    phone="01756 752 000",
    email="appointments@upper-wharfedale-eyecare-and-hearing.example.co.uk",
    goc_number="B-09876",
    ods_code="TQ9ZZ",
    vat_number="GB 987 6543 21",
)

OPTOMETRIST = Practitioner("Priya Raman", "01-23456", "Optometrist", "BSc (Hons) MCOptom")

PATIENT = Patient(
    name="Margaret Hughes",
    address_lines=("3 Broad Street", "Ludlow", "SY8 1NG"),
    date_of_birth=date(1952, 7, 14),
    nhs_number="943 476 5919",
)

LONG_PATIENT = Patient(
    name="Alexandra Bartholomew-Fitzwilliam-Montgomery-Smythe",
    address_lines=("Flat 12b, Riverside Court, The Old Tannery Buildings, 145-147 Lower Broad Street",
                   "Ludford", "Ludlow", "Shropshire", "SY8 1PQ"),
    date_of_birth=date(2011, 2, 3),
)

RIGHT = RefractionEye(Sca(D("-1.25"), D("-0.50"), 180), Prism(D("1.00"), "IN"), Prism(D("0.50"), "UP"),
                      D("2.25"), D("1.25"), "6/5")
LEFT = RefractionEye(Sca(D("0.00"), D("-0.75"), 85), None, Prism(D("0.50"), "DOWN"), D("2.25"), D("1.25"), "6/6-2")
PD = PupillaryDistance(D("63.0"), D("60.0"), D("31.5"), D("31.5"))


def prescription(kind: PrescriptionKind = PrescriptionKind.NEW_PRESCRIPTION, **changes: object) -> PrescriptionDocument:
    values: dict[str, object] = dict(
        practice=PRACTICE, practitioner=OPTOMETRIST, patient=PATIENT, kind=kind, test_date=date(2026, 3, 10),
        right=RIGHT, left=LEFT, binocular_va="6/5", pd=PD, advice=("Suitable for driving", "VDU use"),
        notes="Varifocals recommended. Take regular breaks from screen work (20-20-20 rule).",
        retest_date=date(2028, 3, 10), expiry_date=date(2028, 3, 10), reference="RX-2026-00042",
    )
    values.update(changes)
    return PrescriptionDocument(**values)  # type: ignore[arg-type]


# --- referral ---------------------------------------------------------------------------------------

from ils_desktop.reports.referral import (  # noqa: E402
    Addressee,
    EyeFinding,
    IopFinding,
    ReferralFindings,
    ReferralLetter,
    Urgency,
)

FINDINGS = ReferralFindings(
    visual_acuity=EyeFinding("6/9 (pinhole 6/6)", "6/18 (pinhole 6/12)", "Distance, with current spectacles"),
    refraction_right=RefractionEye(Sca(D("-2.25"), D("-0.75"), 175), near_add=D("2.50"), va="6/6"),
    refraction_left=RefractionEye(Sca(D("-3.00"), D("-1.00"), 10), near_add=D("2.50"), va="6/12"),
    iop=IopFinding(D("28"), D("31"), "Goldmann applanation", "10:45", "Repeated after 10 minutes: R 27, L 31"),
    anterior=EyeFinding("Van Herick grade 2, quiet", "Van Herick grade 2, quiet",
                        "Lens: early nuclear sclerosis both eyes"),
    posterior=EyeFinding("C/D 0.6, healthy rim", "C/D 0.8, inferior notch, disc haemorrhage at 7 o'clock",
                         "Slit lamp + Volk lens, dilated (tropicamide 1%)"),
    fields=EyeFinding("Full", "Superior arcuate defect", "Humphrey 24-2 SITA Fast"),
)


def referral(urgency: Urgency = Urgency.URGENT, **changes: object) -> ReferralLetter:
    values: dict[str, object] = dict(
        practice=PRACTICE, practitioner=OPTOMETRIST, patient=PATIENT,
        addressee=Addressee("Glaucoma Service", "Hospital Eye Service, Royal Shrewsbury Hospital",
                            ("Mytton Oak Road", "Shrewsbury", "SY3 8XQ"), "Dear Colleague,"),
        urgency=urgency, letter_date=date(2026, 3, 10), exam_date=date(2026, 3, 10),
        reason="Raised intraocular pressure in both eyes with a left optic disc notch, disc haemorrhage and a "
               "matching superior arcuate field defect: suspected primary open angle glaucoma, left worse than right.",
        history="Mother has glaucoma. Type 2 diabetes (diet controlled). Takes amlodipine 5 mg. No previous eye "
                "surgery. Reports no pain, no haloes.",
        findings=FINDINGS, gp_practice="Dr A Patel, Castle Surgery, Ludlow",
        gos18_text="GOS 18 referral: this letter is the written statement of referral given to the patient, and a "
                   "copy has been sent to the patient's GP.",
        copies_to=("Dr A Patel, Castle Surgery (GP)",), reference="REF-2026-0007",
    )
    values.update(changes)
    return ReferralLetter(**values)  # type: ignore[arg-type]


# --- sales ------------------------------------------------------------------------------------------

from ils_desktop.domain.till_rules import TenderKind  # noqa: E402
from ils_desktop.domain.vat import (  # noqa: E402
    ApportionmentMethod,
    ApportionmentScheme,
    SaleLine,
    SupplyKind,
    VatRate,
    vat_breakdown,
)
from ils_desktop.reports.sale import Customer, Sale, SaleItem, SaleKind, Tender  # noqa: E402

SCHEME = ApportionmentScheme(method=ApportionmentMethod.AGREED_GOODS_SHARE, spectacles_goods_share=D("0.55"),
                             contact_lenses_goods_share=D("0.70"), hmrc_reference="HMRC/APP/2024/0001",
                             valid_from=date(2024, 4, 1))
APPORTIONMENT_NOTE = ("Spectacle and contact lens prices include exempt dispensing by a GOC registrant, "
                      "apportioned under the method agreed with HMRC (ref. HMRC/APP/2024/0001).")
SOLD_AT = datetime(2026, 3, 10, 14, 32, tzinfo=LONDON)

# (description, quantity, unit price, discount, rate, supply)
BASKET = (
    ("Single vision spectacles: Oakley OX8046 frame, 1.60 index lenses, anti-reflection coating", 1, D("149.00"),
     D("14.90"), VatRate.STANDARD, SupplyKind.SPECTACLES_PACKAGE),
    ("Private sight test", 1, D("25.00"), D("0.00"), VatRate.EXEMPT, SupplyKind.SERVICE),
    ("Lens cleaning spray 30 ml", 2, D("4.99"), D("0.00"), VatRate.STANDARD, SupplyKind.GOODS),
    ("Hard glasses case (navy)", 1, D("3.50"), D("0.00"), VatRate.STANDARD, SupplyKind.GOODS),
)


def items_and_vat(basket: tuple[tuple[str, int, Decimal, Decimal, VatRate, SupplyKind], ...],
                  *, sign: int = 1) -> tuple[tuple[SaleItem, ...], object]:
    lines = [SaleLine(description, sign * (unit * quantity - discount), rate, supply)
             for description, quantity, unit, discount, rate, supply in basket]
    breakdown = vat_breakdown(lines, SCHEME)
    items = tuple(
        SaleItem(description, quantity, sign * unit, line.parts, sign * discount,
                 "Staff discount 10%" if discount else None)
        for (description, quantity, unit, discount, _rate, _supply), line in zip(basket, breakdown.lines, strict=True)
    )
    return items, breakdown


def sale(**changes: object) -> Sale:
    items, breakdown = items_and_vat(BASKET)
    total = breakdown.gross  # 149.00 - 14.90 + 25.00 + 9.98 + 3.50 = 172.58
    values: dict[str, object] = dict(
        supplier=PRACTICE, invoice_number="INV-000123", supplied_at=SOLD_AT, items=items, vat=breakdown,
        tenders=(
            Tender(TenderKind.NHS_VOUCHER, D("44.00"), reference="GOS3-7731920", voucher_value=D("44.00"),
                   detail="GOS 3, band A"),
            Tender(TenderKind.CARD, D("100.00"), reference="A1B2C3 / 004512", detail="Visa contactless ****4421"),
            Tender(TenderKind.CASH, total - D("144.00"), tendered=D("30.00"),
                   change=D("30.00") - (total - D("144.00"))),
        ),
        receipt_number="R-004512", till_name="Front desk till", served_by="Sam Carter",
        customer=Customer("Margaret Hughes", ("3 Broad Street", "Ludlow", "SY8 1NG"), account_number="C-10442"),
        apportionment_note=APPORTIONMENT_NOTE, footer_note="Thank you. Please keep this receipt.",
    )
    values.update(changes)
    return Sale(**values)  # type: ignore[arg-type]


def refund(**changes: object) -> Sale:
    basket = ((BASKET[2][0], 1, D("4.99"), D("0.00"), VatRate.STANDARD, SupplyKind.GOODS),)
    items, breakdown = items_and_vat(basket, sign=-1)
    values: dict[str, object] = dict(
        supplier=PRACTICE, invoice_number="INV-000131", supplied_at=datetime(2026, 3, 12, 10, 5, tzinfo=LONDON),
        items=items, vat=breakdown, kind=SaleKind.REFUND, tenders=(Tender(TenderKind.CASH, D("-4.99")),),
        till_name="Front desk till", served_by="Sam Carter", original_invoice_number="INV-000123",
        original_supplied_at=SOLD_AT, reason="Unopened, returned within 14 days",
    )
    values.update(changes)
    return Sale(**values)  # type: ignore[arg-type]


ACCESSORIES = (
    "Microfibre cleaning cloth", "Lens cleaning spray 30 ml", "Lens cleaning spray 100 ml", "Anti-fog wipes (30)",
    "Hard glasses case (navy)", "Soft pouch", "Sports band", "Reading glasses +1.50 (ready-made)",
    "Contact lens solution 360 ml", "Contact lens case", "Eye drops (hyaluronate) 10 ml", "Chain (gold-tone)",
)


def big_invoice(**changes: object) -> Sale:
    """30 lines: a practice buying stock-type items for its staff room, to force page breaks."""
    basket = [("Varifocal spectacles: Lindberg Air Titanium 2290 frame, Varilux XR 1.67 lenses with Crizal Sapphire "
               "coating, fitted and dispensed by a dispensing optician", 1, D("895.00"), D("50.00"), VatRate.STANDARD,
               SupplyKind.SPECTACLES_PACKAGE)]
    for index in range(29):
        name = ACCESSORIES[index % len(ACCESSORIES)]
        basket.append((f"{name} — batch {index + 1}", 1 + index % 3, D("3.25") + index, D("0.00"), VatRate.STANDARD,
                       SupplyKind.GOODS))
    items, breakdown = items_and_vat(tuple(basket))
    values: dict[str, object] = dict(
        supplier=PRACTICE, invoice_number="INV-000777", supplied_at=SOLD_AT, items=items, vat=breakdown,
        tenders=(Tender(TenderKind.CARD, breakdown.gross, reference="Z9Y8X7 / 004777", detail="Mastercard ****9001"),),
        customer=Customer("Severn Valley Engineering Ltd (Accounts Payable, Attn: Mrs J Oyelaran-Whitfield)",
                          ("Unit 4, Severn Bridge Industrial Estate, Riverside Way", "Bridgnorth", "Shropshire",
                           "WV16 4EW"), account_number="B-2001", vat_number="GB 555 1234 09"),
        apportionment_note=APPORTIONMENT_NOTE,
    )
    values.update(changes)
    return Sale(**values)  # type: ignore[arg-type]


# --- till reports -----------------------------------------------------------------------------------

from ils_desktop.domain.vat import RateTotal, VatTotals  # noqa: E402
from ils_desktop.reports.z_report import CashMovement, ReportKind, TenderTakings, TillReport  # noqa: E402

DAY_VAT = VatTotals((
    RateTotal(VatRate.STANDARD, D("20"), D("1236.42"), D("1030.35"), D("206.07")),
    RateTotal(VatRate.EXEMPT, None, D("787.08"), D("787.08"), D("0.00")),
))


def till_report(kind: ReportKind = ReportKind.Z, **changes: object) -> TillReport:
    values: dict[str, object] = dict(
        kind=kind, practice=PRACTICE, till_name="Front desk till", session_id="S-2026-0310-1",
        opened_at=datetime(2026, 3, 10, 8, 52, tzinfo=LONDON), opened_by="Sam Carter", opening_float=D("150.00"),
        takings=(
            TenderTakings(TenderKind.CARD, 14, D("1512.30")),
            TenderTakings(TenderKind.CASH, 6, D("212.70")),
            TenderTakings(TenderKind.NHS_VOUCHER, 5, D("268.50")),
            TenderTakings(TenderKind.GIFT_CARD, 1, D("30.00")),
        ),
        vat=DAY_VAT, sales_count=23, sales_total=D("2046.48"), refunds_count=2, refunds_total=D("-18.99"),
        voids_count=1, voids_total=D("-3.99"), discount_total=D("64.90"),
        cash_movements=(
            CashMovement(datetime(2026, 3, 10, 11, 20, tzinfo=LONDON), "out", D("12.00"), "Window cleaner",
                         "Sam Carter"),
            CashMovement(datetime(2026, 3, 10, 13, 5, tzinfo=LONDON), "in", D("20.00"), "Float top-up (coins)",
                         "Priya Raman"),
            CashMovement(datetime(2026, 3, 10, 15, 40, tzinfo=LONDON), "out", D("4.85"), "Milk and tea bags",
                         "Sam Carter"),
        ),
        counted_cash=D("365.35"), closed_at=datetime(2026, 3, 10, 17, 35, tzinfo=LONDON), closed_by="Priya Raman",
        z_number=412, notes="£0.50 short: a 50p coin found under the drawer after counting.",
    )
    if kind is ReportKind.X:
        values.update(counted_cash=None, closed_at=None, closed_by=None, z_number=None, notes=None)
    values.update(changes)
    return TillReport(**values)  # type: ignore[arg-type]
