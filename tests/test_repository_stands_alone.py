"""The repository stands alone: nothing in it points at reading material beside the clone.

Every tracked text file (code, tests, docs, README, config) is scanned:

* no mention of a folder outside the repository (``../shared``, ``shared/domain``,
  ``shared/fixtures``);
* every path-like reference to a Markdown file (``docs/domain/equipment.md``, ``nhs-gos.md``,
  ``../README.md``) resolves to a tracked file, either relative to the file that mentions it or
  from the repository root. So ``docs/domain/nhs-gos.md`` passes anywhere and a bare ``nhs-gos.md``
  passes beside it in ``docs/domain/``, but a bare ``nhs-gos.md`` in a module, or any
  ``ARCHITECTURE.md``, fails: it names a file the clone does not have.

The domain references the code cites live in ``docs/domain/``.
"""

from __future__ import annotations

import posixpath
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
THIS_FILE = Path(__file__).resolve().relative_to(REPO).as_posix()

OUTSIDE_FOLDER = re.compile(r"\.\./shared\b|\bshared/(?:domain|fixtures)\b")
MARKDOWN_REFERENCE = re.compile(r"(?<![\w./:-])((?:\.{1,2}/)*[\w-][\w./-]*\.md)\b")

# Files another engineer is editing right now; their pointers are fixed there. Each entry must
# still occur (a stale entry fails below): delete it once the file no longer has the pointer.
PENDING: dict[str, set[str]] = {}


def _tracked_files() -> list[str]:
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True,
                             timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        pytest.skip("not a git checkout")
    return [name for name in out.decode("utf-8").split("\0") if name]


def _text_lines(name: str) -> Iterator[tuple[int, str]]:
    try:
        data = (REPO / name).read_bytes()
    except OSError:  # deleted in the work tree but still in the index
        return
    if b"\0" in data:
        return
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return
    yield from enumerate(text.splitlines(), start=1)


def _resolves(reference: str, referrer: str, tracked: set[str]) -> bool:
    for base in (posixpath.dirname(referrer), ""):
        candidate = posixpath.normpath(posixpath.join(base, reference))
        if candidate in tracked:
            return True
    return False


def _problems(tracked: list[str]) -> list[tuple[str, int, str, str]]:
    """(file, line, offending text, why) for every pointer outside the repository."""
    known = set(tracked)
    found = []
    for name in tracked:
        if name == THIS_FILE:
            continue
        for number, line in _text_lines(name):
            for match in OUTSIDE_FOLDER.finditer(line):
                found.append((name, number, match.group(0), "a folder outside the repository"))
            for match in MARKDOWN_REFERENCE.finditer(line):
                reference = match.group(1)
                if not _resolves(reference, name, known):
                    found.append((name, number, reference, "not a file in the repository"))
    return found


def test_no_file_points_outside_the_repository() -> None:
    problems = [p for p in _problems(_tracked_files()) if p[2] not in PENDING.get(p[0], set())]
    assert not problems, "Pointers to material outside the repository (use docs/domain/...):\n" + "\n".join(
        f"  {name}:{number}: {text!r} — {why}" for name, number, text, why in problems)


def test_pending_exceptions_are_still_needed() -> None:
    seen = {(name, text) for name, _, text, _ in _problems(_tracked_files())}
    stale = [(name, text) for name, texts in PENDING.items() for text in texts if (name, text) not in seen]
    assert not stale, f"Fixed — remove from PENDING in {THIS_FILE}: {stale}"


@pytest.mark.parametrize(("reference", "referrer", "ok"), [
    ("docs/domain/equipment.md", "ils_desktop/devices/framing.py", True),
    ("nhs-gos.md", "docs/domain/README.md", True),
    ("../security.md", "docs/domain/README.md", True),
    ("README.md", "pyproject.toml", True),
    ("nhs-gos.md", "ils_desktop/domain/prescription_rules.py", False),
    ("uk-optics.md", "ils_desktop/domain/rx.py", False),
    ("ARCHITECTURE.md", "docs/tenancy.md", False),
    ("../shared/domain/equipment.md", "README.md", False),
])
def test_the_check_itself(reference: str, referrer: str, ok: bool) -> None:
    tracked = {"README.md", "pyproject.toml", "docs/security.md", "docs/domain/README.md",
               "docs/domain/nhs-gos.md", "docs/domain/equipment.md"}
    assert _resolves(reference, referrer, tracked) is ok
    assert MARKDOWN_REFERENCE.findall(f"see `{reference}`, § 2") == [reference]
