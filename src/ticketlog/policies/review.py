"""Review sampling: which tickets a reviewer scores next.

A :class:`ReviewSampler` is to quality reviews what a pull policy is to assignment: it
reads projections only (the ticket facts and the review ledger) and lists candidates, best
first, each with how many reviews of that ticket it wants (2 or more asks for second
opinions, which reviewer calibration needs). The desk
(:meth:`~ticketlog.desk.HelpDesk.review_next`) skips tickets the reviewer may not review
(unresolved, their own work, a category the scorecard does not cover, reviewed by them
already) or that have as many reviews as wanted, and claims the first slot that is still
free; two reviewers racing for the same slot conflict in the store, so no ticket gets more
reviews than its sampler wanted.

Random choices are a stable hash of the ticket id and the sampler's ``seed``, not a random
generator's state: every process, and every rerun, samples the same tickets.

Built-ins (:func:`sampler` finds them by name, with options):

* ``random-share`` — a share of resolved tickets, oldest resolution first; optionally a
  share of those again for a second opinion;
* ``per-agent`` — stratified: ``n`` tickets per agent per ISO week of resolution;
* ``low-csat-first`` — rated tickets by CSAT, lowest first (those at or below
  ``max_csat``), then a random share of the rest;
* ``escalated-first`` — escalated or reopened tickets first, most handoffs first, then a
  random share of the rest.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from hashlib import blake2b
from typing import Any, Protocol, runtime_checkable
from uuid import UUID

import attrs

from ticketlog.domain.errors import ConfigurationError, InvalidValue
from ticketlog.projections.facts import TicketFacts
from ticketlog.projections.reviews import ReviewLedger


@runtime_checkable
class ReviewSampler(Protocol):
    """Chooses which tickets are reviewed, and how many times each."""

    @property
    def name(self) -> str:
        """Recorded in ``ReviewClaimed.sampler``."""
        ...

    def candidates(
        self, tickets: Iterable[TicketFacts], ledger: ReviewLedger, *, now: datetime
    ) -> Iterator[tuple[TicketFacts, int]]:
        """The sampled tickets of ``tickets``, best first, each with the number of reviews
        wanted (lazily: the desk stops at the first it can claim)."""
        ...


def unit_hash(ticket_id: UUID, seed: int, salt: str = "") -> float:
    """A number in [0, 1) that depends only on the ticket, the seed and the salt."""
    digest = blake2b(ticket_id.bytes + f"{seed}:{salt}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _is_share(_: object, attribute: attrs.Attribute[float], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        msg = f"{attribute.name} must be a number from 0 to 1, not {value!r}"
        raise InvalidValue(msg)


def _resolved_order(ticket: TicketFacts) -> tuple[datetime, UUID]:
    assert ticket.resolved_at is not None  # noqa: S101 - candidates are resolved
    return ticket.resolved_at, ticket.ticket_id


def _resolved(tickets: Iterable[TicketFacts]) -> list[TicketFacts]:
    """The resolved tickets, oldest resolution first."""
    return sorted((t for t in tickets if t.resolved_at is not None), key=_resolved_order)


@attrs.frozen
class RandomShare:
    """A stable random ``share`` of resolved tickets, oldest resolution first; of those, a
    ``second_opinion`` share is wanted twice (for reviewer calibration)."""

    share: float = attrs.field(default=0.1, validator=_is_share)
    second_opinion: float = attrs.field(default=0.0, validator=_is_share)
    seed: int = 0
    name: str = "random-share"

    def wanted(self, ticket: TicketFacts) -> int:
        """How many reviews of ``ticket`` the share asks for (0: not sampled)."""
        if unit_hash(ticket.ticket_id, self.seed) >= self.share:
            return 0
        return 2 if unit_hash(ticket.ticket_id, self.seed, "second") < self.second_opinion else 1

    def candidates(
        self, tickets: Iterable[TicketFacts], ledger: ReviewLedger, *, now: datetime
    ) -> Iterator[tuple[TicketFacts, int]]:
        for ticket in _resolved(tickets):
            if wanted := self.wanted(ticket):
                yield ticket, wanted


@attrs.frozen
class PerAgent:
    """Stratified sampling: ``n`` resolved tickets per agent per ISO week of resolution,
    chosen by stable hash; the agent-weeks with the fewest reviews so far come first."""

    n: int = 5
    seed: int = 0
    name: str = "per-agent"

    def __attrs_post_init__(self) -> None:
        if isinstance(self.n, bool) or not isinstance(self.n, int) or self.n < 1:
            msg = f"n must be a positive integer, not {self.n!r}"
            raise InvalidValue(msg)

    def candidates(
        self, tickets: Iterable[TicketFacts], ledger: ReviewLedger, *, now: datetime
    ) -> Iterator[tuple[TicketFacts, int]]:
        strata: dict[tuple[UUID, int, int], list[TicketFacts]] = defaultdict(list)
        for ticket in tickets:
            if ticket.resolved_at is not None and ticket.resolver_id is not None:
                year, week, _ = ticket.resolved_at.isocalendar()
                strata[ticket.resolver_id, year, week].append(ticket)
        chosen = []
        for key, members in strata.items():
            members.sort(key=lambda t: unit_hash(t.ticket_id, self.seed))
            sample = members[: self.n]
            reviewed = sum(1 for t in sample if ledger.taken(t.ticket_id))
            chosen.append((reviewed, key, sample))
        chosen.sort(key=lambda c: (c[0], c[1][1], c[1][2], str(c[1][0])))
        for _, _, sample in chosen:
            for ticket in sample:
                yield ticket, 1


@attrs.frozen
class FirstThenShare:
    """Tickets that ``first`` ranks (a sort key, or ``None`` to leave a ticket out of the
    first group) come first in its order; then a stable random ``share`` of the rest."""

    first: Callable[[TicketFacts], tuple[Any, ...] | None]
    share: float = attrs.field(default=0.0, validator=_is_share)
    seed: int = 0
    name: str = "first-then-share"

    def candidates(
        self, tickets: Iterable[TicketFacts], ledger: ReviewLedger, *, now: datetime
    ) -> Iterator[tuple[TicketFacts, int]]:
        ranked, rest = [], []
        for ticket in _resolved(tickets):
            key = self.first(ticket)
            if key is not None:
                ranked.append((key, ticket))
            elif unit_hash(ticket.ticket_id, self.seed) < self.share:
                rest.append(ticket)
        ranked.sort(key=lambda pair: pair[0])
        for _, ticket in ranked:
            yield ticket, 1
        for ticket in rest:
            yield ticket, 1


def random_share(*, share: float = 0.1, second_opinion: float = 0.0, seed: int = 0) -> RandomShare:
    """``random-share``: see :class:`RandomShare`."""
    return RandomShare(share=share, second_opinion=second_opinion, seed=seed)


def per_agent(*, n: int = 5, seed: int = 0) -> PerAgent:
    """``per-agent``: see :class:`PerAgent`."""
    return PerAgent(n=n, seed=seed)


def low_csat_first(*, max_csat: int = 2, share: float = 0.0, seed: int = 0) -> FirstThenShare:
    """``low-csat-first``: tickets rated ``max_csat`` or lower, lowest first (oldest first
    among equals), then a ``share`` of the rest."""

    def low(ticket: TicketFacts) -> tuple[Any, ...] | None:
        if ticket.csat is None or ticket.csat > max_csat:
            return None
        return (ticket.csat, *_resolved_order(ticket))

    return FirstThenShare(low, share=share, seed=seed, name="low-csat-first")


def escalated_first(*, share: float = 0.0, seed: int = 0) -> FirstThenShare:
    """``escalated-first``: escalated or reopened tickets, most escalations and reopens
    first, then a ``share`` of the rest."""

    def handed_up(ticket: TicketFacts) -> tuple[Any, ...] | None:
        times = ticket.escalations + ticket.reopens
        return None if times == 0 else (-times, *_resolved_order(ticket))

    return FirstThenShare(handed_up, share=share, seed=seed, name="escalated-first")


SAMPLERS: dict[str, Callable[..., ReviewSampler]] = {
    "random-share": random_share,
    "per-agent": per_agent,
    "low-csat-first": low_csat_first,
    "escalated-first": escalated_first,
}
"""The built-in samplers by name."""


def factory(name: str) -> Callable[..., ReviewSampler]:
    """The built-in sampler factory ``name`` (a :class:`ConfigurationError` if none)."""
    found = SAMPLERS.get(name)
    if found is None:
        msg = f"unknown review sampler {name!r}; known: {', '.join(sorted(SAMPLERS))}"
        raise ConfigurationError(msg)
    return found


def sampler(spec: ReviewSampler | str, **options: Any) -> ReviewSampler:
    """A sampler: ``spec`` itself, or the built-in of that name made with ``options``."""
    if not isinstance(spec, str):
        if options or not isinstance(spec, ReviewSampler):
            msg = f"{spec!r} is not a review sampler (or a sampler's name without options)"
            raise ConfigurationError(msg)
        return spec
    make = factory(spec)
    try:
        return make(**options)
    except TypeError as error:
        raise ConfigurationError(f"review sampler {spec!r}: {error}") from None
