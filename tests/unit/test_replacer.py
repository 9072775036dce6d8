"""``replacer``: the folds' fast ``attrs.evolve`` gives what ``attrs.evolve`` gives."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ticketlog.domain.aggregate import replacer
from ticketlog.domain.ticket import Ticket, TicketState
from ticketlog.domain.values import TicketStatus

STATE = Ticket.receive(
    ticket_id=uuid4(), at=datetime(2026, 3, 2, tzinfo=UTC), channel="email", customer_id="c"
).state


@given(
    changes=st.fixed_dictionaries(
        {},
        optional={
            "status": st.sampled_from(TicketStatus),
            "queue": st.text(min_size=1, max_size=5),
            "transfers": st.integers(0, 9),
            "agent_id": st.uuids() | st.none(),
        },
    )
)
def test_a_replaced_state_equals_attrs_evolve(changes: dict[str, Any]) -> None:
    assert replacer(TicketState)(STATE, **changes) == attrs.evolve(STATE, **changes)


def test_classes_with_keyword_only_fields_are_refused() -> None:
    @attrs.frozen
    class Keyworded:
        a: int
        b: int = attrs.field(kw_only=True)

    with pytest.raises(TypeError, match="not positional arguments"):
        replacer(Keyworded)
