"""``ils-desktop devices parse FILE [--protocol NAME|auto]``: the integrator's command."""

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from ils_desktop.devices.parse_command import main
from ils_desktop.devices.protocols import protocol_names

REPO = Path(__file__).resolve().parents[2]
CONTRACT_TOP_KEYS = {"kind", "maker", "model", "patient_id", "taken_at", "warnings", "eyes", "pd"}


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_lensmeter_frame(fixtures_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run([str(fixtures_dir / "nidek-lm-right-left.bin")], capsys)
    assert code == 0
    assert err == ""
    assert '"sphere": -2.25' in out  # the device's digits, no float artefacts
    [obj] = json.loads(out)
    assert set(obj) >= CONTRACT_TOP_KEYS
    assert obj["kind"] == "lensometry"
    assert (obj["maker"], obj["model"], obj["patient_id"], obj["taken_at"]) == (
        "NIDEK",
        "LM-1000P",
        None,
        None,
    )
    assert obj["warnings"] == []
    assert set(obj["eyes"]) == {"R", "L"}
    right = obj["eyes"]["R"]
    assert {k: right[k] for k in ("sphere", "cylinder", "axis", "add", "prism_h", "prism_h_base")} == {
        "sphere": -2.25,
        "cylinder": -0.75,
        "axis": 95,
        "add": 2.0,
        "prism_h": 0.5,
        "prism_h_base": "IN",
    }
    assert "prism_v" not in right  # only values present are written
    assert obj["eyes"]["L"]["prism_v_base"] == "DOWN"
    assert right["readings"] == [{k: v for k, v in right.items() if k != "readings"}]
    assert obj["pd"] == {}


def test_two_measurements_from_one_capture(fixtures_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run([str(fixtures_dir / "nidek-ark-refraction-kerato.bin"), "--protocol", "auto"], capsys)
    assert code == 0
    refraction, kerato = json.loads(out, parse_float=Decimal)
    assert refraction["kind"] == "autorefraction" and kerato["kind"] == "keratometry"
    assert refraction["pd"] == {"distance": 64, "near": 60}
    assert [r["axis"] for r in refraction["eyes"]["R"]["readings"]] == [175, 178, 175]
    assert kerato["eyes"]["L"]["k1_radius_mm"] == Decimal("7.82")


def test_checksum_warning_and_patient_and_time(
    fixtures_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = run([str(fixtures_dir / "nidek-lm-bad-checksum.bin")], capsys)
    assert json.loads(out)[0]["warnings"][0].startswith("checksum mismatch")
    _, out, _ = run([str(fixtures_dir / "joia-ref-topcon-kr800s.xml"), "--protocol", "joia_xml"], capsys)
    [obj] = json.loads(out)
    assert obj["patient_id"] == "C000042"
    assert obj["taken_at"].startswith("2026-03-04T10:15:02")
    assert obj["pd"] == {"distance": 62, "near": 58}
    assert (obj["eyes"]["L"]["sphere"], obj["eyes"]["L"]["cylinder"], obj["eyes"]["L"]["axis"]) == (
        -2.25,
        -1.0,
        168,
    )


def test_malformed_file_exit_2(fixtures_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run([str(fixtures_dir / "joia-malformed.xml")], capsys)
    assert code == 2
    assert out == ""
    assert "joia-malformed.xml" in err and "malformed XML" in err


def test_truncated_frame_exit_2(fixtures_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run([str(fixtures_dir / "nidek-lm-truncated.bin")], capsys)
    assert code == 2 and "incomplete frame" in err


def test_wrong_protocol_for_the_file(fixtures_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run([str(fixtures_dir / "nidek-tonometer.bin"), "--protocol", "joia_xml"], capsys)
    assert code == 2 and "malformed XML" in err


def test_unknown_protocol_lists_the_known_ones(
    fixtures_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run([str(fixtures_dir / "nidek-tonometer.bin"), "--protocol", "topcon-magic"], capsys)
    assert code == 2 and out == ""
    assert "unknown protocol 'topcon-magic'" in err
    for name in protocol_names():
        assert name in err


def test_unrecognised_and_missing_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("just some notes\n")
    code, _, err = run([str(text)], capsys)
    assert code == 2 and "unrecognised device data" in err
    code, _, err = run([str(tmp_path / "missing.bin")], capsys)
    assert code == 2 and "cannot read" in err


def test_usage_errors_return_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage: ils-desktop devices parse" in capsys.readouterr().err
    assert main(["--help"]) == 0
    assert "--protocol" in capsys.readouterr().out


def test_runs_as_a_module(fixtures_dir: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ils_desktop.devices.parse_command",
            str(fixtures_dir / "nidek-tonometer.bin"),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    [obj] = json.loads(result.stdout)
    assert obj["kind"] == "tonometry"
    assert obj["eyes"]["R"]["iop_mmhg"] == 15.3
    assert [r["iop_mmhg"] for r in obj["eyes"]["L"]["readings"]] == [18]
    assert obj["warnings"] == ["L reading 1: APL (applanation not achieved) - no value"]
    bad = subprocess.run(
        [sys.executable, "-m", "ils_desktop.devices.parse_command", str(fixtures_dir / "joia-malformed.xml")],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 2 and "malformed XML" in bad.stderr and bad.stdout == ""
