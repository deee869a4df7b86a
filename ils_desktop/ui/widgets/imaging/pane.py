"""One image shown large: zoom (wheel, +/-, fit, 1:1), pan (drag), window/level for photographs
(brightness and contrast on 8-bit pictures, level and window on 16-bit ones), OCT B-scans scrolled,
PDF pages turned. Every new picture (a frame, a window, a page) is made off the GUI thread; while one
is being made, further changes are coalesced so a slider dragged across a 4,000 x 4,000 photograph
never freezes the screen."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QImage, QKeySequence, QPainter, QPixmap, QShortcut, QWheelEvent
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.devices.imaging.dicom_object import OpenedObject
from ils_desktop.ui.ops import run_op
from ils_desktop.ui.widgets.imaging.rendering import Window, field_plot, frame_image
from ils_desktop.ui.widgets.patient_header import role_label

ZOOM_STEP = 1.25
MAX_ZOOM = 16.0


class ImageView(QGraphicsView):
    """The picture: wheel to zoom about the pointer, drag to pan."""

    zoomed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("imageView")
        self.setScene(QGraphicsScene(self))
        self.item = QGraphicsPixmapItem()
        self.item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.scene().addItem(self.item)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self.setBackgroundBrush(Qt.GlobalColor.black)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.fitted = True

    def show_image(self, image: QImage, *, keep_view: bool) -> None:
        self.item.setPixmap(QPixmap.fromImage(image))
        self.scene().setSceneRect(self.item.boundingRect())
        if not keep_view or self.fitted:
            self.fit()

    def scale_factor(self) -> float:
        return self.transform().m11()

    def fit(self) -> None:
        if self.item.pixmap().isNull():
            return
        self.fitInView(self.item, Qt.AspectRatioMode.KeepAspectRatio)
        self.fitted = True
        self.zoomed.emit(self.scale_factor())

    def actual_size(self) -> None:
        self.resetTransform()
        self.fitted = False
        self.zoomed.emit(1.0)

    def zoom(self, factor: float) -> None:
        current = self.scale_factor()
        factor = max(min(factor, MAX_ZOOM / current), 0.05 / current)
        self.scale(factor, factor)
        self.fitted = False
        self.zoomed.emit(self.scale_factor())

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom(ZOOM_STEP ** steps)
        event.accept()

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        if self.fitted:
            self.fit()


def _slider(name: str, low: int, high: int) -> QSlider:
    slider = QSlider(Qt.Orientation.Horizontal)
    slider.setObjectName(name)
    slider.setRange(low, high)
    slider.setMinimumWidth(70)
    slider.setMaximumWidth(160)
    return slider


class ImagePane(QFrame):
    """A picture with its title and controls. ``show_object`` sets what it shows."""

    activated = Signal()

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setProperty("role", "card")
        self.opened: OpenedObject | None = None
        self.object_id: Any = None
        self.pages: list[QImage] = []
        self.frame = 0
        self.window: Window | None = None
        self._busy = False
        self._dirty = False  # a change arrived while a picture was being made: make it again after
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(6)
        self.title = role_label("", "section", f"{name}Title")
        self.detail = role_label("", "hint", f"{name}Detail")
        heading = QHBoxLayout()
        heading.addWidget(self.title)
        heading.addStretch(1)
        heading.addWidget(self.detail)
        layout.addLayout(heading)
        self.view = ImageView(self)
        self.view.setMinimumSize(240, 200)
        self.empty = role_label("Choose an image on the left.", "hint", f"{name}Empty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.empty, 1)
        self.view.hide()

        controls = QHBoxLayout()
        controls.setSpacing(6)
        self.fit_button = QPushButton("Fit")
        self.fit_button.setObjectName(f"{name}Fit")
        self.fit_button.setToolTip("Fit the image to the pane (F)")
        self.fit_button.clicked.connect(self.view.fit)
        self.actual_button = QPushButton("1:1")
        self.actual_button.setObjectName(f"{name}Actual")
        self.actual_button.setToolTip("One image pixel per screen pixel")
        self.actual_button.clicked.connect(self.view.actual_size)
        self.zoom_label = role_label("", "hint", f"{name}Zoom")
        self.zoom_label.setMinimumWidth(44)
        self.view.zoomed.connect(lambda s: self.zoom_label.setText(f"{s * 100:.0f}%"))
        self.level_label = QLabel("Brightness")
        self.level = _slider(f"{name}Level", 0, 1000)
        self.width_label = QLabel("Contrast")
        self.width = _slider(f"{name}Width", 1, 1000)
        self.level.valueChanged.connect(self._window_moved)
        self.width.valueChanged.connect(self._window_moved)
        self.frame_label = role_label("", "hint", f"{name}FrameLabel")
        self.frame_label.setMinimumWidth(96)
        self.frame_slider = _slider(f"{name}Frame", 0, 0)
        self.frame_slider.valueChanged.connect(self._frame_moved)
        self.frame_slider.setMaximumWidth(16777215)
        frames = QHBoxLayout()
        frames.setSpacing(8)
        frames.addWidget(self.frame_label)
        frames.addWidget(self.frame_slider, 1)
        layout.addLayout(frames)
        for widget in (self.fit_button, self.actual_button, self.zoom_label, self.level_label, self.level,
                       self.width_label, self.width):
            controls.addWidget(widget)
        controls.addStretch(1)
        layout.addLayout(controls)
        self._show_controls(window=False, frames=0)
        QShortcut(QKeySequence("F"), self).activated.connect(self.view.fit)
        QShortcut(QKeySequence("+"), self).activated.connect(lambda: self.view.zoom(ZOOM_STEP))
        QShortcut(QKeySequence("-"), self).activated.connect(lambda: self.view.zoom(1 / ZOOM_STEP))

    def mousePressEvent(self, event: Any) -> None:
        self.activated.emit()
        super().mousePressEvent(event)

    def _show_controls(self, *, window: bool, frames: int, pages: bool = False) -> None:
        for widget in (self.level_label, self.level, self.width_label, self.width):
            widget.setVisible(window)
        for widget in (self.frame_label, self.frame_slider):
            widget.setVisible(frames > 1)
        self.frame_label.setProperty("pages", pages)

    # --- what it shows --------------------------------------------------------------------------
    def clear(self) -> None:
        self.opened, self.object_id, self.pages = None, None, []
        self.title.setText("")
        self.detail.setText("")
        self.view.hide()
        self.empty.show()
        self._show_controls(window=False, frames=0)

    def show_object(self, object_id: Any, title: str, detail: str, opened: OpenedObject | None,
                    pages: list[QImage] | None = None) -> None:
        """Show a decoded object (``opened``) or a PDF's rendered ``pages``; the first picture is made off
        the GUI thread."""
        self.object_id, self.opened, self.pages = object_id, opened, pages or []
        self.title.setText(title)
        self.detail.setText(detail)
        self.frame, self.window, self._dirty = 0, None, False
        self.empty.hide()
        self.view.show()
        self.view.fitted = True
        paper = bool(self.pages) or (opened is not None and opened.facts.kind == "visual_field")
        # Photographs and scans on black, as the devices show them; reports and plots on a calm grey.
        self.view.setBackgroundBrush(QColor("#cbd5e1") if paper else QColor("#000000"))
        if self.pages:
            self._show_controls(window=False, frames=len(self.pages), pages=True)
            self._set_frame_range(len(self.pages), "Page")
            self.view.show_image(self.pages[0], keep_view=False)
            return
        assert opened is not None
        if opened.facts.kind == "visual_field":
            self._show_controls(window=False, frames=0)
            points, side = opened.field_points(), opened.facts.laterality
            self._render(lambda: (field_plot(points, side), None), keep_view=False)
            return
        frames = opened.facts.frames or 1
        self._set_frame_range(frames, "B-scan" if opened.facts.kind == "tomography" else "Frame")
        self.frame = frames // 2 if opened.facts.kind == "tomography" else 0
        self.frame_slider.blockSignals(True)
        self.frame_slider.setValue(self.frame)
        self.frame_slider.blockSignals(False)
        self._update_frame_label()
        self._show_controls(window=True, frames=frames)
        sixteen = (opened.facts.bits_stored or 8) > 8
        self.level_label.setText("Level" if sixteen else "Brightness")
        self.width_label.setText("Window" if sixteen else "Contrast")
        self._render(self._make(None), keep_view=False, first=True)

    def _set_frame_range(self, count: int, noun: str) -> None:
        self.frame_noun = noun
        self.frame_slider.blockSignals(True)
        self.frame_slider.setRange(0, max(0, count - 1))
        self.frame_slider.setValue(0)
        self.frame_slider.blockSignals(False)
        self.frame_count = count
        self._update_frame_label()

    def _update_frame_label(self) -> None:
        self.frame_label.setText(f"{self.frame_noun} {self.frame + 1} of {self.frame_count}")

    # --- making pictures off the GUI thread ---------------------------------------------------
    def _make(self, window: Window | None) -> Callable[[], tuple[QImage, Window | None]]:
        opened, frame = self.opened, self.frame
        assert opened is not None
        return lambda: frame_image(opened, frame, window)

    def _render(self, work: Callable[[], tuple[QImage, Window | None]], *, keep_view: bool = True,
                first: bool = False) -> None:
        self._busy = True
        shown_for = self.object_id

        def done(result: tuple[QImage, Window | None]) -> None:
            self._busy = False
            image, window = result
            if self.object_id == shown_for:
                self.view.show_image(image, keep_view=keep_view)
                if first and window is not None:
                    self._set_window_sliders(window)
            if self._dirty:
                self._dirty = False
                self._refresh()

        def failed(_error: BaseException) -> bool:
            self._busy = False
            self._dirty = False
            return False  # the usual message

        run_op(work, on_done=done, on_error=failed, parent=self)

    def _full_range(self) -> float:
        bits = self.opened.facts.bits_stored if self.opened else 8
        return float((1 << max(1, min(bits or 8, 16))) - 1)

    def _set_window_sliders(self, window: Window) -> None:
        self.window = window
        top = self._full_range()
        for slider, value in ((self.level, window.centre / top * 1000), (self.width, window.width / top * 1000)):
            slider.blockSignals(True)
            slider.setValue(round(value))
            slider.blockSignals(False)

    def _window_moved(self) -> None:
        if self.opened is None:
            return
        top = self._full_range()
        self.window = Window(self.level.value() / 1000 * top, max(1.0, self.width.value() / 1000 * top))
        self._refresh()

    def _refresh(self) -> None:
        """Make the picture for the current frame and window (or once the one being made is done)."""
        if self.opened is None or self.pages:
            return
        if self._busy:
            self._dirty = True
            return
        self._render(self._make(self.window))

    def _frame_moved(self, value: int) -> None:
        self.frame = value
        self._update_frame_label()
        if self.pages:
            self.view.show_image(self.pages[value], keep_view=True)
        else:
            self._refresh()
