"""ILS Desktop: the desktop application that runs a UK optical practice."""

__version__ = "0.1.0"
