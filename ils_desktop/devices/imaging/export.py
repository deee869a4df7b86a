"""A stored image as a picture for a printed document: one frame, windowed to 8 bits on the range the
image uses (a 12-bit photograph is not printed almost black), scaled down, as PNG (Pillow)."""

from __future__ import annotations

import io

import numpy as np

from ils_desktop.devices.imaging.dicom_object import ObjectProblem, OpenedObject

MAX_PRINTED_SIDE = 1600


def frame_png(opened: OpenedObject, frame: int = 0) -> bytes:
    """Frame ``frame`` of a photograph or OCT as PNG bytes. Raises :class:`ObjectProblem`."""
    from PIL import Image

    pixels = opened.frame(frame)
    step = max(1, int(np.ceil(max(pixels.shape[:2]) / MAX_PRINTED_SIDE)))
    pixels = pixels[::step, ::step]
    if pixels.dtype != np.uint8:
        low, high = np.percentile(pixels[:: max(1, pixels.shape[0] // 256), :: max(1, pixels.shape[1] // 256)],
                                  (0.5, 99.5))
        span = max(float(high - low), 1.0)
        pixels = np.clip((pixels.astype(np.float32) - float(low)) * (255.0 / span), 0, 255).astype(np.uint8)
    if (opened.facts.photometric or "").upper() == "MONOCHROME1":
        pixels = 255 - pixels
    if pixels.ndim not in (2, 3):
        raise ObjectProblem("the image cannot be printed")
    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels)).save(out, format="PNG", optimize=False)
    return out.getvalue()
