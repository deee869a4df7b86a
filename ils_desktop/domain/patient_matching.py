"""Whose reading is it? The rule that matches what a device says about its patient to a patient.

A reading filed on the wrong patient is a clinical error (someone else's prescription, someone
else's IOP in a glaucoma record), and an unmatched reading costs a receptionist ten seconds in the
inbox. So the rule never guesses:

1. **An id the app issued** - the worklist's ``C`` + customer number (``C000042``, see
   ``services.worklist.device_patient_id``), a patient's or a booking's UUID - is trusted: devices
   echo it from the worklist. Unless the device *also* sent a name or date of birth that
   contradicts that patient: then the operator picked the wrong worklist entry (or the data was
   forged), and the reading goes to the inbox with the reason.
2. **Any other id** - ``17``, ``0017``, ``ID-17``, typed on the device's keypad - is a guess at a
   customer number, and numbers are easy to mistype or forge. It is trusted only when the name
   **and** the date of birth the device sent both agree with that patient. Missing or
   contradicting details: inbox, with the reason.
3. **No id the app knows** (or an id that points at nobody): the name and date of birth must both
   be sent and fit exactly one patient. None, or several: inbox.
4. **Nothing at all about the patient**: the one patient "in test" in the device's room, if exactly
   one (worked out by the caller, passed as ``in_room``).

Names agree when they are the same after folding case, accents and punctuation (``O'BRIEN^ZOE``
is Zoë O'Brien); the device's given name may be just the first of ours (``MARY`` for Mary Ann) or its
initial. A name without ``^`` or a comma is tried both ways round (``Karen Williams`` /
``WILLIAMS KAREN``). Each outcome carries the reason shown in the unmatched inbox; reasons never
repeat the patient's details, only what kind of detail disagreed.
"""

from __future__ import annotations

import enum
import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import date

from ils_desktop.domain.equipment import MatchMethod

_ISSUED_CUSTOMER_ID = re.compile(r"C([0-9]{6,9})")
_DIGITS_IN_ID = re.compile(r"[A-Za-z]{0,4}[-_ #.:]?0*([0-9]{1,9})")


@dataclass(frozen=True)
class Candidate:
    """A patient as the matching rule sees them."""

    id: uuid.UUID
    family_name: str
    given_name: str
    birth_date: date | None


@dataclass(frozen=True)
class DeviceIdentity:
    """What the device said about its patient, as it said it."""

    patient_id: str | None = None
    name: str | None = None  # DICOM ``FAMILY^GIVEN``, ``Family, Given`` or ``Given Family``
    birth_date: date | None = None


@dataclass(frozen=True)
class Match:
    """The outcome: a patient and how, or no patient and why not."""

    patient_id: uuid.UUID | None
    method: MatchMethod | None
    reason: str | None = None  # set when patient_id is None and the device did say something


class IdKind(enum.StrEnum):
    ISSUED = "issued"  # C + zero-padded customer number, exactly as the worklist writes it
    UUID = "uuid"  # a patient or booking UUID (only the app hands those out)
    NUMBER = "number"  # some other spelling of a number: 17, 0017, ID-17, P-42, C42
    OTHER = "other"


def classify_device_id(device_id: str | None) -> tuple[IdKind, int | uuid.UUID | None]:
    """What kind of patient id a device sent, and the customer number or UUID in it."""
    text = (device_id or "").strip()
    if not text:
        return IdKind.OTHER, None
    issued = _ISSUED_CUSTOMER_ID.fullmatch(text)
    if issued and f"C{int(issued[1]):06d}" == text:
        return IdKind.ISSUED, int(issued[1])
    try:
        return IdKind.UUID, uuid.UUID(text)
    except ValueError:
        pass
    number = _DIGITS_IN_ID.fullmatch(text)
    if number and int(number[1]) > 0:
        return IdKind.NUMBER, int(number[1])
    return IdKind.OTHER, None


def fold(text: str) -> str:
    """A name for comparison: no accents, no case, letters and digits only (``O'Brien`` -> ``obrien``)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed.casefold() if ch.isalnum() and not unicodedata.combining(ch))


def _words(text: str) -> list[str]:
    return [w for w in (fold(part) for part in re.split(r"[\s\-]+", text)) if w]


def name_readings(name: str | None) -> list[tuple[str, str]]:
    """The (family, given) readings of a device's patient name, most likely first; [] when blank.

    ``FAMILY^GIVEN[^MIDDLE^PREFIX^SUFFIX]`` and ``Family, Given`` are unambiguous; ``Given Family``
    may also be ``FAMILY GIVEN`` (some devices put the family name first), so both are returned.
    """
    if not name or not name.strip():
        return []
    text = name.strip()
    if "^" in text:
        family, _, rest = text.partition("^")
        return [(family.strip(), rest.split("^")[0].strip())]
    if "," in text:
        family, _, given = text.partition(",")
        return [(family.strip(), given.strip())]
    parts = text.split()
    if len(parts) < 2:
        return [(text, "")]
    return [(parts[-1], " ".join(parts[:-1])), (parts[0], " ".join(parts[1:]))]


def _given_agrees(device_given: str, ours: str) -> bool:
    device_words, our_words = _words(device_given), _words(ours)
    if not device_words:
        return True  # no given name sent: the family name decides
    if not our_words:
        return False
    if "".join(device_words) == "".join(our_words) or device_words[0] == our_words[0]:
        return True
    return len(device_words[0]) == 1 and our_words[0].startswith(device_words[0])  # an initial


def name_agrees(name: str | None, candidate: Candidate) -> bool | None:
    """True/False when the device sent a name that does / does not fit; None when it sent none."""
    readings = name_readings(name)
    if not readings:
        return None
    family = fold(candidate.family_name)
    return any(
        fold(device_family) == family and bool(family) and _given_agrees(device_given, candidate.given_name)
        for device_family, device_given in readings
    )


def birth_date_agrees(birth_date: date | None, candidate: Candidate) -> bool | None:
    if birth_date is None or candidate.birth_date is None:
        return None
    return birth_date == candidate.birth_date


def _contradiction(device: DeviceIdentity, candidate: Candidate) -> str | None:
    wrong = [what for what, agrees in (("name", name_agrees(device.name, candidate)),
                                       ("date of birth", birth_date_agrees(device.birth_date, candidate)))
             if agrees is False]
    return " and ".join(wrong) if wrong else None


def match_patient(
    device: DeviceIdentity,
    *,
    by_id: Candidate | None,
    id_method: MatchMethod = MatchMethod.DEVICE_ID,
    by_name_and_birth_date: list[Candidate] | None = None,
    in_room: Candidate | None = None,
) -> Match:
    """Apply the rule in the module docstring.

    ``by_id`` is the patient the device's id points at (the caller resolves it: customer number,
    patient UUID or booking UUID, ``id_method`` saying which), ``by_name_and_birth_date`` the patients
    with the device's name and date of birth (same folding as :func:`name_agrees`), ``in_room`` the
    one patient in test in the device's room.
    """
    kind, _ = classify_device_id(device.patient_id)
    sent_id = bool((device.patient_id or "").strip())
    has_name = bool(name_readings(device.name))
    if by_id is not None:
        wrong = _contradiction(device, by_id)
        trusted = kind in (IdKind.ISSUED, IdKind.UUID)
        if wrong:
            verb = "differ" if " and " in wrong else "differs"
            return Match(None, None, f"The patient id the device sent belongs to a patient whose {wrong} "
                                     f"{verb} from what the device sent; check whose reading this is.")
        if trusted:
            return Match(by_id.id, id_method)
        if name_agrees(device.name, by_id) and birth_date_agrees(device.birth_date, by_id):
            return Match(by_id.id, MatchMethod.NAME_DOB)
        return Match(None, None, "The device sent a patient number the app did not issue, without the name and "
                                 "date of birth needed to confirm it.")
    if has_name and device.birth_date is not None:
        found = by_name_and_birth_date or []
        # The caller's lookup folds names one way round; keep only those that really fit.
        fitting = [c for c in found if name_agrees(device.name, c) and birth_date_agrees(device.birth_date, c)]
        if len(fitting) == 1:
            return Match(fitting[0].id, MatchMethod.NAME_DOB)
        if len(fitting) > 1:
            return Match(None, None, f"{len(fitting)} patients share the name and date of birth the device sent.")
        return Match(None, None, "No patient has the name and date of birth the device sent"
                     + (", and the patient id it sent is not known." if sent_id else "."))
    if not sent_id and not has_name and device.birth_date is None:
        if in_room is not None:
            return Match(in_room.id, MatchMethod.ROOM)
        return Match(None, None, "The device sent no patient details, and no one is in test in its room.")
    if sent_id:
        return Match(None, None, "The patient id the device sent is not known"
                     + (", and it sent no name and date of birth to go by." if not has_name else
                        "; a name without a date of birth is not enough to go by."))
    return Match(None, None, "The device sent a name without a date of birth (or a date of birth without a "
                             "name), which is not enough to tell whose reading this is.")
