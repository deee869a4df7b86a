"""The encrypted backup format on its own: what goes in comes out; any change to the file is refused
with a plain message, never read as something else (a Hypothesis fuzz over random damage)."""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ils_desktop.db.backup_archive import PART_SIZE, BackupKey, BackupUnreadable, open_parts, write_archive

KEY = BackupKey(bytes(range(32)))
MANIFEST = {"made_at": "2026-12-07T01:00:00+00:00", "tables": {"patients": 3}}


def seal(data: bytes, pieces: int = 3) -> bytes:
    out = io.BytesIO()
    step = max(1, len(data) // pieces)
    write_archive((data[i:i + step] for i in range(0, len(data), step)), out, KEY, MANIFEST)
    return out.getvalue()


def unseal(sealed: bytes, key: BackupKey = KEY) -> bytes:
    manifest, parts = open_parts(io.BytesIO(sealed), key)
    assert manifest == MANIFEST
    return b"".join(parts)


@pytest.mark.parametrize("size", [0, 1, PART_SIZE - 1, PART_SIZE, PART_SIZE + 1, 3 * PART_SIZE + 17])
def test_what_goes_in_comes_out(size: int) -> None:
    data = bytes(i % 251 for i in range(size))
    assert unseal(seal(data)) == data


def test_parts_cannot_be_reordered_or_dropped() -> None:
    data = bytes(range(256)) * (PART_SIZE // 128) + b"tail"  # two full parts and a last one
    sealed = seal(data)
    header_end = 28 + int.from_bytes(sealed[24:28], "big")  # the fixed prefix, then the JSON header
    body = sealed[header_end:]
    size = int.from_bytes(body[:4], "big") + 4
    first, second, rest = body[:size], body[size:2 * size], body[2 * size:]
    with pytest.raises(BackupUnreadable, match="fails its check"):
        unseal(sealed[:header_end] + second + first + rest)
    with pytest.raises(BackupUnreadable, match="fails its check"):
        unseal(sealed[:header_end] + second + rest)
    with pytest.raises(BackupUnreadable, match="cut short"):
        unseal(sealed[:header_end] + first + second)  # the flagged last part is missing


@pytest.mark.parametrize("text", ["", "ABCD", "not a key at all, not a key at all, not a key at all, 12"])
def test_a_mistyped_recovery_key_says_so(text: str) -> None:
    with pytest.raises(BackupUnreadable):
        BackupKey.from_recovery_text(text)


def test_one_wrong_character_in_a_recovery_key_is_caught() -> None:
    written = KEY.recovery_text()
    typo = ("B" if written[0] != "B" else "C") + written[1:]
    with pytest.raises(BackupUnreadable, match="typing mistake"):
        BackupKey.from_recovery_text(typo)
    assert BackupKey.from_recovery_text(written.replace("-", " ")) == KEY


SEALED = seal(b"pg_dump custom format, or anything else " * 4000)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_damage_is_refused_never_misread(data: st.DataObject) -> None:
    damaged = bytearray(SEALED)
    kind = data.draw(st.sampled_from(["flip", "cut", "insert", "overwrite"]))
    at = data.draw(st.integers(0, len(damaged) - 1))
    if kind == "flip":
        damaged[at] ^= data.draw(st.integers(1, 255))
    elif kind == "cut":
        del damaged[at:]
    elif kind == "insert":
        damaged[at:at] = data.draw(st.binary(min_size=1, max_size=64))
    else:
        chunk = data.draw(st.binary(min_size=1, max_size=64))
        if damaged[at:at + len(chunk)] == chunk:
            return
        damaged[at:at + len(chunk)] = chunk
    with pytest.raises(BackupUnreadable):
        _, parts = open_parts(io.BytesIO(bytes(damaged)), KEY)
        b"".join(parts)
