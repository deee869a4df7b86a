"""``ils-desktop devices parse FILE [--protocol NAME|auto]``: what would the device layer read from a file?

An integrator's tool: point it at a capture or an export and it prints the measurements as JSON, one
object per measurement, in a JSON array on stdout, and exits 0. Input it cannot parse gives a
one-line message on stderr (never a traceback) and exit code 2 (an unknown ``--protocol`` name lists
the known ones); that includes input over the 4 MiB cap, XML declaring a non-text encoding, digits
from other scripts and values no device could measure (see ``devices.plausibility``). Also runnable
as ``python -m ils_desktop.devices.parse_command FILE``.

Public JSON contract
--------------------
Each object in the array has:

``kind``
    one of ``autorefraction``, ``keratometry``, ``lensometry``, ``tonometry``, ``pachymetry``,
    ``subjective_refraction``, ``visual_acuity``.
``maker``, ``model``
    the device as it named itself (string or null).
``patient_id``
    the patient id the device was given (e.g. from the worklist), or null.
``taken_at``
    ISO 8601 with UTC offset (``2026-03-04T10:15:02+00:00``), or null when the device sent no time.
    Device clocks are taken to be UK local time.
``warnings``
    list of strings: things a person should know, values still read - e.g. ``"checksum mismatch:
    ..."``, a failed reading (``"L reading 1: APL (applanation not achieved) - no value"``).
``eyes``
    object with keys ``R``, ``L`` and, where the device gives them, ``B`` (binocular) or ``U`` (an
    unsided single lens). Each holds the representative values (the device's median/average when it
    sends one, otherwise the median of the readings) as JSON numbers, only those present, from:
    ``sphere``, ``cylinder``, ``axis``, ``add``, ``add2``, ``prism_h``, ``prism_h_base`` (``"IN"``/``"OUT"``),
    ``prism_v``, ``prism_v_base`` (``"UP"``/``"DOWN"``), ``k1_radius_mm``, ``k1_power``, ``k1_axis``,
    ``k2_radius_mm``, ``k2_power``, ``k2_axis``, ``iop_mmhg``, ``pachymetry_um``, ``va_decimal``;
    plus ``readings``, a list of the individual readings with the same keys. Cylinder is in the sign
    the device used (minus cylinder unless it says otherwise); axes are whole degrees 0-180.
``pd``
    object with ``distance``, ``near``, ``R``, ``L`` (mm) where given.

Numbers are written digit for digit from the device's decimal values (``-2.25``, never
``-2.2499999``); a trailing zero the device sent may remain (``2.00``).

Additional keys, which consumers may ignore: ``protocol`` (the parser used), ``serial`` (device serial
number or null), ``extras`` (object of strings: device fields without a place in the model, e.g.
``working_distance_cm``, ``date`` when the device sent a date but no time), and in an eye object
``near_sphere``, ``k_average_radius_mm``, ``k_average_power``, ``corneal_cylinder``,
``corneal_cylinder_axis``, ``iop_corrected_mmhg``, ``spherical_equivalent``, ``confidence``,
``vertex_distance`` (mm), and the deviation a tonometer or pachymeter gives with its average
(``iop_deviation_mmhg``, ``pachymetry_deviation_um``) when the device sends them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ils_desktop.devices.measurement import ParseError, measurements_to_json, one_line
from ils_desktop.devices.plausibility import MAX_INPUT_BYTES
from ils_desktop.devices.protocols import UnknownProtocolError, get_protocol, parse, protocol_names

EXIT_OK = 0
EXIT_UNPARSEABLE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ils-desktop devices parse",
        description="Parse a device capture or export file and print the measurements as JSON.",
    )
    parser.add_argument("file", metavar="FILE", type=Path, help="serial capture, XML export or DICOM file")
    parser.add_argument(
        "--protocol",
        default="auto",
        metavar="NAME|auto",
        help=f"format to read ({', '.join(protocol_names())}); default: detect it",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns the exit code (0 parsed, 2 could not parse or bad arguments)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help and usage errors; the caller wants a code
        return int(exc.code) if isinstance(exc.code, int) else EXIT_UNPARSEABLE
    protocol_name: str = args.protocol
    if protocol_name.strip().lower() != "auto":
        try:
            get_protocol(protocol_name)
        except UnknownProtocolError as exc:
            print(f"ils-desktop devices parse: {exc}; or 'auto'", file=sys.stderr)
            return EXIT_UNPARSEABLE
    path: Path = args.file
    name = one_line(path.name, 80)
    try:
        with path.open("rb") as file:
            # Read one byte past the cap: enough to refuse an oversized file without loading it.
            data = file.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        print(f"ils-desktop devices parse: cannot read {name}: {one_line(exc.strerror or str(exc))}", file=sys.stderr)
        return EXIT_UNPARSEABLE
    try:
        measurements = parse(data, protocol_name)
    except ParseError as exc:
        print(f"ils-desktop devices parse: {name}: {exc.message}", file=sys.stderr)
        return EXIT_UNPARSEABLE
    except Exception as exc:  # a parser bug must still honour the contract: one line, exit 2, no traceback
        print(f"ils-desktop devices parse: {name}: could not be read ({type(exc).__name__}); "
              "please report this file", file=sys.stderr)
        return EXIT_UNPARSEABLE
    sys.stdout.write(measurements_to_json(measurements) + "\n")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
