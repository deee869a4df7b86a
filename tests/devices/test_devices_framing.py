"""The serial stream framer: chunks in, whole Nidek frames out."""

from collections.abc import Callable

import pytest

from ils_desktop.devices.framing import NidekFramer, nidek_checksum, split_frames
from ils_desktop.devices.simulated_frames import nidek_frame


def feed_all(framer: NidekFramer, chunks: list[bytes]) -> list[bytes]:
    frames: list[bytes] = []
    for chunk in chunks:
        frames.extend(framer.feed(chunk))
    return frames


def test_published_checksums(fixture_bytes: Callable[[str], bytes]) -> None:
    lm = fixture_bytes("nidek-lm-right-left.bin")
    assert nidek_checksum(lm[: lm.index(b"\x04") + 1]) == "16BF"
    tono = fixture_bytes("nidek-tonometer.bin")
    assert nidek_checksum(tono[: tono.index(b"\x04") + 1]) == "0D7B"


def test_checksum_ignores_cr() -> None:
    with_cr = nidek_frame("DLM", ["AR02.00"], checksum=False, cr_after_records=True)
    without_cr = nidek_frame("DLM", ["AR02.00"], checksum=False)
    assert nidek_checksum(with_cr) == nidek_checksum(without_cr)


def test_byte_by_byte(fixture_bytes: Callable[[str], bytes]) -> None:
    data = fixture_bytes("nidek-lm-right-left.bin")
    framer = NidekFramer()
    frames = feed_all(framer, [data[i : i + 1] for i in range(len(data))])
    # The checksum's fourth digit completes the frame: nothing is left waiting.
    assert frames == [data]
    assert framer.pending == b""


def test_waits_for_checksum_digits_across_chunks() -> None:
    frame = nidek_frame("DNT", [" R01", "15/2.0", "AV15.0/2.00"])
    framer = NidekFramer()
    eot = frame.index(b"\x04")
    assert framer.feed(frame[: eot + 2]) == []  # EOT and one checksum digit: more may follow
    assert framer.feed(frame[eot + 2 :]) == [frame]


def test_frame_without_checksum_is_released_by_next_byte_or_flush() -> None:
    frame = nidek_frame("DLM", [" R-01.00-00.50090"], checksum=False)
    framer = NidekFramer()
    assert framer.feed(frame) == []  # could still be followed by a checksum
    assert framer.flush() == [frame]
    framer = NidekFramer()
    assert framer.feed(frame + b"\r") == [frame + b"\r"]


def test_two_frames_and_noise_in_one_chunk(fixture_bytes: Callable[[str], bytes]) -> None:
    ark = fixture_bytes("nidek-ark-refraction-kerato.bin")
    first_end = ark.index(b"\x04") + 5
    framer = NidekFramer()
    frames = framer.feed(b"\xff\x00junk" + ark + b"\r\n")
    # The CR after the checksum belongs to the frame; the LF after it is noise.
    assert frames == [ark[:first_end], ark[first_end:] + b"\r"]
    assert framer.noise_bytes == 6 + 1


def test_cut_off_frame_is_dropped_when_a_new_one_starts(fixture_bytes: Callable[[str], bytes]) -> None:
    good = fixture_bytes("nidek-lm-right-left.bin")
    truncated = fixture_bytes("nidek-lm-truncated.bin")
    framer = NidekFramer()
    assert framer.feed(truncated + good) == [good]
    assert framer.dropped == [truncated]


def test_lone_soh_in_noise_is_not_a_frame(fixture_bytes: Callable[[str], bytes]) -> None:
    good = fixture_bytes("nidek-lm-right-left.bin")
    framer = NidekFramer()
    assert framer.feed(b"\x01\xfe" + good) == [good]
    assert framer.dropped == []


def test_truncated_frame_stays_pending(fixture_bytes: Callable[[str], bytes]) -> None:
    truncated = fixture_bytes("nidek-lm-truncated.bin")
    framer = NidekFramer()
    assert framer.feed(truncated) == []
    assert framer.flush() == []
    assert framer.pending == truncated
    assert framer.reset() == truncated
    assert framer.pending == b""


def test_runaway_frame_is_bounded() -> None:
    framer = NidekFramer(max_frame_bytes=100)
    framer.feed(b"\x01DLM\x02" + b"A" * 500)
    assert framer.pending == b""
    assert len(framer.dropped) == 1


def test_rt_frame_with_trailing_cr(fixture_bytes: Callable[[str], bytes]) -> None:
    rt = fixture_bytes("nidek-rt5100-final.bin")
    assert split_frames(rt) == ([rt], [], b"")


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 64])
def test_any_chunk_size_gives_the_same_frames(size: int, fixture_bytes: Callable[[str], bytes]) -> None:
    stream = b"".join(
        fixture_bytes(n)
        for n in (
            "nidek-lm-noise-then-frame.bin",
            "nidek-tonometer.bin",
            "nidek-ark-refraction-kerato.bin",
            "nidek-rt5100-final.bin",
        )
    )
    framer = NidekFramer()
    chunked = feed_all(framer, [stream[i : i + size] for i in range(0, len(stream), size)]) + framer.flush()
    whole, dropped, pending = split_frames(stream)
    assert chunked == whole
    assert len(whole) == 5
    assert dropped == [] and pending == b""


def test_blocks_under_one_eot_are_one_frame_however_the_bytes_arrive(fixture_bytes: Callable[[str], bytes]) -> None:
    data = fixture_bytes("nidek-ark1a-blocks-one-eot.bin")
    assert data.count(b"\x01") == 3 and data.count(b"\x04") == 1
    for cut in range(1, len(data)):
        framer = NidekFramer()
        frames = feed_all(framer, [data[:cut], data[cut:]])
        # Cut between the checksum and its CR, the frame is complete before the CR arrives.
        assert frames == ([data[:-1]] if cut == len(data) - 1 else [data]), cut
        assert framer.dropped == [] and framer.pending == b""


def test_a_new_block_id_after_an_etb_continues_the_frame_but_the_same_one_restarts_it() -> None:
    first = b"\x01DRM\x02OR-01.00-00.25090\x17\r"
    framer = NidekFramer()
    assert framer.feed(first + b"\x01DKM") == []  # waiting: a new block of the same transmission
    framer = NidekFramer()
    assert framer.feed(first + b"\x01DR") == []  # the next id is not all here yet: wait for it
    assert framer.feed(b"M\x02OR-01.00-00.25090\x17\x04\r") == [b"\x01DRM\x02OR-01.00-00.25090\x17\x04\r"]
    assert framer.dropped == [first]  # the same block id again: the device started over
