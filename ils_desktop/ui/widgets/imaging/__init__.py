"""The imaging viewer (photographs, OCT scans, field plots and reports), opened from the patient record
and the eye examination."""

from ils_desktop.ui.widgets.imaging.viewer import ImagingDialog, ImagingViewer

__all__ = ["ImagingDialog", "ImagingViewer"]
