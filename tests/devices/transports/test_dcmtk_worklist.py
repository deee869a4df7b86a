"""The worklist driven by DCMTK's ``findscu -W`` as a device vendor would, and compared with DCMTK's
own ``wlmscpfs`` over the same entries: matching keys (single value, wildcards, date and time
ranges, universal), every Type 1 and Type 2 return key, and character sets (docs/dicom-conformance.md)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from ils_desktop.devices.transports.dicom_worklist import WorklistEntry, WorklistSCP
from ils_desktop.domain.diary import LONDON
from tests.devices.transports.dcmtk import Wlmscpfs, findscu, free_port, need_dcmtk, write_worklist_files

DAY = date(2026, 12, 7)
NEXT = date(2026, 12, 8)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


def _entry(number: int, family: str, given: str, at: datetime, station: str, modality: str, **more: object
           ) -> WorklistEntry:
    return WorklistEntry(
        f"C{number:06d}", family, given, date(1960 + number % 40, 1 + number % 12, 1 + number % 28),
        "F" if number % 2 else "M", at, station, modality, "Sight test", accession_number=f"ILS{number:010d}",
        study_instance_uid=f"2.25.{1000 + number}", requested_procedure_id=f"RP{number:08d}",
        step_id=f"SP{number:08d}-{modality}", procedure_code="SIGHT_TEST", station_name=station, location="Room 1",
        performing_physician="Shah^Priya", **more)  # type: ignore[arg-type]


ENTRIES = [
    _entry(1, "Smith", "John", _at(DAY, 9), "ARK1", "AR"),
    _entry(2, "Smith", "Jane", _at(DAY, 9, 30), "OCT1", "OPT"),
    _entry(3, "Smithers", "Alan", _at(DAY, 11), "ARK1", "AR"),
    _entry(4, "O'Brien", "Zoë", _at(DAY, 14), "OCT1", "OPT"),
    _entry(5, "Ní Bhriain", "Mairéad", _at(DAY, 16, 45), "ARK1", "AR"),
    _entry(6, "Nowak", "Łukasz", _at(NEXT, 10), "OCT1", "OPT"),
    _entry(7, "Patel", "Asha", _at(NEXT, 12), "FUNDUS1", "OP"),
    _entry(8, "Jones", "Gareth", _at(NEXT, 17, 15), "ARK1", "AR"),
]


@pytest.fixture(scope="module")
def worklist():  # type: ignore[no-untyped-def]
    need_dcmtk()

    def provider(first: date | None, last: date | None) -> list[WorklistEntry]:
        return [e for e in ENTRIES if (first is None or e.scheduled_at.date() >= first)
                and (last is None or e.scheduled_at.date() <= last)]

    scp = WorklistSCP(ae_title="ILS", host="127.0.0.1", port=free_port(), provider=provider)
    scp.start()
    yield scp
    scp.stop()


@pytest.fixture(scope="module")
def reference(tmp_path_factory):  # type: ignore[no-untyped-def]
    need_dcmtk()
    folder = write_worklist_files(ENTRIES, tmp_path_factory.mktemp("wlmscpfs"))
    with Wlmscpfs(folder) as server:
        yield server


def _names(found: list) -> list[str]:  # type: ignore[type-arg]
    return sorted(str(ds.PatientName) for ds in found)


STEP = "ScheduledProcedureStepSequence[0]"
BASE = ["PatientName", "PatientID", f"{STEP}.Modality", f"{STEP}.ScheduledStationAETitle",
        f"{STEP}.ScheduledProcedureStepStartDate", f"{STEP}.ScheduledProcedureStepStartTime"]


def _query(**keys: str) -> list[str]:
    """Return keys plus matching keys (keys: "PatientName=Smith*" style, sequence keys by path)."""
    asked = {k.split("=")[0]: k for k in BASE}
    for name, value in keys.items():
        path = f"{STEP}.{name}" if name in ("Modality", "ScheduledStationAETitle", "ScheduledProcedureStepStartDate",
                                            "ScheduledProcedureStepStartTime") else name
        asked[path] = f"{path}={value}"
    return list(asked.values())


# Queries whose answer DCMTK's wlmscpfs gives too (case-exact names): ours must be the same.
SAME_AS_WLMSCPFS = {
    "universal": ({}, 8),
    "name wildcard Smith*": ({"PatientName": "Smith*"}, 3),
    "name wildcard Smith^J*": ({"PatientName": "Smith^J*"}, 2),
    "name with ? wildcard": ({"PatientName": "Sm?th^*"}, 2),
    "single patient id": ({"PatientID": "C000004"}, 1),
    "modality AR": ({"Modality": "AR"}, 4),
    "modality LEN (none booked)": ({"Modality": "LEN"}, 0),
    "station OCT1": ({"ScheduledStationAETitle": "OCT1"}, 3),
    "single date": ({"ScheduledProcedureStepStartDate": "20261207"}, 5),
    "date range over both days": ({"ScheduledProcedureStepStartDate": "20261207-20261208"}, 8),
    "open-ended date range": ({"ScheduledProcedureStepStartDate": "20261208-"}, 3),
    "date range up to": ({"ScheduledProcedureStepStartDate": "-20261207"}, 5),
    "a day with nobody": ({"ScheduledProcedureStepStartDate": "20261225"}, 0),
    "time range on a date": ({"ScheduledProcedureStepStartDate": "20261207",
                              "ScheduledProcedureStepStartTime": "0900-1130"}, 3),
    "combined date-time range": ({"ScheduledProcedureStepStartDate": "20261207-20261208",
                                  "ScheduledProcedureStepStartTime": "1400-1100"}, 3),
    "station and date": ({"ScheduledStationAETitle": "ARK1", "ScheduledProcedureStepStartDate": "20261208"}, 1),
}


@pytest.mark.parametrize("case", list(SAME_AS_WLMSCPFS))
def test_findscu_matching_agrees_with_wlmscpfs(worklist, reference, tmp_path, case):  # type: ignore[no-untyped-def]
    keys, expected = SAME_AS_WLMSCPFS[case]
    ours, done = findscu(worklist.port, _query(**keys), tmp_path / "ours")
    theirs, _ = findscu(reference.port, _query(**keys), tmp_path / "theirs")
    assert done.returncode == 0, done.stderr
    assert len(ours) == expected, _names(ours)
    # (Compared by id: wlmscpfs sends UTF-8 names without declaring a character set.)
    assert sorted(str(ds.PatientID) for ds in ours) == sorted(str(ds.PatientID) for ds in theirs)


def test_wildcards_apply_to_ids_too(worklist, tmp_path):  # type: ignore[no-untyped-def]
    """PS3.4 C.2.2.2.4 allows wildcards in any LO/SH/AE/CS key (wlmscpfs only honours them in some)."""
    found, _ = findscu(worklist.port, _query(PatientID="C00000?", ScheduledStationAETitle="*1"), tmp_path / "ids")
    assert len(found) == 8
    found, _ = findscu(worklist.port, _query(Modality="OP*"), tmp_path / "op")
    assert sorted(str(ds.ScheduledProcedureStepSequence[0].Modality) for ds in found) == ["OP", "OPT", "OPT", "OPT"]


def test_person_names_match_without_case_or_accents(worklist, tmp_path):  # type: ignore[no-untyped-def]
    """PS3.4 C.2.2.2.1 lets an SCP match PN case-insensitively; devices type names in capitals."""
    upper, _ = findscu(worklist.port, _query(PatientName="SMI*"), tmp_path / "a")
    assert _names(upper) == ["Smith^Jane", "Smith^John", "Smithers^Alan"]
    folded, _ = findscu(worklist.port, _query(PatientName="NI BHRIAIN^MAIREAD"), tmp_path / "b")
    assert [str(ds.PatientID) for ds in folded] == ["C000005"]


# PS3.4 K.6.1.2.2: the return keys of the Modality Worklist Information Model, Type 1 and Type 2.
TYPE_1 = ["PatientName", "PatientID", "StudyInstanceUID", "RequestedProcedureID",
          f"{STEP}.ScheduledStationAETitle", f"{STEP}.ScheduledProcedureStepStartDate",
          f"{STEP}.ScheduledProcedureStepStartTime", f"{STEP}.Modality", f"{STEP}.ScheduledProcedureStepID"]
TYPE_1C = ["RequestedProcedureDescription", f"{STEP}.ScheduledProcedureStepDescription"]
TYPE_2 = ["PatientBirthDate", "PatientSex", "PatientWeight", "ConfidentialityConstraintOnPatientDataDescription",
          "PatientState", "PregnancyStatus", "MedicalAlerts", "Allergies", "SpecialNeeds", "AdmissionID",
          "CurrentPatientLocation", "AccessionNumber", "RequestingPhysician", "ReferringPhysicianName",
          "RequestedProcedurePriority", "PatientTransportArrangements",
          f"{STEP}.ScheduledPerformingPhysicianName", f"{STEP}.ScheduledStationName",
          f"{STEP}.ScheduledProcedureStepLocation", f"{STEP}.PreMedication", f"{STEP}.RequestedContrastAgent"]
SEQUENCES = ["ReferencedStudySequence", "ReferencedPatientSequence", "RequestedProcedureCodeSequence",
             f"{STEP}.ScheduledProtocolCodeSequence"]


def _value(ds, path: str):  # type: ignore[no-untyped-def]
    if path.startswith(STEP):
        return _value(ds.ScheduledProcedureStepSequence[0], path[len(STEP) + 1:])
    assert path in ds, f"{path} missing from the answer"
    return ds[path].value


def test_every_type_1_and_2_return_key_is_answered(worklist, tmp_path):  # type: ignore[no-untyped-def]
    keys = [*TYPE_1, *TYPE_1C, *TYPE_2, *SEQUENCES]
    found, done = findscu(worklist.port, keys, tmp_path / "keys")
    assert done.returncode == 0, done.stderr
    assert len(found) == len(ENTRIES)
    for ds in found:
        for key in [*TYPE_1, *TYPE_1C]:
            assert str(_value(ds, key) or "").strip(), f"Type 1 key {key} is empty"
        for key in [*TYPE_2, *SEQUENCES]:
            _value(ds, key)  # present (may be empty)
        assert str(ds.StudyInstanceUID).startswith("2.25.")
        assert str(ds.AccessionNumber).startswith("ILS")
        step = ds.ScheduledProcedureStepSequence[0]
        assert str(step.ScheduledProcedureStepID).endswith(str(step.Modality))
        assert ds.RequestedProcedureCodeSequence[0].CodingSchemeDesignator == "99ILS"
    smith = next(ds for ds in found if str(ds.PatientID) == "C000001")
    assert (str(smith.PatientBirthDate), smith.PatientSex) == ("19610202", "F")
    assert str(smith.ScheduledProcedureStepSequence[0].ScheduledPerformingPhysicianName) == "Shah^Priya"


def test_only_asked_keys_are_returned(worklist, tmp_path):  # type: ignore[no-untyped-def]
    found, _ = findscu(worklist.port, ["PatientID=C000007", "PatientName"], tmp_path / "few")
    [ds] = found
    assert {e.keyword for e in ds} <= {"PatientID", "PatientName", "SpecificCharacterSet"}
    assert str(ds.PatientName) == "Patel^Asha"


@pytest.mark.parametrize(("asked", "answered", "name"), [
    ("ISO_IR 192", "ISO_IR 192", "Nowak^Łukasz"),
    ("ISO_IR 100", "ISO_IR 100", "Nowak^Lukasz"),  # Latin-1 has no Ł: the nearest Latin-1 spelling
    (None, "ISO_IR 192", "Nowak^Łukasz"),  # nothing asked: a declared UTF-8 rather than a "?"
])
def test_character_sets_are_honoured(worklist, tmp_path, asked, answered, name):  # type: ignore[no-untyped-def]
    keys = ["PatientID=C000006", "PatientName"] + ([f"SpecificCharacterSet={asked}"] if asked else [])
    [ds], _ = findscu(worklist.port, keys, tmp_path / "cs")
    assert ds.SpecificCharacterSet == answered
    assert str(ds.PatientName) == name


def test_latin1_names_are_declared_and_spelt_right(worklist, tmp_path):  # type: ignore[no-untyped-def]
    for asked in (None, "ISO_IR 100"):
        keys = ["PatientID=C000005", "PatientName"] + ([f"SpecificCharacterSet={asked}"] if asked else [])
        [ds], _ = findscu(worklist.port, keys, tmp_path / f"l1{asked}")
        assert ds.SpecificCharacterSet == "ISO_IR 100"
        assert str(ds.PatientName) == "Ní Bhriain^Mairéad"
        raw = ds["PatientName"].value.original_string
        assert raw == "Ní Bhriain^Mairéad".encode("latin-1")


def test_a_query_in_utf8_matches_an_accented_name(worklist, tmp_path):  # type: ignore[no-untyped-def]
    [ds], done = findscu(worklist.port, ["SpecificCharacterSet=ISO_IR 192", "PatientName=O'Brien^Zoë", "PatientID"],
                         tmp_path / "utf8")
    assert str(ds.PatientID) == "C000004", done.stderr


def test_a_malformed_date_key_is_refused_not_read_as_anything(worklist, tmp_path):  # type: ignore[no-untyped-def]
    found, done = findscu(worklist.port, _query(ScheduledProcedureStepStartDate="2026-12-07x"), tmp_path / "bad")
    assert found == []
    assert "DataSetDoesNotMatchSOPClass" in done.stdout + done.stderr
