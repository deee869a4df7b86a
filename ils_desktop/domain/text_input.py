"""What is wrong with a piece of text someone typed, pasted or imported, before it is stored.

Every free-text field passes through ``text_problem`` at the service boundary, so a form can say
on the field what to change instead of the save failing with a database error. Why each rule:

* **No NUL character (U+0000).** PostgreSQL ``text`` (and ``jsonb``) cannot hold it: the driver
  refuses the whole statement (``DataError``). It never comes from the keyboard, only from pastes
  and files.
* **No lone surrogates (U+D800–U+DFFF).** The database stores UTF-8, and UTF-8 cannot encode a
  surrogate on its own (``UnicodeEncodeError`` before the statement is sent). They appear when an
  emoji is cut in half or bytes are decoded with ``surrogateescape``.
* **No other control characters** (C0 U+0001–U+001F, DEL, C1 U+0080–U+009F: Unicode category
  ``Cc``), except tab, line feed and carriage return in a multi-line field. They are invisible on
  screen, break the one-line fields they land in, and reach receipt printers as commands (ESC/POS
  uses ESC and GS).
* **Bounded length** (``TextRule.max_length``, counted in characters after trimming the spaces at
  either end, as stored). A bounded field keeps a record readable and printable and keeps a save,
  an audit row and a search fast: a 20 MB "medical history" is a paste gone wrong, not a history.

Search boxes are different: typing must never fail, so ``clean_search_text`` silently cuts what
was typed to ``MAX_SEARCH_LENGTH`` and drops what the database cannot take or match.

The limits (one place; services and forms refer to these):

========================  =======  ==========================================================
rule                      length   used for
========================  =======  ==========================================================
``NAME``                  100      people's names and titles
``EMAIL``                 254      email addresses (RFC 5321: the longest path is 256 octets
                                   including the angle brackets)
``PHONE``                 30       phone numbers (E.164 has at most 15 digits; room for spaces,
                                   brackets and an extension)
``POSTCODE``              10       UK postcodes (at most 8 characters, ``SW1A 1AA``, with slack
                                   for stray spaces)
``ADDRESS_LINE``          100      address lines, town, county
``CODE``                  50       registration numbers, references and codes (GOC, ODS, VAT,
                                   SKU, gift card, card terminal reference)
``LABEL``                 200      one-line labels: product names, brands, suppliers, GP
                                   practice, occupation, addressee, till and printer names
``NOTE``                  500      one-line notes and reasons (discounts, refunds, cash in and
                                   out, cancellations, stock changes)
``LONG_NOTE``             2,000    short multi-line notes printed or shown whole: booking notes,
                                   prescription notes and their templates
``CLINICAL_TEXT``         20,000   clinical free text (history, symptoms, findings, management,
                                   addenda, referral reasons): about eight printed pages
``MAX_SEARCH_LENGTH``     200      what a search box searches for
========================  =======  ==========================================================
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class TextRule:
    """How long a field may be and whether it may hold line breaks and tabs."""

    max_length: int
    multiline: bool = False


NAME: Final = TextRule(100)
EMAIL: Final = TextRule(254)
PHONE: Final = TextRule(30)
POSTCODE: Final = TextRule(10)
ADDRESS_LINE: Final = TextRule(100)
CODE: Final = TextRule(50)
LABEL: Final = TextRule(200)
NOTE: Final = TextRule(500)
LONG_NOTE: Final = TextRule(2_000, multiline=True)
CLINICAL_TEXT: Final = TextRule(20_000, multiline=True)

MAX_SEARCH_LENGTH: Final = 200
"""The longest text a search box searches for: no name, number or code is longer, and a bounded
query keeps search-as-you-type quick whatever is pasted into the box."""

# What the database cannot hold at all (NUL, surrogates): refused everywhere, even by the last
# safety net before a write.
_UNSTORABLE: Final = re.compile("[\x00\ud800-\udfff]")
# Category Cc (C0, DEL, C1) and surrogates; tab, line feed and carriage return are allowed in a
# multi-line field only.
_BAD_MULTILINE: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_BAD_SINGLE_LINE: Final = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# What a search drops: the same as a single-line field (a tab or line break becomes a space).
_SEARCH_DROPPED: Final = _BAD_SINGLE_LINE

_NAMED: Final = {"\x00": "a null character", "\t": "a tab", "\n": "a line break", "\r": "a line break"}


def describe_character(character: str) -> str:
    """A person's words for one refused character: "a null character", "a line break",
    "a control character, U+001B", "a broken character, U+D800, …"."""
    if character in _NAMED:
        return _NAMED[character]
    code = f"U+{ord(character):04X}"
    if 0xD800 <= ord(character) <= 0xDFFF:
        return f"a broken character, {code}, often half of a copied emoji"
    return f"a control character, {code}"


def unstorable_character(text: str) -> str | None:
    """The first character of ``text`` the database cannot store at all (NUL, a lone surrogate),
    described; None when there is none. The safety net before every write uses this."""
    found = _UNSTORABLE.search(text)
    return None if found is None else describe_character(found.group())


def refused_character(text: str, *, multiline: bool = False) -> str | None:
    """The first character of ``text`` a field refuses, described; None when there is none.

    Refused: NUL and lone surrogates (cannot be stored), and control characters — tab, line feed
    and carriage return are allowed where ``multiline``.
    """
    found = (_BAD_MULTILINE if multiline else _BAD_SINGLE_LINE).search(text)
    return None if found is None else describe_character(found.group())


def character_message(description: str) -> str:
    """The message for a refused character (``refused_character``'s description)."""
    if description.startswith(("a null", "a broken")):
        return (f"This field contains a character that cannot be stored ({description}). "
                "Remove it and save again.")
    return f"This field contains a character that cannot be used here ({description}). Remove it and save again."


def length_message(length: int, max_length: int) -> str:
    """The message for text longer than its field allows."""
    return f"Keep this to {max_length:,} characters or fewer (it has {length:,})."


def text_problem(text: str | None, rule: TextRule) -> str | None:
    """What is wrong with ``text`` for a field with ``rule`` (None when it can be stored).

    The length is counted as stored, without the spaces at either end; the characters are checked
    with only ordinary spaces, tabs and line breaks at either end left out (services trim those, so
    a pasted trailing line break does no harm). Length is checked first: it is what a person
    pasting a whole document needs to hear.
    """
    if not text:
        return None
    length = len(text.strip())
    if length > rule.max_length:
        return length_message(length, rule.max_length)
    refused = refused_character(text.strip(" \t\r\n"), multiline=rule.multiline)
    return None if refused is None else character_message(refused)


def text_problems(fields: Mapping[str, tuple[str | None, TextRule]]) -> dict[str, str]:
    """``text_problem`` for several fields at once: ``{field: (text, rule)}`` → ``{field: message}``."""
    problems: dict[str, str] = {}
    for name, (text, rule) in fields.items():
        problem = text_problem(text, rule)
        if problem:
            problems[name] = problem
    return problems


def _strings(value: object, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    """Every string inside ``value`` (dict keys as well as values), with the keys leading to it."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            key_text = " ".join(str(k) for k in key) if isinstance(key, tuple) else str(key)
            yield path, key_text
            yield from _strings(item, (*path, key_text))
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _strings(item, path)


_FIELD_KEY: Final = re.compile(r"^[A-Za-z][A-Za-z0-9_]+$")


def _label(path: tuple[str, ...]) -> str:
    """``("R", "general_health")`` → "General health": the last key a person would recognise.
    Only field-like keys are used, so a message never repeats text that was refused."""
    for key in reversed(path):
        if _FIELD_KEY.match(key):
            words = key.replace("_", " ")
            return words[:1].upper() + words[1:]
    return ""


def nested_text_problem(value: object, rule: TextRule) -> str | None:
    """``text_problem`` for every string inside a JSON-like value (a JSONB column's dicts and
    lists, keys included); the message names the entry ("General health: …")."""
    for path, text in _strings(value):
        problem = text_problem(text, rule)
        if problem:
            label = _label(path)
            return f"{label}: {problem}" if label else problem
    return None


def nested_unstorable_character(value: object) -> str | None:
    """``unstorable_character`` for every string inside a JSON-like value (keys included)."""
    for _path, text in _strings(value):
        found = unstorable_character(text)
        if found:
            return found
    return None


def clean_search_text(text: str, max_length: int = MAX_SEARCH_LENGTH) -> str:
    """What a search box searches for: at most ``max_length`` characters, control characters
    turned into spaces, and what cannot be stored or matched (NUL, lone surrogates) dropped.

    Cut first, so the work done here is bounded by ``max_length`` however much was pasted.
    Never raises: typing into a search box must not fail.
    """
    cut = text[:max_length]
    if not _SEARCH_DROPPED.search(cut):
        return cut
    cut = _UNSTORABLE.sub("", cut)
    return _SEARCH_DROPPED.sub(" ", cut)
