"""Binocular vision: cover test, motility, near point of convergence, accommodation, stereopsis."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ils_desktop.domain.exam.values import decimal_from, mapping_of, plain_text, text_of


@dataclass(frozen=True)
class BinocularVision:
    """Cover test, motility, near point of convergence, accommodation, stereopsis."""

    cover_test_distance: str | None = None
    cover_test_near: str | None = None
    motility: str | None = None
    npc_cm: Decimal | None = None
    accommodation_R: Decimal | None = None
    accommodation_L: Decimal | None = None
    stereopsis: str | None = None
    notes: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"cover_test_distance": self.cover_test_distance, "cover_test_near": self.cover_test_near,
                "motility": self.motility, "npc_cm": plain_text(self.npc_cm, 0) if self.npc_cm is not None
                and self.npc_cm == self.npc_cm.to_integral_value() else plain_text(self.npc_cm, 1),
                "accommodation_R": plain_text(self.accommodation_R, 2),
                "accommodation_L": plain_text(self.accommodation_L, 2),
                "stereopsis": self.stereopsis, "notes": self.notes}

    @classmethod
    def from_json(cls, data: object) -> BinocularVision:
        v = mapping_of(data)
        return cls(text_of(v.get("cover_test_distance")), text_of(v.get("cover_test_near")), text_of(v.get("motility")),
                   decimal_from(v.get("npc_cm")), decimal_from(v.get("accommodation_R")),
                   decimal_from(v.get("accommodation_L")), text_of(v.get("stereopsis")), text_of(v.get("notes")))

    def problems(self) -> list[str]:
        problems = []
        if self.npc_cm is not None and not Decimal(0) <= self.npc_cm <= Decimal(50):
            problems.append(f"NPC {self.npc_cm} cm is out of range (0–50 cm)")
        for side, value in (("R", self.accommodation_R), ("L", self.accommodation_L)):
            if value is not None and not Decimal(0) <= value <= Decimal(25):
                problems.append(f"Accommodation {side} {value} D is out of range (0–25 D)")
        return problems
