"""The examination record's rules: VA notations, IOP, JSON blocks (the subjective contract),
completeness for finalising, conditions and protocols, recall intervals, GOC numbers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from ils_desktop.domain.exam import (
    AnteriorEye,
    AnteriorSegment,
    BinocularVision,
    CurrentSpectacles,
    DeviceSource,
    ExamContent,
    History,
    Iop,
    Keratometry,
    KeratometryEye,
    ObjectiveRefraction,
    PatientConditions,
    PosteriorEye,
    PosteriorSegment,
    PupillaryDistance,
    RecallPolicy,
    RefractionEye,
    SubjectiveRefraction,
    Vision,
    VisualFields,
    add_months,
    age_on,
    block_for_measurement,
    conditions_from_history,
    finalising_problems,
    format_va,
    iop_mean,
    mentions,
    normalise_time,
    outstanding_items,
    parse_iop_readings,
    parse_va,
    protocol_applies,
    required_sections,
    suggest_recall,
    va_problem,
)
from ils_desktop.domain.exam.clinic import next_in_clinic
from ils_desktop.domain.goc import (
    RegistrationCheck,
    check_problems,
    deciding_check,
    goc_number_problem,
    registrant_type_for_number,
)
from ils_desktop.domain.rx import Prism, parse_prism, parse_sca

D = Decimal

# --------------------------------------------------------------------------------------------------
# Visual acuity


@pytest.mark.parametrize(("typed", "canonical", "notation", "logmar"), [
    ("6/6", "6/6", "snellen", "0.00"),
    ("6 / 9", "6/9", "snellen", "0.18"),
    ("6/9-2", "6/9-2", "snellen", "0.22"),   # two letters missed: 0.02 worse each
    ("6/6+1", "6/6+1", "snellen", "-0.02"),  # one letter of the next line read
    ("6/4.8", "6/4.8", "snellen", "-0.10"),
    ("6/3", "6/3", "snellen", "-0.30"),
    ("6/60", "6/60", "snellen", "1.00"),
    ("3/60", "3/60", "snellen", "1.30"),     # reduced test distance
    ("0.1", "0.10", "logmar", "0.10"),
    ("-0.08", "-0.08", "logmar", "-0.08"),
    ("-0.00", "0.00", "logmar", "0.00"),
    ("1.30", "1.30", "logmar", "1.30"),
    ("n5", "N5", "n_point", None),
    ("N 48", "N48", "n_point", None),
    ("cf", "CF", "low_vision", None),
    ("LP", "PL", "low_vision", None),
    ("npl", "NPL", "low_vision", None),
])
def test_visual_acuity_notations(typed, canonical, notation, logmar):
    va = parse_va(typed)
    assert (va.text, va.notation) == (canonical, notation)
    assert va.logmar == (None if logmar is None else D(logmar))
    assert format_va(typed) == canonical


@pytest.mark.parametrize(("typed", "message"), [
    ("", "empty"),
    ("6/10", "not a line of a 6 m chart"),
    ("20/20", "6/x"),
    ("6/9-5", "at most 4 letters"),
    ("1.5", "out of range"),
    ("-0.4", "out of range"),
    ("N7", "not a near test type"),
    ("good", "Cannot read"),
])
def test_visual_acuity_errors_say_what_to_type(typed, message):
    with pytest.raises(ValueError, match=message):
        parse_va(typed)


@pytest.mark.parametrize(("typed", "near", "problem"), [
    ("6/6", False, None), ("N5", True, None), ("0.10", True, None), ("CF", True, None), ("", False, None),
    ("N5", False, "near acuity"), ("6/6", True, "distance acuity"), ("6/7", False, "not a line"),
])
def test_va_problem_knows_distance_from_near(typed, near, problem):
    found = va_problem(typed, near=near)
    assert (found is None) if problem is None else (problem in found)


# --------------------------------------------------------------------------------------------------
# IOP


@pytest.mark.parametrize(("typed", "readings", "mean"), [
    ("15 16 15", ("15", "16", "15"), "15.3"),
    ("15, 16,15", ("15", "16", "15"), "15.3"),
    ("14/15", ("14", "15"), "14.5"),
    ("21", ("21",), "21.0"),
    ("", (), None),
])
def test_repeated_iop_readings_and_their_mean(typed, readings, mean):
    parsed = parse_iop_readings(typed)
    assert parsed == tuple(D(r) for r in readings)
    assert iop_mean(parsed) == (None if mean is None else D(mean))


@pytest.mark.parametrize("typed", ["0", "95", "high", "15 x"])
def test_implausible_iop_readings_are_refused(typed):
    with pytest.raises(ValueError):
        parse_iop_readings(typed)


@pytest.mark.parametrize(("typed", "time"), [("10:15", "10:15"), ("1015", "10:15"), ("9.05", "09:05"),
                                              ("", None), (None, None)])
def test_iop_time_of_day(typed, time):
    assert normalise_time(typed) == time


@pytest.mark.parametrize("typed", ["25:00", "10:75", "noon"])
def test_bad_times(typed):
    with pytest.raises(ValueError, match="HH:MM"):
        normalise_time(typed)


def test_iop_block_keeps_method_time_and_readings():
    iop = Iop("goldmann", "10:15", (D("15"), D("16")), (D("18"),))
    data = iop.to_json()
    assert data["R"] == {"readings": ["15", "16"], "mean": "15.5"} and data["L"]["mean"] == "18.0"
    assert Iop.from_json(data) == iop and iop.problems() == []
    assert Iop(R=(D("15"),)).problems() == ["Record how the IOP was measured (method)"]


# --------------------------------------------------------------------------------------------------
# The JSON blocks


def test_subjective_refraction_follows_the_contract_exactly():
    subjective = SubjectiveRefraction(
        RefractionEye(parse_sca("-1.25/-0.50x180"), parse_prism("0.5 BI"), None, D("2.00"), None, "6/6"),
        RefractionEye(parse_sca("+2.00DS"), None, parse_prism("1 BD"), D("2.00"), D("1.00"), "6/9-2"),
        "6/5", PupillaryDistance(D("63"), D("60"), D("31.5"), D("31.5")))
    assert subjective.to_json() == {
        "R": {"sphere": "-1.25", "cylinder": "-0.50", "axis": 180, "prism_h": "0.50", "prism_h_base": "IN",
              "prism_v": None, "prism_v_base": None, "near_add": "+2.00", "intermediate_add": None, "va": "6/6"},
        "L": {"sphere": "+2.00", "cylinder": None, "axis": None, "prism_h": None, "prism_h_base": None,
              "prism_v": "1.00", "prism_v_base": "DOWN", "near_add": "+2.00", "intermediate_add": "+1.00",
              "va": "6/9-2"},
        "binocular_va": "6/5",
        "pd": {"distance": "63.0", "near": "60.0", "R": "31.5", "L": "31.5"},
    }
    assert SubjectiveRefraction.from_json(subjective.to_json()) == subjective
    assert SubjectiveRefraction().to_json()["R"]["sphere"] is None


@pytest.mark.parametrize("block", [
    History("Hypertension", "Amlodipine", "Penicillin", None, "Mother: glaucoma", "Teacher", True, False),
    Vision("logmar", {("distance", "unaided", "R"): "0.30", ("near", "best_corrected", "B"): "N5"}, "Pinhole 0.10"),
    CurrentSpectacles("varifocal", RefractionEye(parse_sca("-1.00/-0.25x175"), near_add=D("1.75")),
                      RefractionEye(parse_sca("-0.75DS"), near_add=D("1.75")), "3 years"),
    ObjectiveRefraction("autorefraction", parse_sca("-1.37/-0.62x178"), parse_sca("+0.12DS")),
    BinocularVision("Ortho", "4Δ XOP", "Full, smooth", D("8"), D("5.5"), D("5.0"), "60\"", None),
    AnteriorSegment("Slit lamp", "efron", AnteriorEye(D("1"), D("1.5"), D("0"), 4, "Clear"),
                    AnteriorEye(van_herick=3), "PERRL, no RAPD"),
    PosteriorSegment("volk", True, "Tropicamide 1%", PosteriorEye(D("0.35"), "Pink, distinct", "Healthy",
                                                                  retinopathy="R0 M0"), PosteriorEye(D("0.4"))),
    Iop("non_contact", "10:15", (D("14"), D("15"), D("15")), (D("16"),)),
    VisualFields("fdt", "Full", "Full"),
    Keratometry(KeratometryEye(D("7.76"), D("43.50"), 180, D("7.70"), D("43.75"), 90)),
])
def test_every_block_round_trips_through_json(block):
    assert type(block).from_json(block.to_json()) == block


def test_device_values_keep_their_hundredths_and_are_only_range_checked():
    objective = ObjectiveRefraction("autorefraction", parse_sca("-1.37/-0.62x178"), None)
    assert objective.to_json()["R"] == {"sphere": "-1.37", "cylinder": "-0.62", "axis": 178}
    assert objective.problems() == []
    spectacles = CurrentSpectacles(R=RefractionEye(parse_sca("-1.37DS")))
    assert spectacles.problems() == []
    assert SubjectiveRefraction(RefractionEye(parse_sca("-1.37DS"))).problems() == [
        "R: Sphere -1.37 is not a multiple of 0.25 D"]


@pytest.mark.parametrize(("eye", "problem"), [
    (RefractionEye(near_add=D("4.50")), "out of range"),
    (RefractionEye(near_add=D("1.30")), "multiple of 0.25"),
    (RefractionEye(prism_h=Prism(D("1"), "UP")), "horizontal prism has base IN or OUT"),
    (RefractionEye(prism_v=Prism(D("1"), "IN")), "vertical prism has base UP or DOWN"),
    (RefractionEye(va="6/7"), "not a line"),
    (RefractionEye(parse_sca("-1.00/-0.50x180"), va="6/6"), None),
])
def test_refraction_eye_rules(eye, problem):
    problems = SubjectiveRefraction(R=eye).problems()
    assert (problems == []) if problem is None else any(problem in p for p in problems)


def test_whole_content_round_trips_through_the_columns():
    source = DeviceSource("ARK-1", "autorefraction", datetime(2026, 3, 2, 10, 15, tzinfo=UTC), "r-1")
    content = ExamContent(
        reason_for_visit="Routine", symptoms="Blur at near", iop=Iop("icare", "09:30", (D("12"),), (D("13"),)),
        objective_refraction=ObjectiveRefraction("autorefraction", parse_sca("-1.00DS"), parse_sca("-1.25DS")),
        device_sources={"objective_refraction": source}, diagnosis="Presbyopia", recall_months=24,
        referral_made=True, protocol_checks={"Sight test": {"External examination of the eye": True}})
    assert ExamContent.from_columns(content.to_columns()) == content
    assert ExamContent.from_columns({}) == ExamContent()


@pytest.mark.parametrize(("received", "today", "edited", "label"), [
    (datetime(2026, 3, 10, 10, 15, tzinfo=UTC), date(2026, 3, 10), False, "From ARK-1 at 10:15"),
    # 23:30 UTC in summer is 00:30 the next day in London: today's reading, at London time.
    (datetime(2026, 7, 10, 23, 30, tzinfo=UTC), date(2026, 7, 11), False, "From ARK-1 at 00:30"),
    (datetime(2026, 7, 10, 23, 30, tzinfo=UTC), date(2026, 7, 10), False, "From ARK-1 at 11/07/2026 00:30"),
    (datetime(2025, 1, 2, 9, 0, tzinfo=UTC), date(2026, 3, 10), True, "From ARK-1 at 02/01/2025 09:00 · edited"),
])
def test_device_source_label_shows_device_and_london_time(received, today, edited, label):
    assert DeviceSource("ARK-1", "autorefraction", received, edited=edited).label(today) == label


@pytest.mark.parametrize(("kind", "block"), [
    ("autorefraction", "objective_refraction"), ("lensometry", "current_spectacles"),
    ("keratometry", "keratometry"), ("tonometry", "iop"), ("Focimetry", "current_spectacles"),
])
def test_device_measurements_fill_their_block(kind, block):
    assert block_for_measurement(kind) == block


def test_measurements_without_a_block_are_refused():
    with pytest.raises(ValueError, match="pachymetry"):
        block_for_measurement("pachymetry")


# --------------------------------------------------------------------------------------------------
# Finalising


def _complete_sight_test() -> ExamContent:
    return ExamContent(
        reason_for_visit="Routine",
        vision=Vision(acuities={("distance", "habitual", "R"): "6/6", ("distance", "unaided", "L"): "6/9"}),
        subjective_refraction=SubjectiveRefraction(RefractionEye(parse_sca("plano")), RefractionEye(parse_sca("pl"))),
        anterior_segment=AnteriorSegment(notes="Healthy"), posterior_segment=PosteriorSegment(notes="Healthy"),
        management="No change", recall_months=24)


@pytest.mark.parametrize(("appointment_type", "needs_refraction"), [
    ("sight_test", True), ("domiciliary", True), (None, True), ("cl_aftercare", False), ("cl_assessment", False),
])
def test_required_sections_depend_on_the_appointment(appointment_type, needs_refraction):
    sections = required_sections(appointment_type)
    assert ("subjective_refraction" in sections) is needs_refraction
    assert ("posterior_segment" in sections) is needs_refraction
    assert {"reason_for_visit", "vision", "anterior_segment", "management", "recall"} <= set(sections)


@pytest.mark.parametrize(("change", "section"), [
    ({"reason_for_visit": None}, "reason_for_visit"),
    ({"vision": Vision(acuities={("distance", "unaided", "R"): "6/6"})}, "vision"),
    ({"subjective_refraction": SubjectiveRefraction(RefractionEye(parse_sca("-1.00DS")))}, "subjective_refraction"),
    ({"anterior_segment": AnteriorSegment()}, "anterior_segment"),
    ({"posterior_segment": PosteriorSegment()}, "posterior_segment"),
    ({"management": None}, "management"),
    ({"recall_months": None}, "recall"),
    ({"anterior_segment": AnteriorSegment(R=AnteriorEye(cornea=D(5)))}, "anterior_segment"),
    ({"iop": Iop("goldmann", R=(D(95),))}, "iop"),
])
def test_finalising_names_the_section_to_complete(change, section):
    from dataclasses import replace

    assert finalising_problems(_complete_sight_test(), "sight_test") == {}
    assert section in finalising_problems(replace(_complete_sight_test(), **change), "sight_test")


# --------------------------------------------------------------------------------------------------
# Conditions, protocols, recall


@pytest.mark.parametrize(("text", "stem", "found"), [
    ("Type 2 diabetes", "diabet", True),
    ("DIABETIC since 2010", "diabet", True),
    ("No diabetes", "diabet", False),
    ("Denies diabetes. Hypertension", "diabet", False),
    ("Hypertension. No asthma, diabetic", "diabet", True),
    ("Glaucoma: nil", "glaucoma", False),
    ("Father has glaucoma", "glaucoma", True),
    (None, "glaucoma", False),
])
def test_mentions_reads_negations(text, stem, found):
    assert mentions(text, stem) is found


def test_conditions_come_from_the_history():
    history = History(general_health="Type 1 diabetes; ocular hypertension", family_ocular_history="Sister: glaucoma")
    assert conditions_from_history(history) == PatientConditions(diabetes=True, ocular_hypertension=True,
                                                                 family_glaucoma=True)
    assert conditions_from_history(History(medications="Metformin")).diabetes


@pytest.mark.parametrize(("age", "conditions", "months", "reason"), [
    (35, PatientConditions(), 24, "Routine adult"),
    (8, PatientConditions(), 12, "Under 16"),
    (8, PatientConditions(binocular_vision_anomaly=True), 6, "binocular vision anomaly"),
    (15, PatientConditions(), 12, "Under 16"),
    (16, PatientConditions(), 24, "Routine adult"),
    (69, PatientConditions(), 24, "Routine adult"),
    (70, PatientConditions(), 12, "70 or over"),
    (30, PatientConditions(diabetes=True), 12, "Diabetic"),
    (50, PatientConditions(glaucoma=True), 12, "Glaucoma"),
    (50, PatientConditions(ocular_hypertension=True), 12, "ocular hypertension"),
    (45, PatientConditions(family_glaucoma=True), 12, "Family history"),
    (35, PatientConditions(family_glaucoma=True), 24, "Routine adult"),  # under 40: no NHS annual test
    (75, PatientConditions(diabetes=True), 12, "Diabetic patient: annual eye examination · Aged 70"),
])
def test_recall_defaults_follow_the_nhs_minimum_intervals(age, conditions, months, reason):
    suggestion = suggest_recall(age, conditions)
    assert suggestion.months == months and reason in suggestion.reason


def test_recall_policy_is_configurable():
    assert suggest_recall(40, policy=RecallPolicy(adult_months=18)).months == 18
    assert suggest_recall(72, policy=RecallPolicy(older_months=6)).months == 6


@pytest.mark.parametrize(("start", "months", "due"), [
    (date(2026, 3, 2), 24, date(2028, 3, 2)), (date(2026, 1, 31), 1, date(2026, 2, 28)),
    (date(2027, 12, 15), 12, date(2028, 12, 15)), (date(2028, 2, 29), 12, date(2029, 2, 28)),
])
def test_recall_due_dates(start, months, due):
    assert add_months(start, months) == due


@pytest.mark.parametrize(("born", "on", "age"), [
    (date(1950, 6, 15), date(2026, 6, 14), 75), (date(1950, 6, 15), date(2026, 6, 15), 76),
])
def test_age_on(born, on, age):
    assert age_on(born, on) == age


@pytest.mark.parametrize(("protocol_type", "condition", "appointment", "text", "applies"), [
    ("sight_test", None, "sight_test", "", True),
    ("sight_test", None, "cl_aftercare", "", False),
    (None, "diabet", "sight_test", "Type 2 diabetes", True),
    (None, "diabet", "sight_test", "No diabetes", False),
    ("cl_aftercare", "diabet", "cl_aftercare", "diabetic", True),
    (None, None, "anything", "", True),
    ("sight_test", None, None, "", True),  # no type recorded: treated as a sight test
])
def test_protocols_apply_by_type_and_condition(protocol_type, condition, appointment, text, applies):
    assert protocol_applies(protocol_type, condition, appointment, text) is applies


def test_outstanding_protocol_items():
    from ils_desktop.domain.exam import DEFAULT_PROTOCOLS

    diabetic = next(p for p in DEFAULT_PROTOCOLS if p.title == "Diabetic patient")
    ticked = {"Diabetic patient": {"Dilated fundus examination": True}}
    assert outstanding_items([diabetic], ticked) == ["Diabetic patient: Document retinopathy grade (R/M)",
                                                     "Diabetic patient: Ask about diabetic eye screening"]


# --------------------------------------------------------------------------------------------------
# GOC


@pytest.mark.parametrize(("number", "registrant_type", "problem"), [
    ("01-12345", "optometrist", None),
    ("01 12345".replace(" ", "-"), None, None),
    ("D-12345", "dispensing_optician", None),
    ("d12345", "contact_lens_optician", None),
    ("B-00123", "body_corporate", None),
    ("01-1234", None, None),
    ("D-12345", "optometrist", "starts 01-"),
    ("01-12345", "dispensing_optician", "starts D-"),
    ("12345", None, "does not look like"),
    ("01-12", None, "does not look like"),
    ("", None, "Enter"),
])
def test_goc_numbers_are_checked_loosely(number, registrant_type, problem):
    found = goc_number_problem(number, registrant_type)
    assert (found is None) if problem is None else (problem in found)


@pytest.mark.parametrize(("number", "kind"), [("01-12345", "optometrist"), ("D-12345", "dispensing_optician"),
                                              ("B-00123", None), ("nonsense", None)])
def test_registrant_type_from_the_number(number, kind):
    assert registrant_type_for_number(number) == kind


@pytest.mark.parametrize(("status", "valid_until", "current"), [
    ("registered", date(2026, 6, 1), True), ("registered", date(2026, 5, 31), False),
    ("suspended", date(2027, 1, 1), False), ("removed", date(2027, 1, 1), False),
])
def test_a_registration_is_current_while_registered_and_in_date(status, valid_until, current):
    check = RegistrationCheck("01-12345", "optometrist", status, date(2026, 1, 1), valid_until)
    assert check.is_current(date(2026, 6, 1)) is current


def test_a_check_cannot_expire_before_it_was_made():
    check = RegistrationCheck("01-12345", "optometrist", "registered", date(2026, 1, 2), date(2026, 1, 1))
    assert set(check_problems(check)) == {"valid_until"}
    assert check_problems(RegistrationCheck("x", "alien", "maybe", date.today(), date.today() + timedelta(1))) \
        .keys() == {"goc_number", "registrant_type", "status"}


@pytest.mark.parametrize(("checks", "decides"), [
    ([], None),
    ([("registered", date(2026, 1, 5), date(2027, 1, 5))], 0),
    # The latest check decides, even when an older one is valid for longer.
    ([("registered", date(2025, 1, 5), date(2027, 6, 1)), ("suspended", date(2026, 2, 1), date(2026, 2, 1))], 1),
    # Two checks the same day: a not-registered result wins (the safe side)…
    ([("registered", date(2026, 2, 1), date(2027, 2, 1)), ("removed", date(2026, 2, 1), date(2026, 2, 1))], 1),
    # …else the one valid the longest.
    ([("registered", date(2026, 2, 1), date(2026, 8, 1)), ("registered", date(2026, 2, 1), date(2027, 2, 1))], 1),
])
def test_the_latest_goc_check_decides_and_a_refusal_wins_a_tie(checks, decides):
    recorded = [RegistrationCheck("01-12345", "optometrist", status, on, until) for status, on, until in checks]
    assert deciding_check(recorded) is (None if decides is None else recorded[decides])


@dataclass(frozen=True)
class _Slot:
    status: str
    starts_at: datetime
    exam_status: str | None = None


NINE = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(("slots", "now", "next_one"), [
    ([], NINE, None),
    # The patient in the test room comes first (a draft to resume), then whoever has arrived.
    ([_Slot("booked", NINE), _Slot("arrived", NINE), _Slot("in_test", NINE, "draft")], NINE, 2),
    ([_Slot("booked", NINE), _Slot("arrived", NINE + timedelta(hours=1))], NINE, 1),
    # A finalised exam in the room is done with.
    ([_Slot("in_test", NINE, "finalised"), _Slot("booked", NINE + timedelta(hours=1))], NINE, 1),
    # A booked patient is next until 30 minutes after their time, then the next booking is.
    ([_Slot("booked", NINE), _Slot("booked", NINE + timedelta(hours=1))], NINE + timedelta(minutes=30), 0),
    ([_Slot("booked", NINE), _Slot("booked", NINE + timedelta(hours=1))], NINE + timedelta(minutes=31), 1),
    ([_Slot("completed", NINE)], NINE, None),
])
def test_next_in_clinic(slots, now, next_one):
    assert next_in_clinic(slots, now) is (None if next_one is None else slots[next_one])
