"""History and symptoms: what the patient tells the clinician, and the conditions read from it.

The history (general health, medication, allergies, ocular and family ocular history, lifestyle)
is prefilled from the patient record and confirmed at the examination. Conditions that shorten the
recall or bring a protocol (diabetes, glaucoma, ocular hypertension, family glaucoma) are found by a
deliberately simple, negation-aware keyword match: a prompt for the clinician, never a diagnosis.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

from ils_desktop.domain.exam.values import bool_of, mapping_of, text_of


@dataclass(frozen=True)
class History:
    """General health, medication, allergies, ocular and family ocular history, lifestyle."""

    general_health: str | None = None
    medications: str | None = None
    allergies: str | None = None
    ocular_history: str | None = None
    family_ocular_history: str | None = None
    occupation: str | None = None
    driver: bool | None = None
    vdu_user: bool | None = None
    hobbies: str | None = None
    notes: str | None = None

    _TEXT: ClassVar[tuple[str, ...]] = ("general_health", "medications", "allergies", "ocular_history",
                                        "family_ocular_history", "occupation", "hobbies", "notes")

    def to_json(self) -> dict[str, Any]:
        return {**{name: getattr(self, name) for name in self._TEXT}, "driver": self.driver,
                "vdu_user": self.vdu_user}

    @classmethod
    def from_json(cls, data: object) -> History:
        values = mapping_of(data)
        return cls(**{name: text_of(values.get(name)) for name in cls._TEXT},
                   driver=bool_of(values.get("driver")), vdu_user=bool_of(values.get("vdu_user")))

    def text_for_matching(self) -> str:
        """Everything written in the history, for protocol and recall condition matching."""
        return "\n".join(v for v in (self.general_health, self.medications, self.ocular_history,
                                     self.family_ocular_history, self.notes) if v)


# --------------------------------------------------------------------------------------------------
# Conditions, protocols, recall

_NEGATION = re.compile(r"\b(no|nil|not|denies|denied|negative|without|never|none)\b", re.IGNORECASE)
_CLAUSE = re.compile(r"[.;,\n]+")


def mentions(text: str | None, stem: str) -> bool:
    """True when ``text`` mentions ``stem`` (case-insensitive) other than in a negated clause.

    "Type 2 diabetes" → True for "diabet"; "No diabetes" and "FH glaucoma: nil" read as not
    mentioned. Deliberately simple: a prompt for the clinician, never a diagnosis.
    """
    if not text or not stem:
        return False
    needle = stem.lower()
    for clause in _CLAUSE.split(text.lower()):
        position = clause.find(needle)
        if position < 0:
            continue
        if _NEGATION.search(clause[:position]) or re.search(r":\s*(nil|none|no)\b", clause[position:]):
            continue
        return True
    return False


@dataclass(frozen=True)
class PatientConditions:
    """What the recall and protocol rules need to know about a patient."""

    diabetes: bool = False
    glaucoma: bool = False
    ocular_hypertension: bool = False
    family_glaucoma: bool = False
    binocular_vision_anomaly: bool = False


def conditions_from_history(history: History, extra_text: str | None = None) -> PatientConditions:
    """Conditions mentioned in the history (negation-aware keyword match, see ``mentions``)."""
    own = "\n".join(t for t in (history.general_health, history.medications, history.ocular_history,
                                history.notes, extra_text) if t)
    return PatientConditions(
        diabetes=mentions(own, "diabet") or mentions(own, "metformin") or mentions(own, "insulin"),
        glaucoma=mentions(own, "glaucoma"),
        ocular_hypertension=mentions(own, "ocular hypertension") or mentions(own, "oht"),
        family_glaucoma=mentions(history.family_ocular_history, "glaucoma"),
    )


