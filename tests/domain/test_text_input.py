"""The input hygiene rule: which text a field refuses and what it says, and how a search is cleaned."""

from __future__ import annotations

import pytest

from ils_desktop.domain.text_input import (
    CLINICAL_TEXT,
    CODE,
    EMAIL,
    LABEL,
    LONG_NOTE,
    MAX_SEARCH_LENGTH,
    NAME,
    NOTE,
    PHONE,
    POSTCODE,
    clean_search_text,
    describe_character,
    nested_text_problem,
    nested_unstorable_character,
    refused_character,
    text_problem,
    text_problems,
    unstorable_character,
)

STORED = "cannot be stored"
NOT_HERE = "cannot be used here"


@pytest.mark.parametrize(("text", "rule", "expected"), [
    # fine
    (None, NAME, None),
    ("", NAME, None),
    ("Margaret O'Brien-Smith", NAME, None),
    ("Zoë Ångström 李小龍 🙂", NAME, None),  # any script, emoji whole
    ("  Hughes  ", NAME, None),  # spaces at either end are trimmed before storing
    ("Hughes\n", NAME, None),  # as is a pasted trailing line break
    ("Type 2 diabetes\nMetformin 500 mg\r\n\tsince 2019", CLINICAL_TEXT, None),
    ("x" * 100, NAME, None),
    (" " + "x" * 100 + " ", NAME, None),  # the length is counted as stored
    # the database cannot store these, in any field
    ("Mar\x00garet", NAME, f"{STORED} (a null character)"),
    ("history\x00", CLINICAL_TEXT, f"{STORED} (a null character)"),
    ("half an emoji \ud83d", CLINICAL_TEXT, f"{STORED} (a broken character, U+D83D"),
    ("\udc80bytes", NOTE, f"{STORED} (a broken character, U+DC80"),
    # control characters: invisible, and commands to a receipt printer
    ("bell\x07", NOTE, f"{NOT_HERE} (a control character, U+0007)"),
    ("esc\x1b@", CLINICAL_TEXT, f"{NOT_HERE} (a control character, U+001B)"),
    ("del\x7f", NOTE, f"{NOT_HERE} (a control character, U+007F)"),
    ("c1\x85x", NOTE, f"{NOT_HERE} (a control character, U+0085)"),
    ("form\x0cfeed", LONG_NOTE, f"{NOT_HERE} (a control character, U+000C)"),
    # line breaks and tabs: only where the field has more than one line
    ("first\nsecond", NOTE, f"{NOT_HERE} (a line break)"),
    ("first\rsecond", NAME, f"{NOT_HERE} (a line break)"),
    ("tab\tinside", CODE, f"{NOT_HERE} (a tab)"),
    ("first\nsecond", LONG_NOTE, None),
    # too long: checked first, it is what a whole pasted document needs to hear
    ("x" * 101, NAME, "Keep this to 100 characters or fewer (it has 101)."),
    ("x" * 20_000_000, LONG_NOTE, "Keep this to 2,000 characters or fewer (it has 20,000,000)."),
    ("\x00" * 300, EMAIL, "Keep this to 254 characters or fewer (it has 300)."),
    ("0" * 31, PHONE, "Keep this to 30 characters or fewer (it has 31)."),
    ("SW1A 1AA SW1A", POSTCODE, "Keep this to 10 characters or fewer (it has 13)."),
])
def test_what_a_field_refuses(text, rule, expected):
    problem = text_problem(text, rule)
    if expected is None:
        assert problem is None
    else:
        assert problem is not None and expected in problem


def test_character_messages_say_what_to_do():
    assert text_problem("a\x00b", NAME) == ("This field contains a character that cannot be stored (a null character). "
                                            "Remove it and save again.")
    assert text_problem("a\nb", NOTE) == ("This field contains a character that cannot be used here (a line break). "
                                          "Remove it and save again.")


@pytest.mark.parametrize(("text", "multiline", "expected"), [
    ("plain", False, None),
    ("a\tb\nc\r", True, None),
    ("a\tb", False, "a tab"),
    ("first \x00 then \x07", True, "a null character"),  # the first one found is named
    ("\x1f", True, "a control character, U+001F"),
    ("\ud800", False, "a broken character, U+D800, often half of a copied emoji"),
])
def test_refused_character(text, multiline, expected):
    assert refused_character(text, multiline=multiline) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("fine\tand\nfine\x07", None),  # control characters can be stored: only the net's two kinds count
    ("nul\x00", "a null character"),
    ("\udfff", "a broken character, U+DFFF, often half of a copied emoji"),
])
def test_unstorable_character_is_only_what_the_database_refuses(text, expected):
    assert unstorable_character(text) == expected


def test_every_code_point_is_classified_as_its_unicode_category_says():
    import unicodedata

    for code in range(0x110000):
        character = chr(code)
        refused = refused_character(character, multiline=True) is not None
        should = (unicodedata.category(character) in ("Cc", "Cs")) and character not in "\t\n\r"
        assert refused is should, hex(code)


def test_describe_character():
    assert describe_character("\r") == "a line break"
    assert describe_character("\x1b") == "a control character, U+001B"


def test_text_problems_reports_each_field_by_its_key():
    assert text_problems({"first_name": ("Ada", NAME), "notes": ("x\x00", NOTE), "email": (None, EMAIL)}) == {
        "notes": "This field contains a character that cannot be stored (a null character). Remove it and save again."}


@pytest.mark.parametrize(("value", "expected"), [
    ({"general_health": "Asthma", "driver": True, "R": None}, None),
    ({"general_health": "Asthma\x00"}, "General health: This field contains a character that cannot be stored"),
    ({"distance": {"unaided": {"R": "6/6\ud800"}}}, "Unaided: This field contains a character that cannot be stored"),
    ({"items": ["ok", "no\x00"]}, "Items: This field contains a character"),
    ({"note\x00": True}, "This field contains a character that cannot be stored"),  # a key too; never echoed
    ({("distance", "unaided", "R"): "x" * 20_001}, "Keep this to 20,000 characters or fewer"),
    (["a", ("b", {"c": "\x07"})], "This field contains a character that cannot be used here"),
])
def test_nested_text_problem_walks_json_keys_and_values(value, expected):
    problem = nested_text_problem(value, CLINICAL_TEXT)
    if expected is None:
        assert problem is None
    else:
        assert problem is not None and problem.startswith(expected)
        assert "\x00" not in problem and "\ud800" not in problem


@pytest.mark.parametrize(("value", "expected"), [
    ({"a": ["b", {"c": "tab\tis fine"}]}, None),
    ({"a": ["b", {"c": "nul\x00"}]}, "a null character"),
    ({"key\ud800": 1}, "a broken character, U+D800, often half of a copied emoji"),
    ("plain\x00", "a null character"),
    (42, None),
])
def test_nested_unstorable_character(value, expected):
    assert nested_unstorable_character(value) == expected


@pytest.mark.parametrize(("typed", "searched"), [
    ("smith 12/3/1960", "smith 12/3/1960"),
    ("smi\x00th", "smith"),  # what cannot be stored is dropped
    ("smith\ud83d", "smith"),
    ("smith\tjones\nx", "smith jones x"),  # control characters become spaces
    ("", ""),
])
def test_clean_search_text(typed, searched):
    assert clean_search_text(typed) == searched


def test_a_pasted_megabyte_searches_at_most_the_cap():
    pasted = "smith " * 200_000
    assert len(pasted) > 1_000_000
    cleaned = clean_search_text(pasted)
    assert len(cleaned) == MAX_SEARCH_LENGTH and pasted.startswith(cleaned)
    assert len(clean_search_text("\x00" * 1_000_000)) == 0
    assert clean_search_text("abcdef", max_length=3) == "abc"


@pytest.mark.parametrize(("rule", "max_length", "multiline"), [
    (NAME, 100, False), (EMAIL, 254, False), (PHONE, 30, False), (POSTCODE, 10, False), (CODE, 50, False),
    (LABEL, 200, False), (NOTE, 500, False), (LONG_NOTE, 2_000, True), (CLINICAL_TEXT, 20_000, True),
])
def test_limits_are_the_documented_ones(rule, max_length, multiline):
    assert (rule.max_length, rule.multiline) == (max_length, multiline)
    assert text_problem("x" * max_length, rule) is None
    assert text_problem("x" * (max_length + 1), rule) is not None
    assert (text_problem("a\nb", rule) is None) is multiline


def test_search_cap():
    assert MAX_SEARCH_LENGTH == 200
