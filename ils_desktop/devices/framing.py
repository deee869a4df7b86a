"""Cutting a serial byte stream into Nidek frames.

A serial port hands over bytes in arbitrary chunks: half a frame, two frames at once, line noise
between them. :class:`NidekFramer` collects chunks and gives back each complete frame once, for the
layout used by the Nidek family (docs/domain/equipment.md, "Serial: Nidek family"):

    SOH <block id> STX <record> ETB [CR] <record> ETB ... EOT [checksum] [CR]

and the RT phoropters' variant ``SOH <header> CR STX <line> CR ... EOT CR``. The checksum is four hex
digits right after EOT when the device sends one; the framer waits for them (they may arrive in the
next chunk) and hands the frame over as soon as a byte that cannot be a checksum arrives, or when the
caller says the line went quiet (:meth:`NidekFramer.flush`).

One transmission may hold several blocks under a single EOT and checksum
(``SOH Drm STX … ETB SOH DRM STX … ETB SOH DKM STX … ETB EOT checksum``, as a published ARK-1a
transmission does; docs/domain/equipment.md, "Several blocks in one transmission"): an SOH right
after a block's closing ETB (CR/LF allowed between) opens the next block of the same frame - unless
its block id is one the frame already has (``DLM`` again after ``DLM``): that is the device starting
the same frame over after a cut, and the frame so far was cut off.

Frames are plain 7-bit text plus the control characters above. A byte outside that set before the
EOT means the SOH was line noise (or the frame was corrupted): the framer drops what it had and looks
for the next SOH. A new SOH anywhere else before the EOT - in the middle of a record - means the
previous frame was cut off; that partial frame is kept in :attr:`NidekFramer.dropped` so the listener
can tell the user.
"""

from __future__ import annotations

SOH = 0x01
STX = 0x02
ETX = 0x03
EOT = 0x04
LF = 0x0A
CR = 0x0D
ETB = 0x17

_HEX_DIGITS = frozenset(b"0123456789ABCDEFabcdef")
# Bytes a Nidek frame may contain between SOH and EOT: printable ASCII, tab, and the framing controls.
_FRAME_BYTES = frozenset(range(0x20, 0x7F)) | {STX, ETX, 0x09, LF, CR, ETB}
CHECKSUM_LENGTH = 4
_BLOCK_ID_LENGTH = 3


class NidekFramer:
    """Collects serial chunks and returns complete SOH...EOT[checksum][CR] frames.

    ``max_frame_bytes`` bounds memory if a device streams without ever sending EOT.
    """

    def __init__(self, max_frame_bytes: int = 64 * 1024) -> None:
        self._buffer = bytearray()
        self._max_frame_bytes = max_frame_bytes
        self.dropped: list[bytes] = []
        """Frames that started (SOH + text) but were cut off or corrupted, oldest first."""
        self.noise_bytes = 0
        """How many bytes outside any frame were discarded (line noise, stray CRs)."""

    @property
    def pending(self) -> bytes:
        """Bytes of a frame still being received (empty when between frames)."""
        return bytes(self._buffer)

    def feed(self, chunk: bytes) -> list[bytes]:
        """Add ``chunk`` and return the frames it completed, in order."""
        self._buffer.extend(chunk)
        return self._extract(final=False)

    def flush(self) -> list[bytes]:
        """The line went quiet: release a frame that was only waiting to see if a checksum follows.

        A frame still missing its EOT stays pending (see :attr:`pending`).
        """
        return self._extract(final=True)

    def reset(self) -> bytes:
        """Forget any partial frame (e.g. the port was closed); returns what was discarded."""
        pending = bytes(self._buffer)
        self._buffer.clear()
        return pending

    def _extract(self, *, final: bool) -> list[bytes]:
        frames: list[bytes] = []
        buf = self._buffer
        while buf:
            start = buf.find(SOH)
            if start < 0:
                self.noise_bytes += len(buf)
                buf.clear()
                break
            if start:
                self.noise_bytes += start
                del buf[:start]
            end = self._scan(buf)
            if end is None:  # frame not finished yet
                if len(buf) > self._max_frame_bytes:
                    self._drop(len(buf))
                    continue
                break
            kind, index = end
            if kind == "restart":  # another SOH before EOT: the frame so far was cut off
                self._drop(index)
                continue
            if kind == "bad_byte":
                self._drop(index, include_byte=True)
                continue
            # kind == "eot": index is the EOT position; look for an optional checksum.
            tail = buf[index + 1 : index + 1 + CHECKSUM_LENGTH]
            hex_count = 0
            for byte in tail:
                if byte not in _HEX_DIGITS:
                    break
                hex_count += 1
            if hex_count == len(tail) and hex_count < CHECKSUM_LENGTH and not final:
                break  # checksum digits may still be on their way
            frame_end = index + 1 + hex_count
            if frame_end < len(buf) and buf[frame_end] == CR:
                frame_end += 1
            frames.append(bytes(buf[:frame_end]))
            del buf[:frame_end]
        return frames

    @staticmethod
    def _scan(buf: bytearray) -> tuple[str, int] | None:
        """From the SOH at buf[0], find EOT, a restarting SOH, or a byte no frame can contain.

        An SOH whose last byte before it (CR/LF aside) is an ETB opens the next block of the same
        transmission, if its block id is new to the frame; anywhere else, or with an id the frame
        already has, it restarts: the frame so far was cut off."""
        last = SOH
        block_ids = {bytes(buf[1:1 + _BLOCK_ID_LENGTH])}
        for index in range(1, len(buf)):
            byte = buf[index]
            if byte == EOT:
                return ("eot", index)
            if byte == SOH:
                if last != ETB:
                    return ("restart", index)
                block_id = bytes(buf[index + 1:index + 1 + _BLOCK_ID_LENGTH])
                if len(block_id) < _BLOCK_ID_LENGTH:
                    return None  # the next block's id is still on its way
                if block_id in block_ids:
                    return ("restart", index)
                block_ids.add(block_id)
            elif byte not in _FRAME_BYTES:
                return ("bad_byte", index)
            if byte not in (CR, LF):
                last = byte
        return None

    def _drop(self, end: int, *, include_byte: bool = False) -> None:
        partial = bytes(self._buffer[:end])
        # Only something that got as far as a record is worth reporting; a lone SOH is noise.
        if STX in partial:
            self.dropped.append(partial)
        else:
            self.noise_bytes += len(partial)
        cut = end + 1 if include_byte else end
        if include_byte:
            self.noise_bytes += 1
        del self._buffer[:cut]


def split_frames(data: bytes) -> tuple[list[bytes], list[bytes], bytes]:
    """Cut a complete read (a file, or everything a port sent) into frames.

    Returns ``(frames, dropped, pending)``: the complete frames, any cut-off frames followed by a new
    one, and an unfinished frame at the end (empty if none).
    """
    framer = NidekFramer(max_frame_bytes=max(len(data) + 1, 64 * 1024))
    frames = framer.feed(data)
    frames.extend(framer.flush())
    return frames, list(framer.dropped), framer.pending


def nidek_checksum(frame_through_eot: bytes) -> str:
    """Nidek checksum: low 16 bits of the byte sum from SOH through EOT, CR bytes excluded, as 4 hex.

    Verified on three published frames; no manual states it (docs/domain/equipment.md, "Checksum"),
    hence parsers only warn on a mismatch.
    """
    return f"{sum(b for b in frame_through_eot if b != CR) & 0xFFFF:04X}"
