"""DICOM objects as files: the content-addressed store, what an object says about itself, and
decoding its pixels within the pixel budget (``domain.imaging``)."""
