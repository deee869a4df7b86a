"""``ils-desktop snapshot --screen imaging``: the viewer of the demo patient with the most images,
this visit's photograph beside an earlier one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ils_desktop.services import imaging
from ils_desktop.ui.widgets.imaging.viewer import ImagingDialog


def imaging_snapshot(window: Any, width: int, height: int, wait_for: Callable[..., bool],
                     settle: Callable[[], None]) -> ImagingDialog:
    workspace = window.workspace
    found = workspace.call(imaging.patients_with_images)
    if not found:
        raise RuntimeError("the demo practice has no images (was it built before imaging existed?)")
    patient_id, name, _count = found[0]
    dialog = ImagingDialog(workspace, patient_id, name, parent=window)
    dialog.resize(width, height)
    dialog.show()
    viewer = dialog.viewer
    wait_for(lambda: viewer.images and viewer.thumbnails_ready == len(viewer.images), 60)
    images = list(viewer.images.values())
    photos = [i for i in images if i.kind == "photograph" and i.laterality == "R" and (i.bits_stored or 8) <= 8]
    first = photos[0] if photos else images[0]
    viewer.show_image(first.id)
    settle()
    earlier = [i for i in photos if i.taken_at.date() != first.taken_at.date()]
    if earlier:
        viewer.compare.setChecked(True)
        viewer.show_image(earlier[0].id)
        settle()
    wait_for(lambda: not viewer.left._busy and not viewer.right._busy, 30)
    settle()
    return dialog
