"""DICOM refractive measurement objects, built here directly with pydicom (independently of the
simulated_frames builders), written to bytes as Part 10 files and parsed back."""

import io
from collections.abc import Callable
from decimal import Decimal

import pytest
from pydicom import dcmwrite
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (
    AutorefractionMeasurementsStorage,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    KeratometryMeasurementsStorage,
    LensometryMeasurementsStorage,
    SecondaryCaptureImageStorage,
    SubjectiveRefractionMeasurementsStorage,
    VisualAcuityMeasurementsStorage,
    generate_uid,
)

from ils_desktop.devices.measurement import (
    HorizontalPrismBase,
    MeasurementKind,
    ParseError,
    VerticalPrismBase,
)
from ils_desktop.devices.protocols import detect, get_protocol, parse_auto
from ils_desktop.devices.protocols.dicom_refractive import parse_dataset

D = Decimal
dicom = get_protocol("dicom_refractive")


def base_dataset(sop_class: str, modality: str) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = sop_class
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.Modality = modality
    ds.PatientID = "C000042"
    ds.PatientName = "HUGHES^AMELIA"
    ds.Manufacturer = "TOPCON"
    ds.ManufacturerModelName = "CV-5000"
    ds.DeviceSerialNumber = "SN123"
    ds.ContentDate = "20260304"
    ds.ContentTime = "101502"
    ds.TimezoneOffsetFromUTC = "+0000"
    ds.MeasurementLaterality = "B"
    ds.DistancePupillaryDistance = 63.5
    ds.NearPupillaryDistance = 60.0
    return ds


def item(**values: object) -> Dataset:
    ds = Dataset()
    for keyword, value in values.items():
        setattr(ds, keyword, value)
    return ds


def lens(
    sphere: float, cylinder: float, axis: float, *, add: float | None = None, prism: Dataset | None = None
) -> Dataset:
    eye = item(SpherePower=sphere, CylinderSequence=[item(CylinderPower=cylinder, CylinderAxis=axis)])
    if add is not None:
        eye.AddNearSequence = [item(AddPower=add)]
    if prism is not None:
        eye.PrismSequence = [prism]
    return eye


def to_bytes(ds: Dataset) -> bytes:
    buffer = io.BytesIO()
    dcmwrite(buffer, ds, enforce_file_format=True)
    return buffer.getvalue()


def test_lensometry_with_prism_and_add() -> None:
    ds = base_dataset(LensometryMeasurementsStorage, "LEN")
    ds.RightLensSequence = [
        lens(
            -2.25,
            -0.75,
            95,
            add=2.0,
            prism=item(
                HorizontalPrismPower=0.5,
                HorizontalPrismBase="IN",
                VerticalPrismPower=1.0,
                VerticalPrismBase="DOWN",
            ),
        )
    ]
    ds.LeftLensSequence = [lens(-1.75, -1.0, 80, add=2.0)]
    data = to_bytes(ds)
    assert detect(data) is dicom
    [m] = parse_auto(data)
    assert m.kind is MeasurementKind.LENSOMETRY
    right = m.eye("R")
    assert right is not None
    assert (right.sphere, right.cylinder, right.axis, right.add) == (D("-2.25"), D("-0.75"), 95, D("2.0"))
    assert (right.prism_h, right.prism_h_base) == (D("0.5"), HorizontalPrismBase.IN)
    assert (right.prism_v, right.prism_v_base) == (D("1.0"), VerticalPrismBase.DOWN)
    assert m.eye("L").axis == 80
    assert (m.maker, m.model, m.serial, m.patient_id) == ("TOPCON", "CV-5000", "SN123", "C000042")
    assert m.taken_at is not None and m.taken_at.isoformat() == "2026-03-04T10:15:02+00:00"
    assert (m.pd.distance, m.pd.near) == (D("63.5"), D("60.0"))
    assert m.extras["laterality"] == "B" and m.extras["modality"] == "LEN"
    assert m.raw == data


def test_autorefraction_values_are_exact_decimals() -> None:
    ds = base_dataset(AutorefractionMeasurementsStorage, "AR")
    ds.AutorefractionRightEyeSequence = [
        item(
            SpherePower=-2.13,
            VertexDistance=12.0,
            CylinderSequence=[item(CylinderPower=-0.37, CylinderAxis=178.0)],
        )
    ]
    ds.AutorefractionLeftEyeSequence = [lens(0.1, -0.2, 5)]
    [m] = parse_auto(to_bytes(ds))
    right = m.eye("R")
    assert right is not None
    # 0.01 D values survive the binary float round trip as the Decimals the device meant.
    assert (right.sphere, right.cylinder, right.axis, right.vertex_distance) == (
        D("-2.13"),
        D("-0.37"),
        178,
        D("12.0"),
    )
    assert (m.eye("L").sphere, m.eye("L").cylinder) == (D("0.1"), D("-0.2"))


def test_keratometry_flat_is_k1_steep_is_k2() -> None:
    ds = base_dataset(KeratometryMeasurementsStorage, "KER")
    ds.KeratometryRightEyeSequence = [
        item(
            FlatKeratometricAxisSequence=[
                item(RadiusOfCurvature=7.8, KeratometricPower=43.27, KeratometricAxis=90.0)
            ],
            SteepKeratometricAxisSequence=[
                item(RadiusOfCurvature=7.65, KeratometricPower=44.12, KeratometricAxis=0.0)
            ],
        )
    ]
    [m] = parse_auto(to_bytes(ds))
    k = m.eye("R")
    assert k is not None
    assert (k.k1_radius_mm, k.k1_power, k.k1_axis) == (D("7.8"), D("43.27"), 90)
    assert (k.k2_radius_mm, k.k2_power, k.k2_axis) == (D("7.65"), D("44.12"), 0)
    assert "L" not in m.eyes


def test_subjective_refraction() -> None:
    ds = base_dataset(SubjectiveRefractionMeasurementsStorage, "SRF")
    ds.SubjectiveRefractionRightEyeSequence = [lens(-1.25, -0.5, 180, add=2.25)]
    ds.SubjectiveRefractionLeftEyeSequence = [
        item(
            SpherePower=-1.0,
            AddNearSequence=[item(AddPower=2.25)],
            AddIntermediateSequence=[item(AddPower=1.25)],
        )
    ]
    [m] = parse_auto(to_bytes(ds))
    assert m.kind is MeasurementKind.SUBJECTIVE_REFRACTION
    assert (m.eye("R").sphere, m.eye("R").cylinder, m.eye("R").axis, m.eye("R").add) == (
        D("-1.25"),
        D("-0.5"),
        180,
        D("2.25"),
    )
    assert (m.eye("L").sphere, m.eye("L").cylinder, m.eye("L").add, m.eye("L").add2) == (
        D("-1.0"),
        None,
        D("2.25"),
        D("1.25"),
    )


def test_visual_acuity_right_left_and_both() -> None:
    ds = base_dataset(VisualAcuityMeasurementsStorage, "VA")
    ds.VisualAcuityRightEyeSequence = [
        item(ViewingDistanceType="NEAR", DecimalVisualAcuity=0.8),
        item(ViewingDistanceType="DISTANCE", DecimalVisualAcuity=1.0),
    ]
    ds.VisualAcuityLeftEyeSequence = [item(DecimalVisualAcuity=1.25)]
    ds.VisualAcuityBothEyesOpenSequence = [item(DecimalVisualAcuity=1.6)]
    [m] = parse_auto(to_bytes(ds))
    assert m.kind is MeasurementKind.VISUAL_ACUITY
    assert {eye: side.representative.va_decimal for eye, side in m.eyes.items()} == {
        "R": D("1.0"),
        "L": D("1.25"),
        "B": D("1.6"),
    }
    assert [r.va_decimal for r in m.eyes["R"].readings] == [D("0.8"), D("1.0")]


def test_parse_dataset_directly_as_from_a_storage_scp() -> None:
    ds = base_dataset(AutorefractionMeasurementsStorage, "AR")
    ds.AutorefractionRightEyeSequence = [lens(-3.0, -1.0, 10)]
    [m] = parse_dataset(ds)
    assert m.eye("R").sphere == D("-3.0")
    assert m.raw  # encoded for the audit copy
    del ds.file_meta
    [m] = parse_dataset(ds, raw=b"as received")
    assert m.raw == b"as received"


def test_implicit_vr_file_and_missing_sop_class() -> None:
    ds = base_dataset(AutorefractionMeasurementsStorage, "AR")
    ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
    ds.AutorefractionLeftEyeSequence = [lens(1.5, -0.25, 90)]
    del ds.SOPClassUID  # recognised by its eye sequence
    [m] = parse_auto(to_bytes(ds))
    assert m.kind is MeasurementKind.AUTOREFRACTION and m.eye("L").sphere == D("1.5")


def test_timezone_offset_and_local_time() -> None:
    ds = base_dataset(AutorefractionMeasurementsStorage, "AR")
    ds.AutorefractionRightEyeSequence = [lens(-1.0, -0.5, 90)]
    ds.TimezoneOffsetFromUTC = "+0100"
    ds.ContentDate = "20260704"
    [m] = dicom.parse(to_bytes(ds))
    assert m.taken_at is not None and m.taken_at.isoformat() == "2026-07-04T10:15:02+01:00"
    del ds.TimezoneOffsetFromUTC
    [m] = dicom.parse(to_bytes(ds))
    assert m.taken_at is not None and m.taken_at.utcoffset() is not None  # practice's zone attached


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: base_dataset(SecondaryCaptureImageStorage, "OT"), "not a refractive measurement"),
        (lambda: base_dataset(LensometryMeasurementsStorage, "LEN"), "no eye values"),
    ],
)
def test_not_a_refractive_measurement(build: Callable[[], Dataset], message: str) -> None:
    data = to_bytes(build())
    with pytest.raises(ParseError, match=message) as info:
        dicom.parse(data)
    assert info.value.raw == data


def test_bad_prism_base() -> None:
    ds = base_dataset(LensometryMeasurementsStorage, "LEN")
    ds.RightLensSequence = [
        lens(-1.0, -0.5, 90, prism=item(HorizontalPrismPower=1.0, HorizontalPrismBase="UP"))
    ]
    with pytest.raises(ParseError, match="IN/OUT"):
        dicom.parse(to_bytes(ds))


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("data", [b"", b"DICM", b"\x00" * 128 + b"DICM" + b"\xff" * 40, b"\x08\x00garbage"])
def test_garbage_is_a_parse_error(data: bytes) -> None:
    with pytest.raises(ParseError):
        dicom.parse(data)


@pytest.mark.filterwarnings("ignore::UserWarning")  # pydicom warns as it meets the cut
def test_cut_off_file() -> None:
    """A file copied while still being written ends part-way through an element: refused."""
    ds = base_dataset(LensometryMeasurementsStorage, "LEN")
    ds.RightLensSequence = [lens(-2.25, -0.75, 95)]
    data = to_bytes(ds)
    # The last two elements (the PDs) are 16 bytes each; a cut exactly between elements leaves a
    # valid, shorter file, which no reader can tell apart - every other cut must be refused.
    for cut in range(1, 200):
        if cut in (16, 32):
            continue
        with pytest.raises(ParseError):
            dicom.parse(data[: len(data) - cut])
