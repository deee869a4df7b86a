"""``ils-desktop devices simulate``: play a device, so the whole path can be tried without hardware.

    ils-desktop devices simulate --kind lensmeter --protocol nidek --port /dev/pts/3
    ils-desktop devices simulate --kind autorefractor --port /dev/pts/3 --count 3 --handshake CRK
    ils-desktop devices simulate --kind joia --folder /srv/exports/ark --slow
    ils-desktop devices simulate --kind dicom --host 127.0.0.1 --port 11112 --called-ae ILS
    ils-desktop devices simulate --kind worklist --host 127.0.0.1 --port 11113 --called-ae ILSMWL
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from ils_desktop.devices import simulators

SERIAL_KINDS = tuple(simulators.FRAMES)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ils-desktop devices simulate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kind", required=True, choices=(*SERIAL_KINDS, "joia", "dicom", "worklist"))
    parser.add_argument("--protocol", default="nidek", choices=("nidek",), help="serial protocol to speak")
    parser.add_argument("--port", help="serial port or pty (/dev/pts/N), or the DICOM port number")
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between readings")
    parser.add_argument("--handshake", metavar="ID", help="play the NIDEK handshake first (the PC answers ID)")
    parser.add_argument("--folder", type=Path, help="export folder for --kind joia")
    parser.add_argument("--slow", action="store_true", help="write the file in pieces, as a slow device does")
    parser.add_argument("--patient-id", help="the patient id the device reports")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--called-ae", default="ILS")
    parser.add_argument("--calling-ae", default="SIMULATOR",
                        help="the AE title to call from; the practice's DICOM services accept only AE titles "
                             "registered on the Equipment screen")
    parser.add_argument("--seed", type=int, help="repeatable values")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    rng = random.Random(args.seed)
    try:
        if args.kind in SERIAL_KINDS:
            if not args.port:
                print("ils-desktop: --port is required for a serial device (e.g. /dev/pts/3)", file=sys.stderr)
                return 2
            frames = [simulators.FRAMES[args.kind](rng) for _ in range(args.count)]
            simulators.write_to_port(args.port, frames, interval=args.interval, handshake=args.handshake)
            print(f"Sent {len(frames)} {args.kind} reading(s) to {args.port}")
            return 0
        if args.kind == "joia":
            if args.folder is None:
                print("ils-desktop: --folder is required for --kind joia", file=sys.stderr)
                return 2
            for _ in range(args.count):
                name = f"M-Serial0036_{datetime.now():%Y%m%d_%H%M%S%f}_TOPCON_KR-800S_.xml"
                path = simulators.drop_file(args.folder, simulators.joia_file(rng, patient_id=args.patient_id),
                                            name=name, slow=args.slow)
                print(f"Wrote {path}")
            return 0
        port = int(args.port or 0)
        if not port:
            print("ils-desktop: --port (the DICOM port number) is required", file=sys.stderr)
            return 2
        from ils_desktop.devices.transports.dicom_scp import query_worklist, send_c_store

        if args.kind == "dicom":
            from ils_desktop.devices.measurement import EyeValues
            from ils_desktop.devices.simulated_frames import dicom_autorefraction_dataset

            eyes = {eye: EyeValues(sphere=Decimal(rng.choice(("-1.25", "-0.50", "+1.00"))),
                                   cylinder=Decimal("-0.50"), axis=rng.randint(1, 180)) for eye in ("R", "L")}
            status = send_c_store(dicom_autorefraction_dataset(eyes, patient_id=args.patient_id),
                                  args.host, port, called_ae=args.called_ae, calling_ae=args.calling_ae)
            print(f"C-STORE status 0x{status:04X}")
            return 0 if status == 0 else 1
        for ds in query_worklist(args.host, port, called_ae=args.called_ae, calling_ae=args.calling_ae):
            step = ds.ScheduledProcedureStepSequence[0]
            print(f"{ds.PatientID:>10}  {ds.PatientName!s:30} {ds.PatientBirthDate or '':8}  "
                  f"{step.ScheduledProcedureStepStartTime[:4]}  {step.ScheduledStationAETitle}")
        return 0
    except (OSError, ConnectionError, TimeoutError) as error:
        print(f"ils-desktop: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
