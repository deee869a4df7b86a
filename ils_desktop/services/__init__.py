"""Use cases, one transaction each. Importing the package installs the last safety net for text
(``services.text_guard``): whatever a service forgets to check, NUL and lone surrogates never
reach the database as a ``DataError``."""

from ils_desktop.services import text_guard as _text_guard

_text_guard.install()
