"""The inventory screen (a package: one module per tab, with their item models and dialogs)."""

from ils_desktop.ui.screens.inventory.screen import InventoryScreen

__all__ = ["InventoryScreen"]
