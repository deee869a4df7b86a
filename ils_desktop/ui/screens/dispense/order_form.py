"""The order being dispensed: lens and frame, measurements, supervision, lab and money.

Keyboard first: the fields run in the order a dispensing optician works (lens type, lens, frame
scan, measurements right then left, lab, price); a scanner types the frame's barcode and Enter.
Each field shows its own error under it; a lens the Rx cannot be made in is refused with the reason
in the lens field's error line.
"""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.domain.dispensing import FIELD_LABELS, DispensingMeasurements, JobType, LensKind, OrderStatus
from ils_desktop.services.dispensing.views import DispensePage, OrderDetail, OrderSpec
from ils_desktop.ui.widgets.forms import FieldError, labelled, mark_invalid

#: The measurement fields in the order the form shows them: per eye, then the as-worn position, then
#: the frame's box.
EYE_ROWS = (("Distance PD", "distance_pd", "mm"), ("Near PD", "near_pd", "mm"),
            ("Fitting height", "fitting_height", "mm"))
POSITION = (("vertex_distance", "Vertex", "mm"), ("pantoscopic_tilt", "Panto tilt", "°"),
            ("face_form_wrap", "Wrap", "°"))
BOX = (("box_a", "A", "mm"), ("box_b", "B", "mm"), ("dbl", "DBL", "mm"), ("ed", "ED", "mm"))
OUTSIDE_LAB = "outside"


def _decimal(text: str) -> Decimal | None:
    text = text.strip().replace("mm", "").replace("°", "").strip()
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None


def _uuid(data: object) -> uuid.UUID | None:
    """A combo box's item data (ids are kept as text: Qt compares text, not Python objects)."""
    return uuid.UUID(str(data)) if data else None


def _card(title: str) -> tuple[QFrame, QVBoxLayout]:
    card = QFrame()
    card.setProperty("role", "card")
    box = QVBoxLayout(card)
    box.setContentsMargins(18, 14, 18, 14)
    box.setSpacing(10)
    heading = QLabel(title)
    heading.setProperty("role", "section")
    box.addWidget(heading)
    return card, box


class OrderForm(QWidget):
    """Fills from an ``OrderDetail`` and reads back an ``OrderSpec`` and ``DispensingMeasurements``."""

    frame_scanned = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.errors: dict[str, FieldError] = {}
        self.fields: dict[str, QLineEdit] = {}
        self.page: DispensePage | None = None
        self.order: OrderDetail | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(12)

        lens_card, lens_box = _card("Lens and frame")
        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(8)
        self.lens_kind = QComboBox()
        self.lens_kind.setObjectName("lensKind")
        for kind in LensKind:
            self.lens_kind.addItem(kind.label, kind.value)
        self.job_type = QComboBox()
        self.job_type.setObjectName("jobType")
        for job in JobType:
            self.job_type.addItem(job.label, job.value)
        self.lens = QComboBox()
        self.lens.setObjectName("lensChoice")
        self.lens.setMinimumWidth(260)
        self.coatings = QLineEdit()
        self.coatings.setObjectName("coatings")
        self.coatings.setPlaceholderText("e.g. Crizal Sapphire, Blue UV")
        self.tint = QLineEdit()
        self.tint.setObjectName("tint")
        self.tint.setPlaceholderText("None")
        self.frame_code = QLineEdit()
        self.frame_code.setObjectName("frameCode")
        self.frame_code.setPlaceholderText("Scan the frame's barcode")
        self.frame_code.returnPressed.connect(lambda: self.frame_scanned.emit(self.frame_code.text().strip()))
        self.frame_found = QLabel("")
        self.frame_found.setObjectName("frameFound")
        self.frame_found.setProperty("role", "hint")
        self.own_frame = QLineEdit()
        self.own_frame.setObjectName("ownFrame")
        self.own_frame.setPlaceholderText("Or the patient's own frame, described")
        self.lens_kind.currentIndexChanged.connect(lambda _i: self._fill_lenses())
        grid.addWidget(labelled("Lens type", self.lens_kind), 0, 0)
        grid.addWidget(labelled("Job", self.job_type), 0, 1)
        grid.addWidget(labelled("Lens", self.lens, self._error("lens")), 1, 0, 1, 2)
        grid.addWidget(labelled("Coatings", self.coatings), 2, 0)
        grid.addWidget(labelled("Tint", self.tint), 2, 1)
        frame_box = QWidget()
        frame_row = QVBoxLayout(frame_box)
        frame_row.setContentsMargins(0, 0, 0, 0)
        frame_row.setSpacing(4)
        frame_row.addWidget(self.frame_code)
        frame_row.addWidget(self.frame_found)
        grid.addWidget(labelled("Frame", frame_box, self._error("frame")), 3, 0)
        grid.addWidget(labelled("Own frame", self.own_frame), 3, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        lens_box.addLayout(grid)
        layout.addWidget(lens_card)

        measure_card, measure_box = _card("Measurements")
        table = QGridLayout()
        table.setHorizontalSpacing(12)
        table.setVerticalSpacing(6)
        for column, heading in enumerate(("", "Right", "Left"), start=0):
            label = QLabel(heading)
            label.setProperty("role", "field-label")
            table.addWidget(label, 0, column)
        for row, (caption, suffix, unit) in enumerate(EYE_ROWS, start=1):
            label = QLabel(f"{caption} ({unit})")
            table.addWidget(label, row, 0)
            for column, side in enumerate(("right", "left"), start=1):
                name = f"{side}_{suffix}"
                table.addWidget(self._measure(name), row, column)
        table.setColumnStretch(1, 1)
        table.setColumnStretch(2, 1)
        measure_box.addLayout(table)
        extra = QGridLayout()
        extra.setHorizontalSpacing(12)
        extra.setVerticalSpacing(4)
        for column, (name, caption, unit) in enumerate(BOX):
            extra.addWidget(labelled(f"{caption} ({unit})", self._measure(name, width=70)), 0, column)
        for column, (name, caption, unit) in enumerate(POSITION):
            extra.addWidget(labelled(f"{caption} ({unit})", self._measure(name, width=70)), 1, column)
        measure_box.addLayout(extra)
        self.measure_errors = QLabel("")
        self.measure_errors.setObjectName("measurementErrors")
        self.measure_errors.setProperty("role", "error")
        self.measure_errors.setWordWrap(True)
        self.measure_errors.hide()
        measure_box.addWidget(self.measure_errors)
        supervise = QHBoxLayout()
        self.registrant = QComboBox()
        self.registrant.setObjectName("supervisingRegistrant")
        self.sight_impaired = QCheckBox("Registered sight impaired")
        self.sight_impaired.setObjectName("sightImpaired")
        supervise.addWidget(labelled("Supervising registrant (s.27)", self.registrant,
                                     self._error("supervising_registrant")), 2)
        supervise.addWidget(self.sight_impaired, 1, Qt.AlignmentFlag.AlignBottom)
        measure_box.addLayout(supervise)
        layout.addWidget(measure_card)

        money_card, money_box = _card("Lab and money")
        money = QGridLayout()
        money.setHorizontalSpacing(16)
        self.lab = QComboBox()
        self.lab.setObjectName("labChoice")
        self.lab.currentIndexChanged.connect(self._lab_changed)
        self.external_lab = QLineEdit()
        self.external_lab.setObjectName("externalLab")
        self.external_lab.setPlaceholderText("Outside lab's name (order file to its drop folder)")
        self.price = QLineEdit()
        self.price.setObjectName("price")
        self.price.setPlaceholderText("0.00")
        self.deposit = QLineEdit()
        self.deposit.setObjectName("deposit")
        self.deposit.setPlaceholderText("0.00")
        self.voucher = QCheckBox("NHS voucher (band from the Rx)")
        self.voucher.setObjectName("nhsVoucher")
        money.addWidget(labelled("Lab", self.lab, self._error("lab")), 0, 0)
        money.addWidget(labelled("Outside lab", self.external_lab), 0, 1)
        money.addWidget(labelled("Price (£)", self.price, self._error("price")), 1, 0)
        money.addWidget(labelled("Deposit (£)", self.deposit, self._error("deposit")), 1, 1)
        money.addWidget(self.voucher, 2, 0, 1, 2)
        money.setColumnStretch(0, 1)
        money.setColumnStretch(1, 1)
        money_box.addLayout(money)
        layout.addWidget(money_card)
        layout.addStretch(1)

    # --- building ---------------------------------------------------------------------------------
    def _error(self, name: str) -> FieldError:
        error = FieldError()
        error.setObjectName(f"{name}Error")
        self.errors[name] = error
        return error

    def _measure(self, name: str, width: int = 90) -> QLineEdit:
        field = QLineEdit()
        field.setObjectName(name)
        field.setMaximumWidth(width if width != 90 else 16777215)
        field.setMinimumWidth(width)
        field.setAlignment(Qt.AlignmentFlag.AlignRight)
        field.setMinimumHeight(34)
        field.setToolTip(FIELD_LABELS.get(name, name))
        self.fields[name] = field
        return field

    def _fill_lenses(self) -> None:
        kind = self.lens_kind.currentData()
        current = self.lens.currentData()
        self.lens.clear()
        self.lens.addItem("Choose a lens…", None)
        for choice in (self.page.lenses if self.page else []):
            if choice.lens_kind == kind:
                add = f", add {choice.add_min:+.2f} to {choice.add_max:+.2f}" if choice.add_max is not None else ""
                text = (f"{choice.name}  ·  sph {choice.sphere_min:+.2f} to {choice.sphere_max:+.2f}, "
                        f"cyl to {choice.cylinder_min:+.2f}{add}")
                self.lens.addItem(text, str(choice.product_id))
        index = self.lens.findData(current)
        self.lens.setCurrentIndex(max(index, 0))

    def _lab_changed(self, _index: int) -> None:
        self.external_lab.setEnabled(self.lab.currentData() == OUTSIDE_LAB)

    # --- filling and reading ----------------------------------------------------------------------
    def set_page(self, page: DispensePage) -> None:
        self.page = page
        self.registrant.clear()
        self.registrant.addItem("None needed / not named", None)
        for person in page.registrants:
            self.registrant.addItem(f"{person.name} ({person.goc_number})", str(person.id))
        self.lab.clear()
        self.lab.addItem("Choose the lab…", None)
        for lab in page.labs:
            self.lab.addItem(f"{lab.name}  ·  {lab.turnaround_working_days} working days", str(lab.company_id))
        self.lab.addItem("Outside lab (order file)", OUTSIDE_LAB)
        self._fill_lenses()

    def set_order(self, order: OrderDetail | None) -> None:
        self.order = order
        self.clear_errors()
        editable = order is not None and order.status == OrderStatus.DRAFT
        for widget in (self.lens_kind, self.job_type, self.lens, self.coatings, self.tint, self.frame_code,
                       self.own_frame, self.lab, self.external_lab, self.price, self.deposit, self.voucher,
                       self.registrant, self.sight_impaired, *self.fields.values()):
            widget.setEnabled(editable)
        if order is None:
            return
        self.lens_kind.setCurrentIndex(max(self.lens_kind.findData(order.lens_kind), 0))
        self.job_type.setCurrentIndex(max(self.job_type.findData(order.job_type), 0))
        self._fill_lenses()
        self.lens.setCurrentIndex(max(self.lens.findData(str(order.lens_product_id)), 0))
        self.coatings.setText(", ".join(order.coatings))
        self.tint.setText(", ".join(order.tints))
        self.frame_code.clear()
        self.frame_found.setText(order.frame_description if order.frame_variant_id else "")
        self.own_frame.setText(order.frame_description if order.own_frame else "")
        if order.lab_company_id is not None:
            self.lab.setCurrentIndex(max(self.lab.findData(str(order.lab_company_id)), 0))
        elif order.external_lab:
            self.lab.setCurrentIndex(self.lab.findData(OUTSIDE_LAB))
        else:
            self.lab.setCurrentIndex(0)
        self.external_lab.setText(order.external_lab or "")
        self.external_lab.setEnabled(editable and self.lab.currentData() == OUTSIDE_LAB)
        self.price.setText(f"{order.price:.2f}" if order.price else "")
        self.deposit.setText(f"{order.deposit:.2f}" if order.deposit else "")
        self.voucher.setChecked(order.voucher_band is not None)
        for name, field in self.fields.items():
            value = getattr(order.measurements, name)
            field.setText("" if value is None else f"{value}")
        self.registrant.setCurrentIndex(max(self.registrant.findData(str(order.supervising_registrant)), 0))
        self.sight_impaired.setChecked(order.sight_impaired)

    def spec(self) -> OrderSpec:
        """What the form says, or ``ValueError`` naming the money field that is not a number."""
        problems = {}
        money = {}
        for name, field in (("price", self.price), ("deposit", self.deposit)):
            try:
                money[name] = (_decimal(field.text()) or Decimal("0")).quantize(Decimal("0.01"))
            except (ValueError, InvalidOperation):
                problems[name] = "Type an amount in pounds, e.g. 245.00."
        if problems:
            raise FormProblems(problems)
        lab = self.lab.currentData()
        split = [part.strip() for part in self.coatings.text().split(",") if part.strip()]
        tints = [part.strip() for part in self.tint.text().split(",") if part.strip()]
        frame = self.frame_code.text().strip()
        return OrderSpec(
            lens_kind=self.lens_kind.currentData(), job_type=self.job_type.currentData(),
            lens_product_id=_uuid(self.lens.currentData()), coatings=tuple(split), tints=tuple(tints),
            frame_code=frame or self._kept_frame_code(), own_frame=self.own_frame.text().strip(),
            lab_company_id=_uuid(lab) if lab != OUTSIDE_LAB else None,
            external_lab=self.external_lab.text().strip() if lab == OUTSIDE_LAB else "",
            price=money["price"], deposit=money["deposit"], nhs_voucher=self.voucher.isChecked())

    def _kept_frame_code(self) -> str:
        return self.frame_code.property("kept_code") or ""

    def keep_frame(self, code: str, description: str) -> None:
        """A scanned frame was found: show it, keep its code, clear the box for the next scan."""
        self.frame_code.setProperty("kept_code", code)
        self.frame_code.clear()
        self.frame_found.setText(description)
        self.own_frame.clear()

    def measurements(self) -> DispensingMeasurements:
        values: dict[str, Decimal | None] = {}
        problems = {}
        for name, field in self.fields.items():
            try:
                values[name] = _decimal(field.text())
            except ValueError:
                problems[name] = f"{FIELD_LABELS.get(name, name)}: type a number, e.g. 31.5"
        if problems:
            raise FormProblems(problems)
        return DispensingMeasurements(**values)

    def supervising_registrant(self) -> uuid.UUID | None:
        return _uuid(self.registrant.currentData())

    # --- errors -----------------------------------------------------------------------------------
    def clear_errors(self) -> None:
        for error in self.errors.values():
            error.show_message("")
        for field in self.fields.values():
            mark_invalid(field, False)
            field.setToolTip(FIELD_LABELS.get(field.objectName(), ""))
        for field in (self.price, self.deposit, self.lens, self.frame_code):
            mark_invalid(field, False)
        self.measure_errors.hide()

    def show_errors(self, problems: dict[str, str]) -> None:
        self.clear_errors()
        measured = []
        for name, message in problems.items():
            if name in self.fields:
                mark_invalid(self.fields[name], True)
                self.fields[name].setToolTip(message)
                measured.append(message)
            elif name in self.errors:
                self.errors[name].show_message(message)
            else:
                self.errors.setdefault("lens", FieldError()).show_message(message)
        if measured:
            self.measure_errors.setText("\n".join(measured))
            self.measure_errors.show()
        first = next((self.fields[n] for n in problems if n in self.fields), None)
        if first is not None:
            first.setFocus()


class FormProblems(ValueError):
    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(problems.values()))
        self.problems = problems
