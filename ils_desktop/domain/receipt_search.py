"""What the receptionist typed in the receipt finder, read as one kind of search.

Pure, no I/O: digits alone are a receipt number (typed, or scanned from the barcode on the receipt);
a price with a pound sign or pence (``£120``, ``64.99``) is the total of a sale or refund; anything
else is words of the customer's name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from ils_desktop.domain import text_input
from ils_desktop.domain.money import PENNY


@dataclass(frozen=True)
class ReceiptSearch:
    number: int | None = None
    amount: Decimal | None = None
    name_words: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return self.number is None and self.amount is None and not self.name_words

    def bounded(self) -> ReceiptSearch:
        """However the search was made, the words searched for are bounded and storable."""
        return ReceiptSearch(self.number, self.amount,
                             tuple(text_input.clean_search_text(" ".join(self.name_words)).split()))


_AMOUNT = re.compile(r"-?£?\s*(\d{1,7}(?:\.\d{1,2})?)")


def read_receipt_search(text: str) -> ReceiptSearch:
    """The search ``text`` asks for (module docstring). An empty box is no search; a paste of any size
    reads at most ``domain.text_input.MAX_SEARCH_LENGTH`` characters."""
    text = text_input.clean_search_text(text).strip()
    if not text:
        return ReceiptSearch()
    if text.lstrip("#").isdecimal():  # not isdigit(): superscripts pass that, and int() refuses them
        return ReceiptSearch(number=int(text.lstrip("#")))
    amount = _AMOUNT.fullmatch(text)
    if amount and ("£" in text or "." in text):
        return ReceiptSearch(amount=Decimal(amount.group(1)).quantize(PENNY))
    words = tuple(w for w in re.split(r"[\s,]+", text) if w)
    return ReceiptSearch(name_words=words)
