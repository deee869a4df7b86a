"""Spectacle prescription (Rx) arithmetic: parse, format, transpose, validate, compare.

Pure functions on ``decimal.Decimal`` (never ``float``): no I/O, no Qt, no database.

Rules implemented here come from the domain reference (docs/domain/optical-practice.md,
"Prescriptions (spectacles)"):

* **Notation** — sphere / cylinder × axis, e.g. ``-1.25/-0.50x180``; ``DS`` marks a sphere alone,
  ``DC`` a cylinder, ``plano``/``pl`` is 0.00. Powers are dioptres (D).
* **Steps** — 0.25 D steps in normal practice, but devices may report 0.01 D. ``parse_sca`` and
  ``Sca`` keep what they are given (to 0.01 D); only ``validate_sca`` insists on 0.25 D steps, and
  ``round_to_step`` / ``round_sca`` round a device reading when a clinician accepts it into an Rx.
* **Axis** — whole degrees 1–180 (0 is written 180); required whenever cylinder ≠ 0, absent
  otherwise.
* **Transposition** — new sphere = sphere + cylinder; new cylinder = −cylinder; new axis = axis ± 90
  kept within 1–180. The lens is optically the same.
* **Near / intermediate Rx** — distance sphere + add; cylinder and axis unchanged. Adds are positive.
* **Prism** — prism dioptres (Δ) with base IN / OUT (horizontal) or UP / DOWN (vertical); may be
  written as one amount with a base angle (see ``resolve_prism`` for the angle convention).

Canonical text (``format_sca``): explicit sign and two decimals on every power, ``plano`` for a
zero sphere, ``DS`` on a sphere alone, lower-case ``x`` before an unpadded axis — ``-1.25/-0.50x180``,
``+2.00DS``, ``plano``, ``plano/-0.75x90``. ``parse_sca`` reads every canonical string back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import Final, Literal, TypeAlias

DecimalInput: TypeAlias = Decimal | int
"""What the power arguments accept: a Decimal or an int; never a float."""

HUNDREDTH: Final = Decimal("0.01")
"""Powers are held to 0.01 D (devices report to 0.01 D)."""

ZERO: Final = Decimal("0.00")

STANDARD_STEP: Final = Decimal("0.25")
"""Powers in a prescription are multiples of 0.25 D in normal practice."""

SPHERE_MIN: Final = Decimal("-30.00")
SPHERE_MAX: Final = Decimal("30.00")
"""Accepted sphere range. Wider than any trial-lens set (±20 D) so that extreme high myopes and
aphakic patients can still be recorded; anything outside is almost certainly a typing error."""

CYLINDER_MIN: Final = Decimal("-15.00")
CYLINDER_MAX: Final = Decimal("15.00")
"""Accepted cylinder range. Surfaced lenses rarely exceed 6–8 D of cylinder; ±15 D leaves room for
keratoconus and post-graft eyes while catching typing errors."""

AXIS_MIN: Final = 1
AXIS_MAX: Final = 180
"""Axis in whole degrees, 1–180 (an axis of 0 is written 180)."""

MAX_ADD: Final = Decimal("4.00")
"""Largest reading/intermediate add accepted (typical adds are +0.75 to +3.50)."""

DEFAULT_CHANGE_THRESHOLD: Final = Decimal("0.50")
"""A sphere or cylinder change of at least this many dioptres is clinically significant."""

DEFAULT_AXIS_THRESHOLD_DEG: Final = 15
"""An axis rotation of at least this many degrees is significant (when the cylinder is large enough)."""

DEFAULT_AXIS_MIN_CYLINDER: Final = Decimal("0.75")
"""Axis rotations are only judged when the larger of the two cylinders is at least this strong:
a small axis shift on a weak cylinder changes little optically."""

_PARSE_POWER_LIMIT: Final = Decimal("100")
"""``parse_sca``/``parse_prism`` refuse powers this large outright (not a plausible dioptre value)."""

Eye: TypeAlias = Literal["R", "L"]
"""Right or left eye."""

PrismBase: TypeAlias = Literal["IN", "OUT", "UP", "DOWN"]
PRISM_BASES: Final[tuple[str, ...]] = ("IN", "OUT", "UP", "DOWN")
"""Base directions: IN / OUT are horizontal (nasal / temporal), UP / DOWN vertical."""


# --------------------------------------------------------------------------------------------------
# Decimal helpers


def _as_decimal(value: object, what: str) -> Decimal:
    """Return ``value`` as a finite Decimal; refuse floats (``TypeError``) — Decimal never float."""
    if isinstance(value, float):
        raise TypeError(f"{what} must be a Decimal, not a float ({value!r}); use Decimal('...')")
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{what} must be a Decimal or int, not {type(value).__name__} ({value!r})")
    result = Decimal(value)
    if not result.is_finite():
        raise ValueError(f"{what} must be a finite number, not {value}")
    return result


def _to_hundredths(value: object, what: str) -> Decimal:
    """Quantize a power to 0.01 D (half away from zero), turning -0.00 into 0.00."""
    number = _as_decimal(value, what)
    try:
        result = number.quantize(HUNDREDTH, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise ValueError(f"{what} {number} is too large to be a dioptre value") from None
    return result.copy_abs() if result.is_zero() else result


def _signed(value: Decimal) -> str:
    """Write a power with an explicit sign and two decimals: ``+2.00``, ``-0.50``, ``+0.00``."""
    return f"{value:+.2f}"


def _signed_exact(value: Decimal) -> str:
    """Like ``_signed`` but keep a third decimal when there is one (``-1.375``): for exact values."""
    return _signed(value) if value == value.quantize(HUNDREDTH) else f"{value.normalize():+f}"


def round_to_step(value: DecimalInput, step: DecimalInput = STANDARD_STEP) -> Decimal:
    """Round ``value`` to the nearest multiple of ``step``, halves away from zero.

    Rule: devices may report 0.01 D; a value is rounded to the 0.25 D step only when the clinician
    accepts it into an Rx. ``round_to_step(Decimal("-1.37"))`` → ``-1.25``;
    ``round_to_step(Decimal("-1.375"))`` → ``-1.50`` (half away from zero).
    """
    number = _as_decimal(value, "value")
    size = _as_decimal(step, "step")
    if size <= 0:
        raise ValueError(f"step must be positive, not {size}")
    result = (number / size).quantize(Decimal(1), rounding=ROUND_HALF_UP) * size
    return result.copy_abs() if result.is_zero() else result


# --------------------------------------------------------------------------------------------------
# Sphere / cylinder / axis


@dataclass(frozen=True)
class Sca:
    """One eye's sphere / cylinder × axis.

    ``sphere`` and ``cylinder`` are dioptres quantized to 0.01 D (half away from zero) on
    construction; ints are accepted and converted, floats refused. ``axis`` is whole degrees or
    ``None``. The constructor does not enforce the clinical rules (0.25 D steps, ranges, axis present
    exactly when there is a cylinder) so that device readings can be held as sent: use
    ``validate_sca`` for those.
    """

    sphere: Decimal
    cylinder: Decimal = ZERO
    axis: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "sphere", _to_hundredths(self.sphere, "Sphere"))
        object.__setattr__(self, "cylinder", _to_hundredths(self.cylinder, "Cylinder"))
        if self.axis is not None and (isinstance(self.axis, bool) or not isinstance(self.axis, int)):
            raise TypeError(f"Axis must be a whole number of degrees or None, not {self.axis!r}")

    @property
    def has_cylinder(self) -> bool:
        """True when the cylinder is not zero (so an axis is required)."""
        return not self.cylinder.is_zero()


def _axis_of(sca: Sca) -> int:
    """Return the axis of a Sca with a cylinder, 0 read as 180; ``ValueError`` if missing/out of range."""
    if sca.axis is None:
        raise ValueError(f"Cylinder {_signed(sca.cylinder)} has no axis: an axis (1 to 180) is required")
    if sca.axis == 0:
        return AXIS_MAX
    if not AXIS_MIN <= sca.axis <= AXIS_MAX:
        raise ValueError(_axis_range_message(sca.axis))
    return sca.axis


def _axis_range_message(axis: int) -> str:
    return f"Axis {axis} is out of range: use {AXIS_MIN} to {AXIS_MAX}"


def format_sca(sca: Sca) -> str:
    """Write ``sca`` in canonical notation (the notation rule in the module docstring).

    ``-1.25/-0.50x180``, ``+2.00DS``, ``plano``, ``plano/-0.75x90``: explicit sign, two decimals,
    unpadded axis. A zero cylinder is written as a sphere alone (any stray axis is ignored); a
    cylinder without a valid axis raises ``ValueError`` because the text could not be read back.
    """
    if not sca.has_cylinder:
        return "plano" if sca.sphere.is_zero() else f"{_signed(sca.sphere)}DS"
    sphere = "plano" if sca.sphere.is_zero() else _signed(sca.sphere)
    return f"{sphere}/{_signed(sca.cylinder)}x{_axis_of(sca)}"


def transpose(sca: Sca) -> Sca:
    """Return the same prescription in the other cylinder form.

    Transposition rule: new sphere = sphere + cylinder; new cylinder = −cylinder; new axis =
    axis ± 90 kept within 1–180. ``-1.25/-0.50x180`` ↔ ``-1.75/+0.50x90``. A sphere alone is
    returned unchanged. Transposing twice gives the original back.
    """
    if not sca.has_cylinder:
        return sca
    axis = _axis_of(sca)
    new_axis = axis + 90 if axis <= 90 else axis - 90
    return Sca(sca.sphere + sca.cylinder, -sca.cylinder, new_axis)


def to_minus_cylinder(sca: Sca) -> Sca:
    """Return ``sca`` in minus-cylinder form (transposing a plus cylinder; see ``transpose``)."""
    return transpose(sca) if sca.cylinder > 0 else sca


def to_plus_cylinder(sca: Sca) -> Sca:
    """Return ``sca`` in plus-cylinder form (transposing a minus cylinder; see ``transpose``)."""
    return transpose(sca) if sca.cylinder < 0 else sca


def spherical_equivalent(sca: Sca) -> Decimal:
    """Return sphere + cylinder / 2, exact (e.g. ``-1.00/-0.75x90`` → ``-1.375``; not rounded).

    The spherical equivalent is the same in both cylinder forms (transposition does not change it).
    Round with ``round_to_step`` if a prescribable value is needed.
    """
    return sca.sphere + sca.cylinder / 2


def round_sca(sca: Sca, step: DecimalInput = STANDARD_STEP) -> Sca:
    """Round sphere and cylinder to ``step`` (half away from zero), keeping the axis.

    Used when a clinician accepts a device reading (0.01 D) into an Rx (0.25 D steps). If the
    cylinder rounds to zero the axis is dropped (axis is absent when there is no cylinder).
    """
    cylinder = round_to_step(sca.cylinder, step)
    axis = sca.axis if not cylinder.is_zero() else None
    if axis == 0:
        axis = AXIS_MAX
    return Sca(round_to_step(sca.sphere, step), cylinder, axis)


def _range_problem(what: str, value: Decimal, low: Decimal, high: Decimal) -> list[str]:
    if low <= value <= high:
        return []
    return [f"{what} {_signed(value)} is out of range: use {_signed(low)} to {_signed(high)}"]


def _step_problem(what: str, value: Decimal, step: Decimal) -> list[str]:
    if (value % step).is_zero():
        return []
    return [f"{what} {_signed(value)} is not a multiple of {step} D"]


def _axis_problems(sca: Sca) -> list[str]:
    if not sca.has_cylinder:
        return [] if sca.axis is None else [f"Axis {sca.axis} must be left blank when there is no cylinder"]
    if sca.axis is None:
        return [f"Axis is required when there is a cylinder: use {AXIS_MIN} to {AXIS_MAX}"]
    if not AXIS_MIN <= sca.axis <= AXIS_MAX:
        return [_axis_range_message(sca.axis)]
    return []


def validate_sca(sca: Sca, *, step: DecimalInput = STANDARD_STEP) -> list[str]:
    """Return the problems with ``sca`` as a prescription (an empty list means valid).

    Rules checked: sphere within ``SPHERE_MIN``..``SPHERE_MAX`` (−30.00..+30.00 D); cylinder within
    ``CYLINDER_MIN``..``CYLINDER_MAX`` (−15.00..+15.00 D); both multiples of ``step`` (0.25 D in
    normal practice); axis 1–180 required when the cylinder is not zero and absent when it is.
    """
    size = _as_decimal(step, "step")
    if size <= 0:
        raise ValueError(f"step must be positive, not {size}")
    return [
        *_range_problem("Sphere", sca.sphere, SPHERE_MIN, SPHERE_MAX),
        *_step_problem("Sphere", sca.sphere, size),
        *_range_problem("Cylinder", sca.cylinder, CYLINDER_MIN, CYLINDER_MAX),
        *_step_problem("Cylinder", sca.cylinder, size),
        *_axis_problems(sca),
    ]


def with_add(distance: Sca, add: DecimalInput, *, what: str = "Add") -> Sca:
    """Return ``distance`` with ``add`` added to the sphere; cylinder and axis unchanged.

    Rule: near (or intermediate) Rx = distance sphere + add. Adds are positive: ``ValueError``
    unless 0 < add ≤ ``MAX_ADD`` (+4.00 D). ``what`` names the add in the error message.
    """
    amount = _as_decimal(add, what)
    if not ZERO < amount <= MAX_ADD:
        raise ValueError(
            f"{what} {_signed(amount)} is out of range: an add must be more than 0.00 and at most "
            f"{_signed(MAX_ADD)} D"
        )
    return Sca(distance.sphere + amount, distance.cylinder, distance.axis)


def near_rx(distance: Sca, add: DecimalInput) -> Sca:
    """Return the near Rx: distance sphere + near add, cylinder and axis unchanged (see ``with_add``)."""
    return with_add(distance, add, what="Near add")


def intermediate_rx(distance: Sca, add: DecimalInput) -> Sca:
    """Return the intermediate Rx: distance sphere + intermediate add (see ``with_add``)."""
    return with_add(distance, add, what="Intermediate add")


# --------------------------------------------------------------------------------------------------
# Parsing sphere / cylinder / axis text

_SCA_TOKEN = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<number>[+-]?\s*(?:\d+(?:\.\d*)?|\.\d+))
    | (?P<plano>plano|pl|∞)
    | (?P<sph_label>sphere|sph)
    | (?P<cyl_label>cylinder|cyl)
    | (?P<axis>axis|ax|x|@)
    | (?P<ds>ds|d\.s\.?)
    | (?P<dc>dc|d\.c\.?)
    | (?P<dioptres>d)
    | (?P<slash>/)
    """,
    re.VERBOSE | re.ASCII,
)
_SCA_TRANSLATION: Final = str.maketrans(
    {"×": "x", "✕": "x", "−": "-", "–": "-", "—": "-", "‐": "-", "﹣": "-", "°": None}
)
_POWER_KINDS: Final = ("number", "plano")
_SCA_EXAMPLES: Final = "e.g. -1.25/-0.50x180, +2.00DS or plano"


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    after_gap: bool
    """True when whitespace or nothing (start of text) comes just before the token."""


def _tokenize_sca(original: str, text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    gap = True
    while position < len(text):
        match = _SCA_TOKEN.match(text, position)
        if match is None:
            raise ValueError(f"Cannot read '{original}': unexpected '{text[position]}' ({_SCA_EXAMPLES})")
        kind = match.lastgroup or ""
        position = match.end()
        if kind == "space":
            gap = True
            continue
        token = _Token(kind, re.sub(r"\s+", "", match.group()), gap)
        if (
            kind == "number"
            and tokens
            and tokens[-1].kind == "number"
            and not token.after_gap
            and token.text[0] not in "+-"
        ):
            raise ValueError(
                f"Cannot read '{original}': two powers run together; separate sphere and cylinder "
                "with '/' (e.g. -1.25/-0.50x180)"
            )
        tokens.append(token)
        gap = False
    return tokens


class _ScaParser:
    """Recursive-descent reader for the notations listed in ``parse_sca``."""

    def __init__(self, original: str) -> None:
        self.original = original
        text = original.strip().lower().translate(_SCA_TRANSLATION)
        self.tokens = _tokenize_sca(original, text)
        self.position = 0

    def error(self, reason: str) -> ValueError:
        return ValueError(f"Cannot read '{self.original}': {reason}")

    def peek(self) -> _Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, *kinds: str) -> _Token | None:
        token = self.peek()
        if token is None or token.kind not in kinds:
            return None
        self.position += 1
        return token

    def power(self) -> Decimal | None:
        token = self.take(*_POWER_KINDS)
        if token is None:
            return None
        if token.kind == "plano":
            return ZERO
        value = Decimal(token.text)
        if abs(value) >= _PARSE_POWER_LIMIT:
            raise self.error(f"{token.text} D is not a plausible power")
        return value

    def axis(self) -> int | None:
        if self.take("axis") is None:
            return None
        token = self.take("number")
        if token is None:
            raise self.error("expected an axis after 'x' (e.g. x180)")
        if not token.text.isdigit():
            raise self.error(f"axis '{token.text}' must be a whole number of degrees from 1 to 180")
        value = int(token.text)
        if value == 0:
            return AXIS_MAX  # the reference: an axis of 0 is written 180
        if not AXIS_MIN <= value <= AXIS_MAX:
            raise ValueError(_axis_range_message(value))
        return value

    def end(self) -> None:
        token = self.peek()
        if token is None:
            return
        hint = " (write an axis as x180)" if token.kind == "number" else ""
        raise self.error(f"unexpected '{token.text}'{hint}")

    def build(self, sphere: Decimal, cylinder: Decimal, axis: int | None) -> Sca:
        if cylinder.is_zero():
            return Sca(sphere)  # a zero cylinder has no axis
        if axis is None:
            raise self.error("a cylinder needs an axis (e.g. x180)")
        return Sca(sphere, cylinder, axis)

    def parse(self) -> Sca:
        if not self.tokens:
            raise ValueError(f"Prescription is empty: enter a power, {_SCA_EXAMPLES}")
        self.take("sph_label")
        first = self.power()
        if first is None:
            if self.take("cyl_label") is None:
                raise self.error(f"expected a sphere power ({_SCA_EXAMPLES})")
            return self.cylinder_only(self.required_power("a cylinder power after 'cyl'"))
        unit = self.take("ds", "dc", "dioptres")
        if unit is not None and unit.kind == "dc":
            return self.cylinder_only(first)
        separator = self.take("slash")
        labelled = self.take("cyl_label")
        second = self.power()
        if second is None:
            if separator is not None or labelled is not None:
                raise self.error("expected a cylinder power after the sphere (e.g. /-0.50x180)")
            following = self.peek()
            if following is not None and following.kind == "axis":
                raise self.error(
                    "a single power with an axis is ambiguous: write a cylinder alone as "
                    "plano/-0.50x90 or -0.50DC x90"
                )
            self.end()
            return Sca(first)
        self.take("dc", "dioptres")
        axis = self.axis()
        self.end()
        return self.build(first, second, axis)

    def required_power(self, what: str) -> Decimal:
        value = self.power()
        if value is None:
            raise self.error(f"expected {what}")
        return value

    def cylinder_only(self, cylinder: Decimal) -> Sca:
        self.take("dc", "dioptres")
        axis = self.axis()
        self.end()
        return self.build(ZERO, cylinder, axis)


def parse_sca(text: str) -> Sca:
    """Read sphere / cylinder × axis from any common notation (the notation rule).

    Accepted (case-insensitive, surrounding whitespace ignored): ``-1.25/-0.50x180``,
    ``-1.25 / -0.50 x 180``, ``-1.25/-0.50×180``, ``-1.25/-0.50 @ 180``, ``-1.25-0.50x180``,
    ``+1.5/-.5x90``, ``+2.00DS``, ``-1.25 DS``, ``plano``, ``pl``, ``∞``, ``pl/-0.75x90``,
    ``-0.50 DC x 90`` (a cylinder alone: sphere plano), ``sph -1.25 cyl -0.50 axis 180``.
    An unsigned power is positive. Typographic minus signs and a trailing ``°`` are accepted.

    Axis 0 is stored as 180 (0 is written 180). A zero cylinder is read as a sphere alone and any
    axis given with it is dropped. Powers are kept to 0.01 D as written: 0.25 D steps and clinical
    ranges are checked by ``validate_sca``, not here.

    Raises ``ValueError`` with a message fit to show the user, e.g. "Cannot read '-1.25/-0.50': a
    cylinder needs an axis (e.g. x180)" or "Axis 200 is out of range: use 1 to 180".
    """
    return _ScaParser(text).parse()


# --------------------------------------------------------------------------------------------------
# Prism


@dataclass(frozen=True)
class Prism:
    """A prism in prism dioptres (Δ) with a base direction: IN / OUT (horizontal) or UP / DOWN.

    ``amount`` is quantized to 0.01 Δ and must be more than zero (no prism is ``None``, not a zero
    Prism); ``base`` is one of ``PRISM_BASES``, any case on input, stored upper-case.
    """

    amount: Decimal
    base: str

    def __post_init__(self) -> None:
        amount = _to_hundredths(self.amount, "Prism amount")
        if amount <= 0:
            raise ValueError(f"Prism amount must be more than 0, not {amount}")
        base = self.base.strip().upper() if isinstance(self.base, str) else self.base
        if base not in PRISM_BASES:
            raise ValueError(f"Prism base {self.base!r} is not one of IN, OUT, UP or DOWN")
        object.__setattr__(self, "amount", amount)
        object.__setattr__(self, "base", base)


_PRISM_TOKEN = re.compile(r"\d+(?:\.\d*)?|\.\d+|[a-z]+|\S", re.ASCII)
_PRISM_BASE_WORDS: Final = {
    "in": "IN",
    "bi": "IN",
    "out": "OUT",
    "bo": "OUT",
    "up": "UP",
    "bu": "UP",
    "down": "DOWN",
    "bd": "DOWN",
}
_PRISM_FILLER: Final = frozenset(
    {"base", "b", "pd", "prism", "prisms", "dioptre", "dioptres", "diopter", "diopters", "d"}
)
_PRISM_EXAMPLES: Final = "e.g. 1.00 BU, 0.50 base in or 2Δ out"


def parse_prism(text: str) -> Prism:
    """Read a prism: an amount in prism dioptres and a base direction, in either order.

    Accepted (case-insensitive): ``0.50 IN``, ``1.00 BU``, ``1 base up``, ``0.5Δ out``, ``2 BO``,
    ``base down 1.5``, ``1.5 prism dioptres base-in``, ``3^ BD``. Base abbreviations BI / BO / BU / BD
    mean IN / OUT / UP / DOWN. Raises ``ValueError`` with a message fit to show the user.
    """
    normalised = text.strip().lower()
    for delta in ("δ", "∆", "^", "p.d."):
        normalised = normalised.replace(delta, " pd ")
    normalised = normalised.replace("base-", "base ")
    if not normalised.strip():
        raise ValueError(f"Prism is empty: enter an amount and a base, {_PRISM_EXAMPLES}")
    amount: Decimal | None = None
    base: str | None = None
    for token in _PRISM_TOKEN.findall(normalised):
        if token[0].isdigit() or token[0] == ".":
            if amount is not None:
                raise ValueError(f"Cannot read prism '{text}': more than one amount")
            amount = Decimal(token)
        elif token in _PRISM_BASE_WORDS:
            if base is not None:
                raise ValueError(f"Cannot read prism '{text}': more than one base direction")
            base = _PRISM_BASE_WORDS[token]
        elif token not in _PRISM_FILLER:
            raise ValueError(f"Cannot read prism '{text}': unexpected '{token}' ({_PRISM_EXAMPLES})")
    if amount is None:
        raise ValueError(f"Cannot read prism '{text}': no amount in prism dioptres ({_PRISM_EXAMPLES})")
    if base is None:
        raise ValueError(f"Cannot read prism '{text}': no base direction (IN, OUT, UP or DOWN)")
    if amount >= _PARSE_POWER_LIMIT:
        raise ValueError(f"Cannot read prism '{text}': {amount} Δ is not a plausible prism")
    return Prism(amount, base)


def format_prism(prism: Prism) -> str:
    """Write a prism canonically: amount to two decimals, Δ, base — ``1.00Δ UP``, ``0.50Δ IN``."""
    return f"{prism.amount:.2f}Δ {prism.base}"


def _decimal_pi() -> Decimal:
    """π to the current context precision (recipe from the ``decimal`` module documentation)."""
    with localcontext() as context:
        context.prec += 2
        three = Decimal(3)
        last, term, total, n, na, d, da = Decimal(0), three, three, 1, 0, 0, 24
        while total != last:
            last = total
            n, na = n + na, na + 8
            d, da = d + da, da + 32
            term = (term * n) / d
            total += term
    return +total


def _decimal_series(x: Decimal, first_index: int, first_term: Decimal) -> Decimal:
    """Sum the alternating Taylor series shared by cos (from 1) and sin (from x), per the
    ``decimal`` module documentation recipes."""
    with localcontext() as context:
        context.prec += 2
        i, last, total, factorial, numerator, sign = first_index, Decimal(0), first_term, 1, first_term, 1
        while total != last:
            last = total
            i += 2
            factorial *= i * (i - 1)
            numerator *= x * x
            sign *= -1
            total += numerator / factorial * sign
    return +total


def _decimal_cos_sin(radians: Decimal) -> tuple[Decimal, Decimal]:
    """cos and sin of ``radians`` in Decimal arithmetic (no floats)."""
    return _decimal_series(radians, 0, Decimal(1)), _decimal_series(radians, 1, radians)


def resolve_prism(
    amount: DecimalInput, base_angle_degrees: DecimalInput, eye: Eye
) -> tuple[Prism | None, Prism | None]:
    """Split a prism given as amount + base angle into (horizontal, vertical) components for one eye.

    Rule: prism may be written as one amount with a base angle. Convention (360° base setting, the
    standard protractor as the practitioner faces the patient): 0° points to the practitioner's
    right, angles increase anticlockwise, 90° is base UP and 270° base DOWN. 0° is therefore towards
    the nose for the right eye (base IN) and towards the temple for the left eye (base OUT).

    Components are amount × cos(angle) and amount × sin(angle), rounded to 0.01 Δ half away from
    zero; a component that rounds to zero is ``None``. ``ValueError`` for an angle outside 0–360,
    a negative amount or an eye other than ``"R"``/``"L"``.
    """
    size = _as_decimal(amount, "Prism amount")
    angle = _as_decimal(base_angle_degrees, "Base angle")
    if size < 0:
        raise ValueError(f"Prism amount must not be negative, not {size}")
    if not 0 <= angle <= 360:
        raise ValueError(f"Base angle {angle} is out of range: use 0 to 360 degrees")
    if eye not in ("R", "L"):
        raise ValueError(f"Eye must be 'R' or 'L', not {eye!r}")
    cosine, sine = _decimal_cos_sin(angle * _decimal_pi() / 180)
    horizontal = _to_hundredths(size * cosine, "Horizontal prism")
    vertical = _to_hundredths(size * sine, "Vertical prism")
    towards_zero_degrees = "IN" if eye == "R" else "OUT"
    away_from_zero_degrees = "OUT" if eye == "R" else "IN"
    horizontal_prism = (
        None
        if horizontal.is_zero()
        else Prism(abs(horizontal), towards_zero_degrees if horizontal > 0 else away_from_zero_degrees)
    )
    vertical_prism = None if vertical.is_zero() else Prism(abs(vertical), "UP" if vertical > 0 else "DOWN")
    return horizontal_prism, vertical_prism


# --------------------------------------------------------------------------------------------------
# Significant change between two prescriptions


def axis_difference(first: int, second: int) -> int:
    """Return the smallest rotation in degrees (0–90) between two axes; 0 and 180 are the same axis."""
    difference = abs(first - second) % 180
    return min(difference, 180 - difference)


def significant_change(
    previous: Sca,
    current: Sca,
    *,
    threshold: DecimalInput = DEFAULT_CHANGE_THRESHOLD,
    axis_threshold_deg: int = DEFAULT_AXIS_THRESHOLD_DEG,
    axis_min_cylinder: DecimalInput = DEFAULT_AXIS_MIN_CYLINDER,
    spherical_equivalent_threshold: DecimalInput | None = None,
) -> list[str]:
    """Return the reasons why ``current`` differs significantly from ``previous`` (empty if not).

    Both are compared in minus-cylinder form (``to_minus_cylinder``), so the same lens written in
    the other form is no change. Clinical convention used to raise a ``prescription_alert``, every
    threshold configurable:

    * sphere changed by ≥ ``threshold`` (default 0.50 D);
    * cylinder changed by ≥ ``threshold`` (default 0.50 D; includes a cylinder appearing/going);
    * axis rotated by ≥ ``axis_threshold_deg`` (default 15°) when both have a cylinder and the
      larger cylinder is ≥ ``axis_min_cylinder`` (default 0.75 D);
    * spherical equivalent changed by ≥ ``spherical_equivalent_threshold`` — off unless given.

    ``ValueError`` if a prescription has a cylinder without a valid axis.
    """
    limit = _as_decimal(threshold, "threshold")
    min_cylinder = _as_decimal(axis_min_cylinder, "axis_min_cylinder")
    if limit <= 0 or axis_threshold_deg <= 0:
        raise ValueError("Change thresholds must be positive")
    before, after = to_minus_cylinder(previous), to_minus_cylinder(current)
    reasons: list[str] = []
    for what, old, new in (
        ("Sphere", before.sphere, after.sphere),
        ("Cylinder", before.cylinder, after.cylinder),
    ):
        if abs(new - old) >= limit:
            reasons.append(
                f"{what} changed by {_signed(new - old)} D (from {_signed(old)} to {_signed(new)})"
            )
    if (
        before.has_cylinder
        and after.has_cylinder
        and max(abs(before.cylinder), abs(after.cylinder)) >= min_cylinder
    ):
        old_axis, new_axis = _axis_of(before), _axis_of(after)
        rotation = axis_difference(old_axis, new_axis)
        if rotation >= axis_threshold_deg:
            reasons.append(f"Axis moved by {rotation}° (from {old_axis} to {new_axis})")
    if spherical_equivalent_threshold is not None:
        se_limit = _as_decimal(spherical_equivalent_threshold, "spherical_equivalent_threshold")
        old_se, new_se = spherical_equivalent(before), spherical_equivalent(after)
        if abs(new_se - old_se) >= se_limit:
            reasons.append(
                f"Spherical equivalent changed by {_signed_exact(new_se - old_se)} D "
                f"(from {_signed_exact(old_se)} to {_signed_exact(new_se)})"
            )
    return reasons
