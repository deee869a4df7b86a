"""The Modality Worklist as DICOM PS3.4 Annex K defines it: what an entry holds, how a C-FIND
identifier matches it, and what the answer carries.

Matching (PS3.4 C.2.2.2): an empty key matches anything (universal); a value with ``*`` or ``?``
is wildcard matching (``*`` any run of characters, ``?`` one character) for text VRs (AE, CS, LO,
PN, SH); ``D1-D2``, ``-D2`` and ``D1-`` are range matching for dates (DA) and times (TM), and when
both the Scheduled Procedure Step Start Date and Time are ranges they are matched together as one
date-time range (C.2.2.2.5.1); anything else is single-value matching. Person names are matched
without regard to case or accents (C.2.2.2.1 leaves this to the SCP for PN: ``SMITH`` finds Smith,
``OBRIEN*`` does not find O'Brien but ``O'BRIEN*`` does). Other text is matched exactly, trailing
spaces aside.

Answers (C.4.1.1.3.2): the identifier of each match carries every key the query asked for, with
the entry's value or empty when the entry has none; a sequence key asked with no item gets the
whole sequence. Entries hold every Type 1 and Type 2 return key of the Modality Worklist Information
Model (PS3.4 K.6.1.2.2), so any key a device asks for is answered.

Character sets (PS3.5 6.1): the answer is in ISO_IR 192 (UTF-8) when the query offered it; else
in the first character set the query named that can spell every name of the answer (ISO_IR 100,
Latin-1, for most UK names); else, when the query named none, in ISO_IR 192; else (the query
asked for Latin-1 and a name has a letter Latin-1 lacks, ``Łukasz``) the name is spelt with the
nearest Latin-1 letters (``Lukasz``) rather than sent as ``?ukasz`` or in a set the device did not
ask for.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from functools import lru_cache

from pydicom.charset import python_encoding
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pynetdicom import AE, evt
from pynetdicom.sop_class import (  # type: ignore[attr-defined]
    ModalityWorklistInformationFind,
    Verification,
)

from ils_desktop.devices.transports.dicom_access import CallerAllowList, reject_unregistered

log = logging.getLogger(__name__)

WorklistProvider = Callable[[date | None, date | None], list["WorklistEntry"]]
MAX_WORKLIST_ANSWERS = 1000
"""A query matching more steps than this gets the first ones and "out of resources" (0xA700): the
device should ask for a day or a station, as devices do."""

SPECIFIC_CHARACTER_SET = 0x00080005
_TEXT_VRS = frozenset({"AE", "CS", "LO", "LT", "PN", "SH", "ST", "UC", "UT"})


@dataclass(frozen=True)
class WorklistEntry:
    """One scheduled procedure step: a booked patient, for one device (station)."""

    patient_id: str
    family_name: str
    given_name: str
    birth_date: date | None
    sex: str  # "F", "M", "O" or ""
    scheduled_at: datetime  # practice time (Europe/London)
    station_ae_title: str
    modality: str = "OT"
    description: str = "Sight test"
    accession_number: str = ""
    study_instance_uid: str = ""
    requested_procedure_id: str = ""
    step_id: str = ""
    procedure_code: str = ""
    station_name: str = ""
    location: str = ""
    performing_physician: str = ""  # DICOM PN: FAMILY^GIVEN
    step_status: str = "SCHEDULED"

    def texts(self) -> tuple[str, ...]:
        """Every free text of the entry (what the character set must be able to spell)."""
        return (self.family_name, self.given_name, self.description, self.station_name, self.location,
                self.performing_physician)


def _code(value: str, meaning: str) -> Dataset:
    item = Dataset()
    item.CodeValue = value[:16]
    item.CodingSchemeDesignator = "99ILS"  # a private coding scheme (PS3.3 8.2: "99" + local)
    item.CodeMeaning = meaning[:64]
    return item


def entry_dataset(entry: WorklistEntry) -> Dataset:
    """The entry with every Type 1 and Type 2 return key of the worklist (PS3.4 K.6.1.2.2)."""
    ds = Dataset()
    # Patient identification, demographics and medical status
    ds.PatientName = f"{entry.family_name}^{entry.given_name}"
    ds.PatientID = entry.patient_id
    ds.IssuerOfPatientID = "ILS"
    ds.PatientBirthDate = f"{entry.birth_date:%Y%m%d}" if entry.birth_date else ""
    ds.PatientSex = entry.sex
    ds.PatientWeight = None
    ds.ConfidentialityConstraintOnPatientDataDescription = ""
    ds.PatientState = ""
    ds.PregnancyStatus = None
    ds.MedicalAlerts = None
    ds.Allergies = None
    ds.SpecialNeeds = ""
    # Visit
    ds.AdmissionID = ""
    ds.CurrentPatientLocation = ""
    ds.ReferencedPatientSequence = Sequence()
    # Imaging service request and requested procedure
    ds.AccessionNumber = entry.accession_number
    ds.RequestingPhysician = ""
    ds.ReferringPhysicianName = ""
    ds.RequestedProcedureID = entry.requested_procedure_id
    ds.RequestedProcedureDescription = entry.description[:64]
    ds.RequestedProcedureCodeSequence = [_code(entry.procedure_code or "EYE", entry.description)]
    ds.StudyInstanceUID = entry.study_instance_uid
    ds.ReferencedStudySequence = Sequence()
    ds.RequestedProcedurePriority = ""
    ds.PatientTransportArrangements = ""
    # Scheduled procedure step
    step = Dataset()
    step.ScheduledStationAETitle = entry.station_ae_title
    step.ScheduledProcedureStepStartDate = f"{entry.scheduled_at:%Y%m%d}"
    step.ScheduledProcedureStepStartTime = f"{entry.scheduled_at:%H%M%S}"
    step.Modality = entry.modality
    step.ScheduledPerformingPhysicianName = entry.performing_physician
    step.ScheduledProcedureStepDescription = entry.description[:64]
    step.ScheduledProtocolCodeSequence = [_code(entry.procedure_code or "EYE", entry.description)]
    step.ScheduledStationName = entry.station_name[:16]
    step.ScheduledProcedureStepLocation = entry.location[:16]
    step.PreMedication = ""
    step.ScheduledProcedureStepID = entry.step_id
    step.RequestedContrastAgent = ""
    step.ScheduledProcedureStepStatus = entry.step_status
    ds.ScheduledProcedureStepSequence = [step]
    return ds


# --- matching ------------------------------------------------------------------------------------

def fold_name(text: str) -> str:
    """A person name for matching: no case, no accents (``Mairéad`` and ``MAIREAD`` agree)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


@lru_cache(maxsize=256)
def _wildcard(pattern: str) -> re.Pattern[str]:
    parts = (".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.compile("".join(parts), re.DOTALL)


def text_matches(wanted: str, value: str, *, person_name: bool = False) -> bool:
    """Single-value or wildcard matching of a text key (PS3.4 C.2.2.2.1, C.2.2.2.4)."""
    wanted, value = wanted.rstrip(" "), value.rstrip(" ")
    if wanted in ("", "*"):
        return True
    if person_name:
        wanted, value = fold_name(wanted), fold_name(value)
        # A name asked without its ^ components matches as if the rest were "anything": SMITH^ = SMITH.
        wanted = wanted.rstrip("^")
        value = value.rstrip("^")
    if "*" in wanted or "?" in wanted:
        return _wildcard(wanted).fullmatch(value) is not None
    return wanted == value


_MAX_TIME = time(23, 59, 59, 999999)


def _parse_date(text: str) -> date | None:
    text = text.strip().replace(".", "")  # ACR-NEMA 2.0 dates (YYYY.MM.DD) are still sent by some devices
    if len(text) != 8 or not text.isdigit():
        raise ValueError("not a DICOM date")
    return date(int(text[:4]), int(text[4:6]), int(text[6:8]))


def _parse_time(text: str, *, end: bool) -> time:
    """A TM value (HH, HHMM, HHMMSS or HHMMSS.F...); an end of range is widened to the last moment
    its precision names (``11`` is up to 11:59:59.999999)."""
    text = text.strip().replace(":", "")
    whole, _, fraction = text.partition(".")
    if not whole.isdigit() or len(whole) not in (2, 4, 6) or (fraction and not fraction.isdigit()):
        raise ValueError("not a DICOM time")
    hour = int(whole[:2])
    minute = int(whole[2:4]) if len(whole) >= 4 else (59 if end else 0)
    second = int(whole[4:6]) if len(whole) >= 6 else (59 if end else 0)
    micro = int((fraction + "000000")[:6]) if fraction else (999999 if end else 0)
    return time(hour, minute, min(second, 59), micro)


def _range(text: str) -> tuple[str, str] | None:
    if "-" not in text:
        return None
    first, _, last = text.partition("-")
    return first.strip(), last.strip()


def date_window(text: str) -> tuple[date | None, date | None]:
    """The (first, last) days a date key asks for; None at an open end. Raises ValueError for a
    value that is no date (the SCP answers "identifier does not match SOP class")."""
    text = (text or "").strip()
    if not text:
        return None, None
    bounds = _range(text)
    if bounds is None:
        day = _parse_date(text)
        return day, day
    return (_parse_date(bounds[0]) if bounds[0] else None), (_parse_date(bounds[1]) if bounds[1] else None)


def time_window(text: str) -> tuple[time, time]:
    text = (text or "").strip()
    if not text:
        return time.min, _MAX_TIME
    bounds = _range(text)
    if bounds is None:
        return _parse_time(text, end=False), _parse_time(text, end=True)
    return (_parse_time(bounds[0], end=False) if bounds[0] else time.min,
            _parse_time(bounds[1], end=True) if bounds[1] else _MAX_TIME)


def when_matches(date_key: str, time_key: str, at: datetime) -> bool:
    """Scheduled Procedure Step Start Date and Time matching (PS3.4 C.2.2.2.5): each on its own, or
    as one date-time range when both are ranges (C.2.2.2.5.1)."""
    date_key, time_key = (date_key or "").strip(), (time_key or "").strip()
    first, last = date_window(date_key)
    start, end = time_window(time_key)
    moment = at.replace(tzinfo=None)
    if _range(date_key) is not None and _range(time_key) is not None:
        low = datetime.combine(first, start) if first else datetime.min
        high = datetime.combine(last, end) if last else datetime.max
        return low <= moment <= high
    day = moment.date()
    if (first and day < first) or (last and day > last):
        return False
    return start <= moment.time() <= end


def _step_matches(wanted: Dataset, step: Dataset) -> bool:
    for element in wanted:
        keyword = element.keyword
        if keyword in ("ScheduledProcedureStepStartDate", "ScheduledProcedureStepStartTime") or element.VR == "SQ":
            continue
        if not _element_matches(element, step):
            return False
    return True


def _element_matches(element: object, entry: Dataset) -> bool:
    tag, vr, value = element.tag, element.VR, element.value  # type: ignore[attr-defined]
    if value in (None, "", b"") or tag == SPECIFIC_CHARACTER_SET or tag.element == 0:
        return True
    if vr not in _TEXT_VRS and vr not in ("DA", "TM", "UI"):
        return True  # keys of other VRs are return keys only
    ours = entry.get(tag)
    have = "" if ours is None or ours.value is None else str(ours.value)
    if vr == "UI":  # list of UID matching (C.2.2.2.2): any of the values
        wanted = [str(v) for v in value] if isinstance(value, list | tuple) else str(value).split("\\")
        return have in wanted
    if vr == "DA":
        first, last = date_window(str(value))
        day = _parse_date(have) if have else None
        return day is not None and not ((first and day < first) or (last and day > last))
    if vr == "TM":
        start, end = time_window(str(value))
        return bool(have) and start <= _parse_time(have, end=False) <= end
    return text_matches(str(value), have, person_name=vr == "PN")


def matches(query: Dataset, entry: WorklistEntry, full: Dataset | None = None) -> bool:
    """Does ``entry`` match every matching key of the C-FIND ``query``? (PS3.4 K.6.1.2.)"""
    full = full if full is not None else entry_dataset(entry)
    for element in query:
        if element.VR == "SQ":
            if element.keyword == "ScheduledProcedureStepSequence" and element.value:
                wanted = element.value[0]
                if not when_matches(str(wanted.get("ScheduledProcedureStepStartDate", "") or ""),
                                    str(wanted.get("ScheduledProcedureStepStartTime", "") or ""),
                                    entry.scheduled_at):
                    return False
                if not _step_matches(wanted, full.ScheduledProcedureStepSequence[0]):
                    return False
            continue
        if not _element_matches(element, full):
            return False
    return True


# --- answers -------------------------------------------------------------------------------------

def answer(query: Dataset, full: Dataset) -> Dataset:
    """The identifier answering ``query`` for one matching entry: each key asked for, with the
    entry's value (empty when it has none); a sequence asked with no item gets all of it."""
    out = Dataset()
    for element in query:
        tag = element.tag
        if tag == SPECIFIC_CHARACTER_SET or tag.element == 0:
            continue
        ours = full.get(tag)
        if element.VR == "SQ":
            if ours is None:
                out.add_new(tag, "SQ", Sequence())
            elif not element.value:
                out.add_new(tag, "SQ", ours.value)
            else:
                out.add_new(tag, "SQ", Sequence([answer(element.value[0], item) for item in ours.value]))
        elif ours is not None:
            out.add(ours)
        else:
            out.add_new(tag, element.VR, None)
    return out


def asked_character_sets(query: Dataset) -> list[str]:
    value = query.get("SpecificCharacterSet")
    if not value:
        return []
    terms = list(value) if isinstance(value, list | tuple) or (hasattr(value, "__iter__") and not isinstance(
        value, str)) else [value]
    return [str(t).strip() for t in terms if str(t).strip()]


_LATIN_FALLBACK = str.maketrans({"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ø": "O", "ø": "o", "ı": "i",
                                 "Œ": "OE", "œ": "oe", "ß": "ss"})


def spelt_in_latin1(text: str) -> str:
    """The nearest Latin-1 spelling of a name (``Łukasz`` -> ``Lukasz``, ``Dvořák`` -> ``Dvorák``)."""
    out = []
    for ch in text.translate(_LATIN_FALLBACK):
        try:
            ch.encode("latin-1")
            out.append(ch)
        except UnicodeEncodeError:
            base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
            out.append(base if base.isascii() and base else "?")
    return "".join(out)


def _encodable(texts: Iterable[str], term: str) -> bool:
    codec = python_encoding.get(term or "ISO_IR 6")
    if codec is None:
        return False
    try:
        for text in texts:
            text.encode(codec)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def answer_character_set(query: Dataset, texts: Iterable[str]) -> tuple[str, bool]:
    """(the character set the answer is written in, whether names must be re-spelt in Latin-1)."""
    asked = asked_character_sets(query)
    texts = list(texts)
    if "ISO_IR 192" in asked:
        return "ISO_IR 192", False
    if all(t.isascii() for t in texts):
        return (asked[0] if asked else ""), False
    for term in asked:
        if _encodable(texts, term):
            return term, False
    if not asked:
        return ("ISO_IR 100" if _encodable(texts, "ISO_IR 100") else "ISO_IR 192"), False
    return "ISO_IR 100", True


class WorklistSCP:
    """The Modality Worklist SCP (C-FIND on 1.2.840.10008.5.1.4.31) and Verification.

    ``provider(first, last)`` gives the entries scheduled on those days (practice time; None = an
    open end), in order; this class matches the query's keys against them and answers."""

    def __init__(self, *, ae_title: str, host: str, port: int, provider: WorklistProvider,
                 allow: CallerAllowList | None = None) -> None:
        """``allow`` is the caller allow-list (the worklist names patients: it must have one in use)."""
        self.ae_title, self.host, self.port = ae_title, host, port
        self.provider = provider
        self.allow = allow
        self._server = None

    def start(self) -> None:
        ae = AE(ae_title=self.ae_title)
        ae.add_supported_context(ModalityWorklistInformationFind)
        ae.add_supported_context(Verification)
        self._server = ae.start_server((self.host, self.port), block=False,
                                       evt_handlers=[(evt.EVT_C_FIND, self._on_find),
                                                     (evt.EVT_REQUESTED, reject_unregistered(self.allow, "worklist"))])

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server = None

    def _on_find(self, event: evt.Event) -> Iterator[tuple[int, Dataset | None]]:
        """Answer a C-FIND (PS3.4 K.4.1.3): one pending response per matching step, then success."""
        query = event.identifier
        steps = query.get("ScheduledProcedureStepSequence")
        asked_date = ""
        if steps:
            asked_date = str(steps[0].get("ScheduledProcedureStepStartDate", "") or "")
        try:
            first, last = date_window(asked_date)
            for step in steps or ():  # a time key that is no time is a malformed query, not "anything"
                time_window(str(step.get("ScheduledProcedureStepStartTime", "") or ""))
        except ValueError:
            yield 0xA900, None  # identifier does not match SOP class
            return
        try:
            entries = self.provider(first, last)
        except Exception:
            log.exception("the worklist could not be read")
            yield 0xC001, None  # unable to process
            return
        sent = 0
        for entry in entries:
            if event.is_cancelled:
                yield 0xFE00, None
                return
            try:
                full = entry_dataset(entry)
                if not matches(query, entry, full):
                    continue
            except ValueError:
                yield 0xA900, None
                return
            charset, respell = answer_character_set(query, entry.texts())
            if respell:
                full = entry_dataset(replace(entry, **{f: spelt_in_latin1(getattr(entry, f)) for f in (
                    "family_name", "given_name", "description", "station_name", "location",
                    "performing_physician")}))
            identifier = answer(query, full)
            if charset:
                identifier.SpecificCharacterSet = charset
            sent += 1
            if sent > MAX_WORKLIST_ANSWERS:
                yield 0xA700, None  # out of resources: the device should narrow its query
                return
            yield 0xFF00, identifier


# --- clients (simulators, tests, integrators) --------------------------------------------------
