"""Opening an encrypted store: the key must be the store's.

AES-GCM authenticates every row, so a wrong key is certain at the first event: with a
key, the store's first event must decrypt; without one, it must be plain JSON. Either
mismatch is a :class:`WrongCipherKey` when the desk opens, before anything is read or
written (a later row that does not decrypt is damage, quarantined like any other).
"""

from __future__ import annotations

from eventsourcing.persistence import ApplicationRecorder

from ticketlog.domain.errors import TicketlogError
from ticketlog.persistence.mapper import EventMapper

_AES_GCM_OVERHEAD = 12 + 16
"""Nonce and tag: the least an encrypted row adds to its plain state."""


class WrongCipherKey(TicketlogError):
    """The store's events cannot be read with the cipher key given (or without one)."""


def check_cipher_key(recorder: ApplicationRecorder, mapper: EventMapper, store: str) -> None:
    """Refuse a key that does not open ``store``'s first event (``store``: its URL)."""
    first = recorder.select_notifications(start=0, limit=1)
    if not first:
        return
    state = first[0].state
    if mapper.cipher is None:
        if not state.startswith(b"{") and len(state) >= _AES_GCM_OVERHEAD:
            msg = f"{store} is encrypted (its events are not JSON): open it with its cipher key"
            raise WrongCipherKey(msg)
        return
    try:
        mapper.unseal(state)
    except ValueError:
        msg = (
            f"the cipher key does not decrypt {store}: a wrong key, "
            "or a store written without encryption"
        )
        raise WrongCipherKey(msg) from None
