"""The rules a patient's details meet before they are stored (``domain.patient_details``): NHS
numbers however they are spaced, names in their usual capitals, and the header's medical flags."""

from __future__ import annotations

from datetime import date

import pytest

from ils_desktop.domain.patient_details import PatientDetails, medical_flags, patient_problems, tidy_name_case

TODAY = date(2030, 6, 4)


def details(**more: object) -> PatientDetails:
    return PatientDetails(first_name="Margaret", last_name="Hughes", date_of_birth=date(1952, 4, 9),
                          **more)  # type: ignore[arg-type]


@pytest.mark.parametrize("nhs_number", ["9434765919", "943 476 5919", "943-476-5919", " 943 476 5919 "])
def test_a_valid_nhs_number_is_accepted_however_it_is_spaced(nhs_number: str) -> None:
    assert patient_problems(details(nhs_number=nhs_number), TODAY) == {}


@pytest.mark.parametrize(("typed", "stored"), [
    ("hughes", "Hughes"), ("HUGHES", "Hughes"), ("o'brien", "O'Brien"), ("smith-jones", "Smith-Jones"),
    ("mcdonald", "McDonald"), ("zoë", "Zoë"), ("  mary   ann ", "Mary Ann"),
    ("de la Cruz", "de la Cruz"), ("MacKenzie", "MacKenzie"), ("McDONALD", "McDONALD"),  # mixed: as typed
])
def test_names_typed_in_one_case_get_the_usual_capitals(typed: str, stored: str) -> None:
    assert tidy_name_case(typed) == stored



@pytest.mark.parametrize(("history", "medications", "family", "flags"), [
    ("Good general health", None, None, ()),
    ("Primary open-angle glaucoma", "Latanoprost", None, ("Glaucoma",)),
    ("No diabetes", None, None, ()),
    (None, "Insulin", None, ("Diabetic",)),
    ("Atrial fibrillation", "Warfarin", "Father: glaucoma", ("Anticoagulants", "FH glaucoma")),
    ("Ocular hypertension, monitored", None, None, ("Ocular hypertension",)),
    (None, None, None, ()),
    ("Type 2 diabetes", None, None, ("Diabetic",)),
    ("No diabetes", "Metformin", None, ("Diabetic",)),
    ("Epilepsy; glaucoma", "Warfarin", "Mother: glaucoma", ("Glaucoma", "Epilepsy", "Anticoagulants", "FH glaucoma")),
    ("Healthy", None, "FH glaucoma: nil", ()),
])
def test_medical_flags(history: str | None, medications: str | None, family: str | None,
                       flags: tuple[str, ...]) -> None:
    assert medical_flags(history, medications, family) == flags
