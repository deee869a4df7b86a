"""The eye examination record: its blocks, the rules for each, and finalising.

Pure rules and shapes, no I/O, in the order a clinician works through the record:

* ``history`` — reason for visit, symptoms, history; conditions read from it
* ``vision`` — visual acuity in every UK notation; the vision block
* ``refraction`` — current spectacles, objective and subjective refraction, keratometry
* ``binocular`` — binocular vision
* ``ocular_health`` — the anterior and posterior eye
* ``pressures`` — IOP and visual fields
* ``devices`` — readings from the test-room devices into their blocks
* ``record`` — the whole record and what makes a draft wrong
* ``finalising`` — what must be recorded before it becomes read-only
* ``recall`` — diagnosis and management's recall interval
* ``protocols`` — the checklists beside the record
* ``referral`` — what a referral letter reports; ``clinic`` — who is seen next

Everything other code imported from ``ils_desktop.domain.exam`` is still importable from here.
"""

from __future__ import annotations

from ils_desktop.domain.exam.binocular import (
    BinocularVision,
)
from ils_desktop.domain.exam.devices import (
    MEASUREMENT_BLOCKS,
    MEASUREMENT_NAMES,
    DeviceSource,
    apply_device_reading,
    block_for_measurement,
    describe_device_reading,
)
from ils_desktop.domain.exam.finalising import (
    finalising_problems,
    required_sections,
)
from ils_desktop.domain.exam.history import (
    History,
    PatientConditions,
    conditions_from_history,
    mentions,
)
from ils_desktop.domain.exam.ocular_health import (
    GRADE_MAX,
    GRADE_MIN,
    GRADED_FEATURES,
    GRADING_SCALES,
    POSTERIOR_METHODS,
    AnteriorEye,
    AnteriorSegment,
    PosteriorEye,
    PosteriorSegment,
    grade_problem,
)
from ils_desktop.domain.exam.pressures import (
    FIELD_METHODS,
    IOP_MAX,
    IOP_METHODS,
    IOP_MIN,
    Iop,
    VisualFields,
    format_iop_readings,
    iop_mean,
    normalise_time,
    parse_iop_readings,
)
from ils_desktop.domain.exam.protocols import (
    DEFAULT_PROTOCOLS,
    ProtocolDefinition,
    outstanding_items,
    protocol_applies,
)
from ils_desktop.domain.exam.recall import (
    DEFAULT_RECALL_POLICY,
    RecallPolicy,
    RecallSuggestion,
    add_months,
    age_on,
    suggest_recall,
)
from ils_desktop.domain.exam.record import (
    BLOCKS,
    SECTION_TITLES,
    ExamContent,
    content_problems,
    content_text_problems,
)
from ils_desktop.domain.exam.refraction import (
    LENS_TYPES,
    OBJECTIVE_METHODS,
    CurrentSpectacles,
    Keratometry,
    KeratometryEye,
    ObjectiveRefraction,
    PupillaryDistance,
    RefractionEye,
    SubjectiveRefraction,
    format_eye_rx,
    refraction_eye_problems,
)
from ils_desktop.domain.exam.values import (
    EYES,
    LONDON,
    bool_of,
    decimal_from,
    int_from,
    mapping_of,
    number_text,
    plain_text,
    signed_text,
    text_of,
)
from ils_desktop.domain.exam.vision import (
    LOGMAR_MAX,
    LOGMAR_MIN,
    LOGMAR_PER_LETTER,
    LOW_VISION,
    N_POINT_SIZES,
    SNELLEN_DENOMINATORS,
    VA_CONDITIONS,
    VA_DISTANCES,
    VA_EYES,
    VA_NOTATIONS,
    Vision,
    VisualAcuity,
    format_va,
    parse_va,
    va_problem,
)

__all__ = [
    "BLOCKS",
    "DEFAULT_PROTOCOLS",
    "DEFAULT_RECALL_POLICY",

    "EYES",
    "FIELD_METHODS",
    "GRADED_FEATURES",
    "GRADE_MAX",
    "GRADE_MIN",
    "GRADING_SCALES",
    "IOP_MAX",
    "IOP_METHODS",
    "IOP_MIN",
    "LENS_TYPES",
    "LOGMAR_MAX",
    "LOGMAR_MIN",
    "LOGMAR_PER_LETTER",
    "LONDON",
    "LOW_VISION",
    "MEASUREMENT_BLOCKS",
    "MEASUREMENT_NAMES",
    "N_POINT_SIZES",
    "OBJECTIVE_METHODS",
    "POSTERIOR_METHODS",
    "SECTION_TITLES",

    "SNELLEN_DENOMINATORS",
    "VA_CONDITIONS",
    "VA_DISTANCES",
    "VA_EYES",
    "VA_NOTATIONS",
    "AnteriorEye",
    "AnteriorSegment",
    "BinocularVision",
    "CurrentSpectacles",
    "DeviceSource",
    "ExamContent",
    "History",
    "Iop",
    "Keratometry",
    "KeratometryEye",
    "ObjectiveRefraction",
    "PatientConditions",
    "PosteriorEye",
    "PosteriorSegment",
    "ProtocolDefinition",
    "PupillaryDistance",
    "RecallPolicy",
    "RecallSuggestion",
    "RefractionEye",
    "SubjectiveRefraction",
    "Vision",
    "VisualAcuity",
    "VisualFields",
    "add_months",
    "age_on",
    "apply_device_reading",
    "block_for_measurement",
    "bool_of",

    "conditions_from_history",
    "content_problems",
    "content_text_problems",
    "decimal_from",
    "describe_device_reading",
    "finalising_problems",
    "format_eye_rx",
    "format_iop_readings",
    "format_va",
    "grade_problem",
    "int_from",
    "iop_mean",
    "mapping_of",
    "mentions",
    "normalise_time",
    "number_text",
    "outstanding_items",
    "parse_iop_readings",
    "parse_va",
    "plain_text",
    "protocol_applies",
    "refraction_eye_problems",
    "required_sections",
    "signed_text",
    "suggest_recall",
    "text_of",
    "va_problem",
]
