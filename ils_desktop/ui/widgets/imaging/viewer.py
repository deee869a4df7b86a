"""The imaging viewer of a patient: thumbnails by date and device on the left, the chosen image large
(zoom, pan, window/level, OCT B-scans, PDF pages), two dates side by side, and "Attach to" an exam
section or a referral letter. It is opened from the patient record and from the eye examination.

Everything slow happens off the GUI thread (``run_op``): the list of images (one query), the bytes of
each object from the practice's image store, decoding (JPEG, JPEG 2000, RLE...) and making pictures.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ils_desktop.config import AppPaths
from ils_desktop.devices.imaging.dicom_object import ObjectProblem, OpenedObject, open_object
from ils_desktop.services import imaging
from ils_desktop.services.imaging import AttachTarget, ImageSummary
from ils_desktop.ui.ops import run_op
from ils_desktop.ui.session import Workspace
from ils_desktop.ui.theme import icon
from ils_desktop.ui.widgets.imaging.pane import ImagePane
from ils_desktop.ui.widgets.imaging.rendering import THUMBNAIL, pdf_pages, thumbnail_of
from ils_desktop.ui.widgets.patient_header import role_label

ID_ROLE = Qt.ItemDataRole.UserRole
CACHE_LIMIT = 12


class ImagingViewer(QWidget):
    """``load(patient_id)`` lists the patient's images; choosing one shows it in the active pane."""

    loaded = Signal(int)  # how many images
    attached = Signal(object)  # the attachment's id

    def __init__(self, workspace: Workspace, *, exam_id: uuid.UUID | None = None, store_root: Path | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("imagingViewer")
        self.workspace = workspace
        self.exam_id = exam_id
        self.store_root = store_root or AppPaths.default().image_store
        self.patient_id: uuid.UUID | None = None
        self.images: dict[uuid.UUID, ImageSummary] = {}
        self.opened: dict[uuid.UUID, tuple[OpenedObject, list[QImage]]] = {}
        self.thumbnails_ready = 0
        self.targets: list[AttachTarget] = []

        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(10)
        bar = QHBoxLayout()
        bar.setSpacing(8)
        self.heading = role_label("Images", "title", "imagingHeading")
        self.count = role_label("", "hint", "imagingCount")
        bar.addWidget(self.heading)
        bar.addWidget(self.count)
        bar.addStretch(1)
        self.compare = QCheckBox("Compare side by side")
        self.compare.setObjectName("imagingCompare")
        self.compare.setToolTip("Show two images side by side, e.g. this year's and last year's (C)")
        self.compare.toggled.connect(self._compare_toggled)
        bar.addWidget(self.compare)
        self.attach_button = QPushButton("Attach to…")
        self.attach_button.setObjectName("imagingAttach")
        self.attach_button.setToolTip("Attach the image shown (or the B-scan shown) to an exam section or a "
                                      "referral letter")
        self.attach_menu = QMenu(self.attach_button)
        self.attach_button.setMenu(self.attach_menu)
        self.attach_button.setEnabled(False)
        if not workspace.can("exams.perform"):
            self.attach_button.hide()
        bar.addWidget(self.attach_button)
        root.addLayout(bar)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        self.list = QTreeWidget()
        self.list.setObjectName("imagingThumbnails")
        self.list.setHeaderHidden(True)
        self.list.setIconSize(QSize(THUMBNAIL // 2 + 24, THUMBNAIL // 2 + 24))
        self.list.setIndentation(0)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setMinimumWidth(230)
        self.list.itemActivated.connect(self._chosen)
        self.list.itemClicked.connect(self._chosen)
        splitter.addWidget(self.list)
        panes = QWidget()
        panes_layout = QHBoxLayout(panes)
        panes_layout.setContentsMargins(0, 0, 0, 0)
        panes_layout.setSpacing(10)
        self.left = ImagePane("imagingPaneA")
        self.right = ImagePane("imagingPaneB")
        self.right.hide()
        for pane in (self.left, self.right):
            panes_layout.addWidget(pane, 1)
            pane.activated.connect(lambda p=pane: self._activate(p))
        splitter.addWidget(panes)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([250, 900])
        root.addWidget(splitter, 1)
        self.empty = role_label("No photographs, scans or field reports for this patient yet. Devices that send "
                                "DICOM put them here as soon as they are taken.", "hint", "imagingEmpty", wrap=True)
        self.empty.hide()
        root.addWidget(self.empty)
        self.active = self.left
        self._activate(self.left)
        QShortcut(QKeySequence("C"), self).activated.connect(self.compare.toggle)

    # --- loading ----------------------------------------------------------------------------------
    def load(self, patient_id: uuid.UUID) -> None:
        self.patient_id = patient_id
        call = self.workspace.call

        def work() -> tuple[list[ImageSummary], list[AttachTarget]]:
            images = call(imaging.patient_images, patient_id)
            targets = call(imaging.attach_targets, patient_id) if self.workspace.can("exams.perform") else []
            return images, targets

        run_op(work, on_done=self._show_list, parent=self)

    def _show_list(self, result: tuple[list[ImageSummary], list[AttachTarget]]) -> None:
        images, self.targets = result
        self.images = {i.id: i for i in images}
        self.list.clear()
        self.thumbnails_ready = 0
        self.count.setText(f"{len(images)} image{'s' if len(images) != 1 else ''}" if images else "")
        self.empty.setVisible(not images)
        self._fill_attach_menu()
        day_item: QTreeWidgetItem | None = None
        day = None
        for image in images:
            if image.taken_at.date() != day:
                day = image.taken_at.date()
                day_item = QTreeWidgetItem([f"{image.taken_at:%a %d %b %Y}"])
                day_item.setFlags(Qt.ItemFlag.ItemIsEnabled)
                day_item.setData(0, ID_ROLE, None)
                font = day_item.font(0)
                font.setBold(True)
                day_item.setFont(0, font)
                self.list.addTopLevelItem(day_item)
            attached = f" · attached ({image.attachments})" if image.attachments else ""
            item = QTreeWidgetItem([f"{image.short_title}\n{image.device}\n{image.taken_at:%H:%M}{attached}"])
            item.setData(0, ID_ROLE, image.id)
            item.setToolTip(0, image.description or image.title)
            item.setSizeHint(0, QSize(0, THUMBNAIL // 2 + 32))
            assert day_item is not None
            day_item.addChild(item)
        self.list.expandAll()
        self.loaded.emit(len(images))
        if images:
            self._load_thumbnails(images)

    def _fetch(self, object_id: uuid.UUID) -> tuple[OpenedObject, list[QImage], bytes]:
        """(Worker thread) the object's bytes from the store, parsed, and a PDF's pages rendered."""
        data = self.workspace.call(imaging.image_content, object_id, self.store_root)
        opened = open_object(data)
        pages = pdf_pages(opened.pdf()) if opened.facts.kind == "document" else []
        return opened, pages, data

    def _load_thumbnails(self, images: list[ImageSummary]) -> None:
        """One background job per image, newest first; each thumbnail appears as it is made."""
        for image in images:
            def work(object_id: uuid.UUID = image.id) -> tuple[uuid.UUID, QImage | None, str | None]:
                try:
                    opened, _pages, data = self._fetch(object_id)
                    return object_id, thumbnail_of(opened, data), None
                except ObjectProblem as problem:
                    return object_id, None, str(problem)

            run_op(work, on_done=self._thumbnail_done, on_error=lambda _e: self._thumbnail_failed(), parent=self)

    def _item(self, object_id: uuid.UUID) -> QTreeWidgetItem | None:
        for top in range(self.list.topLevelItemCount()):
            day = self.list.topLevelItem(top)
            for index in range(day.childCount()):
                child = day.child(index)
                if child.data(0, ID_ROLE) == object_id:
                    return child
        return None

    def _thumbnail_done(self, result: tuple[uuid.UUID, QImage | None, str | None]) -> None:
        object_id, image, problem = result
        self.thumbnails_ready += 1
        item = self._item(object_id)
        if item is None:
            return
        if image is not None and not image.isNull():
            item.setIcon(0, QIcon(QPixmap.fromImage(image)))
        else:
            item.setIcon(0, icon("warning"))
            item.setToolTip(0, f"This image cannot be shown: {problem}")

    def _thumbnail_failed(self) -> bool:
        self.thumbnails_ready += 1
        return True  # a missing thumbnail is not worth a dialog; choosing the image says why

    # --- choosing and showing -------------------------------------------------------------------
    def _activate(self, pane: ImagePane) -> None:
        """The pane the next image chosen goes to; outlined while two are shown."""
        self.active = pane
        for each in (self.left, self.right):
            outlined = each is pane and self.compare.isChecked()
            each.setStyleSheet(f"#{each.objectName()} {{ border: 2px solid #0e7490; border-radius: 8px; }}"
                               if outlined else "")
        self._after_show()

    def _compare_toggled(self, on: bool) -> None:
        self.right.setVisible(on)
        if on:
            self._activate(self.right)
        else:
            self.right.clear()
            self._activate(self.left)

    def _chosen(self, item: QTreeWidgetItem) -> None:
        object_id = item.data(0, ID_ROLE)
        if object_id is not None:
            self.show_image(object_id)

    def show_image(self, object_id: uuid.UUID, pane: ImagePane | None = None) -> None:
        """Show an image in ``pane`` (default: the active pane), fetching and decoding it off the GUI thread."""
        pane = pane or self.active
        summary = self.images[object_id]
        title = summary.title
        detail = f"{summary.taken_at:%d %b %Y %H:%M} · {summary.device}"
        cached = self.opened.get(object_id)
        if cached is not None:
            pane.show_object(object_id, title, detail, cached[0], cached[1])
            self._after_show()
            return
        pane.title.setText(title)
        pane.detail.setText("Opening…")

        def done(result: tuple[OpenedObject, list[QImage], bytes]) -> None:
            opened, pages, _data = result
            if len(self.opened) >= CACHE_LIMIT:
                self.opened.pop(next(iter(self.opened)))
            self.opened[object_id] = (opened, pages)
            pane.show_object(object_id, title, detail, opened, pages)
            self._after_show()

        run_op(lambda: self._fetch(object_id), on_done=done, parent=self)

    def _after_show(self) -> None:
        self.attach_button.setEnabled(bool(self.attach_menu.actions()) and self.active.object_id is not None)

    # --- attaching ------------------------------------------------------------------------------
    def _fill_attach_menu(self) -> None:
        self.attach_menu.clear()
        for target in self.targets:
            if target.key.startswith("exam:") and self.exam_id is None:
                continue
            action = self.attach_menu.addAction(target.label)
            action.setData(target.key)
            action.triggered.connect(lambda _checked=False, key=target.key: self.attach_to(key))
        self._after_show()

    def attach_to(self, key: str) -> None:
        """Attach the active pane's image (its B-scan for an OCT) to ``exam:<section>`` or ``referral:<id>``."""
        pane = self.active
        if pane.object_id is None:
            return
        kind, _, value = key.partition(":")
        frame = pane.frame if pane.opened is not None and (pane.opened.facts.frames or 1) > 1 else None
        options: dict[str, Any] = {"frame": frame}
        if kind == "exam":
            options |= {"exam_id": self.exam_id, "exam_section": value}
        else:
            options["referral_id"] = uuid.UUID(value)
        label = next((t.label for t in self.targets if t.key == key), key)
        object_id = pane.object_id

        def done(attachment_id: uuid.UUID) -> None:
            self.attached.emit(attachment_id)
            if self.patient_id is not None:
                self.load(self.patient_id)  # the list shows what is attached
            QMessageBox.information(self, "Image attached", f"Attached to {label.removeprefix('Exam: ')}.")

        run_op(lambda: self.workspace.call(imaging.attach_image, object_id, **options), on_done=done, parent=self)


class ImagingDialog(QDialog):
    """The viewer in its own window, from the patient record or the examination."""

    def __init__(self, workspace: Workspace, patient_id: uuid.UUID, patient_name: str, *,
                 exam_id: uuid.UUID | None = None, store_root: Path | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("imagingDialog")
        self.setWindowTitle(f"Images — {patient_name}")
        self.viewer = ImagingViewer(workspace, exam_id=exam_id, store_root=store_root, parent=self)
        self.viewer.heading.setText(f"Images — {patient_name}")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 12)
        layout.addWidget(self.viewer, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        close = QPushButton("Close")
        close.setObjectName("imagingClose")
        close.clicked.connect(self.accept)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        self.viewer.load(patient_id)
