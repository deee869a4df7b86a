"""The catalogue screen (``screen.CatalogueScreen``) with the item dialog and the CSV import beside it."""

from ils_desktop.ui.screens.catalogue.screen import CatalogueScreen

__all__ = ["CatalogueScreen"]
