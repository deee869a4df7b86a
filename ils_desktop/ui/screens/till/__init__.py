"""The till screen (``screen.TillScreen``), the basket it sells from, and the dialogs that serve only
the till: payments, discounts, a manager's authorisation, the customer, parked baskets, refunds and
exchanges, finding a receipt, the till session — and the till's cards in Practice settings."""

from ils_desktop.ui.screens.till.basket import BasketState
from ils_desktop.ui.screens.till.screen import TillScreen

__all__ = ["BasketState", "TillScreen"]
