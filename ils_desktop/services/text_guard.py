"""The last safety net for text on its way to the database.

Services check every field they take (``domain.text_input``) and report a problem under the key
the form shows it on. This net is for a field someone forgot: it refuses what the database cannot
store at all — NUL and lone surrogates, also inside JSONB values — with ``ValidationFailed``
instead of a ``DataError`` or ``UnicodeEncodeError`` and a traceback. It does not check lengths or
other control characters: those depend on the field, and the net must never refuse what a
service deliberately accepts.

Two hooks, registered once when ``ils_desktop.services`` is imported:

* before an ORM flush, every mapped column value of a new or changed row (the message names the
  attribute, e.g. ``notes``);
* before any statement is sent, its parameters (queries and Core statements that bypass the flush).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ils_desktop.domain.text_input import character_message, nested_unstorable_character
from ils_desktop.errors import ValidationFailed

_BIND_SUFFIX = re.compile(r"_+\d+$")  # "nhs_number_1" (a compiled comparison) → "nhs_number"


def _refuse(name: str, value: object) -> None:
    found = nested_unstorable_character(value)
    if found:
        raise ValidationFailed({name: character_message(found)})


def refuse_unstorable_attributes(session: Session, _flush_context: Any, _instances: Any) -> None:
    """Before a flush: no new or changed row may carry text the database cannot store."""
    for instance in (*session.new, *session.dirty):
        state = inspect(instance)
        for attribute in state.mapper.column_attrs:
            value = state.dict.get(attribute.key)
            if isinstance(value, str | Mapping | list | tuple):
                _refuse(attribute.key, value)


def _parameter_rows(parameters: Any, executemany: bool) -> Iterable[Any]:
    return parameters if executemany and isinstance(parameters, list | tuple) else (parameters,)


def refuse_unstorable_parameters(_connection: Any, _cursor: Any, _statement: str, parameters: Any,
                                 _context: Any, executemany: bool) -> None:
    """Before a statement is sent: none of its parameters may be text the database cannot store."""
    for row in _parameter_rows(parameters, executemany):
        items = row.items() if isinstance(row, Mapping) else enumerate(row or ())
        for name, value in items:
            value = getattr(value, "obj", value)  # psycopg's Jsonb wrapper holds the Python value
            if isinstance(value, str | Mapping | list | tuple):
                _refuse(_BIND_SUFFIX.sub("", str(name)) or "text", value)


def install() -> None:
    """Register both hooks (idempotent: SQLAlchemy keeps one registration per function)."""
    if not event.contains(Session, "before_flush", refuse_unstorable_attributes):
        event.listen(Session, "before_flush", refuse_unstorable_attributes)
    if not event.contains(Engine, "before_cursor_execute", refuse_unstorable_parameters):
        event.listen(Engine, "before_cursor_execute", refuse_unstorable_parameters)
