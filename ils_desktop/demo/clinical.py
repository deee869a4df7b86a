"""Demo clinical data: patients, today's diary, past examinations and prescriptions.

Each part lives beside the capability it demonstrates; this module runs them in order.
"""

from __future__ import annotations

import importlib
import random
import uuid

from sqlalchemy.engine import Engine

STEPS = (
    "ils_desktop.demo.patients:seed_patients",
    "ils_desktop.demo.diary:seed_diary",
    "ils_desktop.demo.exams:seed_exams",
)


def seed_clinical(owner_engine: Engine, company_id: uuid.UUID, rng: random.Random) -> None:
    for step in STEPS:
        module_name, _, function = step.partition(":")
        getattr(importlib.import_module(module_name), function)(owner_engine, company_id, rng)
