"""Importing a file into a desk: two streaming passes, one transaction per batch of cases.

1. **Survey.** Read the file once for what must be known before any case: how many rows
   each case has (so a case is complete when its last row is read, whatever the file's
   order), and each person's teams, highest tier and first appearance.
2. **Agents.** Everyone the file names joins the desk (``AgentJoined``, ``source`` set),
   in their home team with their other teams and their highest tier.
3. **Cases.** Read the file again; each complete case becomes its ticket's events
   (:class:`~ticketlog.imports.interpret.CaseInterpreter`, no ticket state folded), and
   the events of many cases are written together through the desk's mapper and recorder
   (:meth:`~ticketlog.desk.HelpDesk.record_new`), each batch one atomic transaction.
   Memory holds only the cases still being read (one at a time for a file grouped by
   case, the open ones for a file in time order) and one batch.
4. **Capacity.** Each person's capacity is the most tickets they held at once in the
   history (``AgentProfileChanged`` when above 1), saved in one transaction without
   reading the agents just written back.

On a file or database store, several processes share the passes, each surveying and
writing its share of the cases (:mod:`~ticketlog.imports.shares`); the importing process
has everyone join and records the capacities.

Ids come from the source's own (``ticket_id(source, case)``), so a case already in the
store is skipped: importing twice adds nothing, and after a crash a re-run finishes the
job. A batch is all or nothing, so no case is ever half imported.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

import attrs
from eventsourcing.persistence import IntegrityError

from ticketlog.domain.agent import Agent
from ticketlog.domain.errors import InvalidValue
from ticketlog.domain.events import AgentProfile, TicketEvent
from ticketlog.imports.interpret import CaseInterpreter, Spells, person_id
from ticketlog.imports.mapping import ImportMapping
from ticketlog.imports.report import ImportReport
from ticketlog.imports.rows import MalformedRow, Row, RowReader
from ticketlog.imports.shares import (
    FORKS,
    Link,
    Progress,
    Share,
    ShareResult,
    in_shares,
    plan_shares,
)
from ticketlog.projections.base import collector_paused

if TYPE_CHECKING:
    from ticketlog.desk import HelpDesk

SURVEY_STEP = 1000
"""Rows between two progress calls of the survey."""

BATCH_EVENTS = 5000
"""Events per write transaction, of many cases: PostgreSQL's client holds a whole batch
(10,000 made it a third bigger in memory)."""
SQLITE_BATCH_EVENTS = 20_000
"""On SQLite, where each commit waits for the disk, four times as many (a sixth less wall
time on 200,000 rows, for 10-25 MB more at the peak)."""

SHARED_BYTES = 1_000_000
"""Smaller files are imported by one process (about 10,000 rows of CSV: forking would cost
more than it saves)."""
MAX_WORKERS = 8
"""The most processes an import uses by default (each reads the whole file)."""

_MAX_CAPACITY = 1000
SURVEYED = frozenset({"case", "person", "team", "tier", "language", "country"})
"""The fields the first pass reads."""


@attrs.define
class _Person:
    first_at: datetime
    teams: Counter[str] = attrs.Factory(Counter)
    first_in: dict[str, int] = attrs.Factory(dict)
    """The line each team was first met on (of two teams met as often, the earlier is home)."""
    tier: int | None = None
    languages: set[str] = attrs.Factory(set)

    def saw(
        self, line: int, at: datetime, team: str | None, tier: int | None, language: str | None
    ) -> None:
        """One more row naming the person: at ``at``, in ``team``, at ``tier``, in ``language``."""
        self.first_at = min(self.first_at, at)
        if team is not None:
            self.teams[team] += 1
            self.first_in.setdefault(team, line)
        if tier is not None and (self.tier is None or tier > self.tier):
            self.tier = tier
        if language is not None:
            self.languages.add(language)

    def absorb(self, other: _Person) -> None:
        """Add what another share of the file's cases saw of the same person."""
        self.first_at = min(self.first_at, other.first_at)
        self.teams.update(other.teams)
        for team, line in other.first_in.items():
            self.first_in[team] = min(line, self.first_in.get(team, line))
        if other.tier is not None and (self.tier is None or other.tier > self.tier):
            self.tier = other.tier
        self.languages |= other.languages

    def teams_by_rows(self) -> list[str]:
        """The person's teams, most rows first (ties: the one met first)."""
        return sorted(self.teams, key=lambda team: (-self.teams[team], self.first_in[team]))


@attrs.define
class _Survey:
    rows: int = 0
    cases: Counter[str] = attrs.Factory(Counter)
    people: dict[str, _Person] = attrs.Factory(dict)


def import_file(
    desk: HelpDesk,
    path: Path | str,
    mapping: ImportMapping,
    *,
    strict: bool = False,
    companion: Path | str | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
) -> ImportReport:
    """Import the export at ``path`` into ``desk`` under ``mapping``; return the report.

    ``companion`` is the second file a source may need (see
    :func:`~ticketlog.imports.readers.source_rows`). Raises
    :class:`~ticketlog.imports.report.StrictImportError` (with ``strict``) at the
    first anomaly or malformed row, having written nothing of that row's case.
    ``workers``: how many processes share the import (default: one per available core, at
    most :data:`MAX_WORKERS`, for a file of :data:`SHARED_BYTES` or more on a file or
    database store on Linux; otherwise, and always for a strict import, one).
    """
    job = _Import(
        path=Path(path),
        mapping=mapping,
        reader=RowReader(mapping),
        companion=None if companion is None else Path(companion),
        strict=strict,
    )
    count = _worker_count(workers, desk, strict=strict, size=_size(job.path))
    with collector_paused():  # much allocated, few cycles (2,646 after 200,000 rows)
        shares = plan_shares(job, count)
        cases, spells = in_shares(desk, shares, job.share, progress)
        report = ImportReport(source=mapping.source, strict=strict, workers=len(shares))
        report.people, report.agents_written = len(job.people), len(job.written)
        report.absorb(cases)
        _record_capacities(desk, mapping, job.people, spells, job.written)
    return report


Crossing = dict[str, tuple[int, int]]
"""Cases with rows in several spans: the share that imports each (its first row's), and
how many rows it has in all."""


@attrs.define
class _Import:
    """One import's file and mapping; the leader's people and the agents it wrote."""

    path: Path
    mapping: ImportMapping
    reader: RowReader
    companion: Path | None
    strict: bool
    people: dict[str, _Person] = attrs.Factory(dict)
    written: set[UUID] = attrs.Factory(set)

    def share(
        self, desk: HelpDesk, share: Share, link: Link, progress: Progress | None
    ) -> ShareResult:
        """Import one share of the cases: survey, agents (the leader), tickets."""
        survey = _survey(self, share, progress)
        sent = survey if share.span else attrs.evolve(survey, cases=Counter())  # ours alone
        everyone = link.gather(sent)
        if everyone is None:  # a worker
            crossing: Crossing = link.told() if share.span else {}
            total = survey.rows
        else:  # the leader: learns how many rows there are, and everyone joins
            total = sum(each.rows for each in everyone)
            crossing = _crossing([each.cases for each in everyone]) if share.span else {}
            if share.span:
                link.tell(crossing)
            self._join(desk, everyone)
            link.release()
        expected, foreign = survey.cases, set()
        for case, (owner, rows) in crossing.items():
            if owner == share.index:
                expected[case] = rows
            elif expected.pop(case, None) is not None:
                foreign.add(case)
        report = ImportReport(source=self.mapping.source, strict=self.strict)
        interpreter = CaseInterpreter(
            source=self.mapping.source,
            report=report,
            defaults=self.mapping.defaults,
            agent=_agent_ids(self.mapping.source),
        )
        plan = _Expected(expected, foreign, total)
        _write(desk, link, report, _tickets(self, share, plan, interpreter, progress))
        return report, interpreter.spells

    def _join(self, desk: HelpDesk, surveys: list[_Survey]) -> None:
        """Everyone all the shares met joins the desk."""
        people = self.people = surveys[0].people
        for survey in surveys[1:]:
            for name, person in survey.people.items():
                if name in people:
                    people[name].absorb(person)
                else:
                    people[name] = person
        joins = (_agent(self.mapping, n, person).collect_events() for n, person in people.items())
        self.written = set(desk.record_new({events[0].originator_id: events for events in joins}))


def _crossing(cases: list[Counter[str]]) -> Crossing:
    """The cases counted in more than one span (``cases``: each span's, in file order)."""
    first: dict[str, int] = {}
    crossing: Crossing = {}
    for index, counted in enumerate(cases):
        for case, rows in counted.items():
            owner = first.setdefault(case, index)
            if owner != index:
                before = crossing.get(case, (owner, cases[owner][case]))[1]
                crossing[case] = (owner, before + rows)
    return crossing


@attrs.frozen
class _Expected:
    """What a share's second pass expects: rows per case, cases others import, rows in all."""

    rows: Counter[str]
    foreign: set[str]
    total: int


def _size(path: Path) -> int:
    """The file's size in bytes (0 if it cannot be read: the survey says why)."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _worker_count(workers: int | None, desk: HelpDesk, *, strict: bool, size: int) -> int:
    """How many processes share the import."""
    check_workers(workers, strict=strict, store_kind=desk.store.kind)
    if workers is not None:
        return workers
    if strict or desk.store.kind == "memory" or not FORKS or size < SHARED_BYTES:
        return 1
    return min(_cores(), MAX_WORKERS)


def check_workers(workers: int | None, *, strict: bool, store_kind: str) -> None:
    """:class:`InvalidValue` unless ``workers`` is ``None`` or a number of processes an
    import can use (one only for a strict import, an in-memory store, or without fork)."""
    if workers is None:
        return
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        msg = f"workers must be a whole number of processes, at least 1, not {workers!r}"
        raise InvalidValue(msg)
    if workers > 1 and (strict or store_kind == "memory" or not FORKS):
        why = "a strict import" if strict else f"an import into a {store_kind} store"
        why = why if FORKS else "an import on this platform"
        msg = f"{why} runs in one process: workers must be 1, not {workers}"
        raise InvalidValue(msg)


def _cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0))


def _survey(job: _Import, share: Share, progress: Progress | None) -> _Survey:
    """The first pass over ``share``'s own records."""
    survey = _Survey()
    reader = job.reader
    for line, record in share.own(job):
        survey.rows += 1
        if progress is not None and survey.rows % SURVEY_STEP == 0:
            progress(survey.rows, 0, 0)
        texts = reader.texts(record, SURVEYED)
        try:
            case = reader.case_of(line, texts)
            at = reader.time_of(line, record)
        except MalformedRow:
            continue  # reported by the second pass, in file order
        survey.cases[case] += 1
        name = texts.get("person")
        if name is None:
            continue
        person = survey.people.get(name)
        if person is None:
            person = survey.people[name] = _Person(first_at=at)
        person.saw(line, at, texts.get("team"), reader.tier_of(texts), reader.language_of(texts))
    return survey


def _agent(mapping: ImportMapping, name: str, person: _Person) -> Agent:
    """The person as an agent who joined at their first appearance (the same every time)."""
    defaults = mapping.defaults
    teams = person.teams_by_rows() or [defaults.queue]
    profile = AgentProfile(
        team=teams[0],
        teams=frozenset(teams[1:]),
        tier=defaults.tier if person.tier is None else person.tier,
        languages=frozenset(person.languages or {defaults.language}),
    )
    return Agent.join(
        agent_id=person_id(mapping.source, name),
        at=person.first_at,
        name=name,
        profile=profile,
        source=mapping.source,
    )


def _agent_ids(source: str) -> Callable[[str], UUID]:
    cache: dict[str, UUID] = {}

    def agent(name: str) -> UUID:
        found = cache.get(name)
        if found is None:
            found = cache[name] = person_id(source, name)
        return found

    return agent


def _tickets(
    job: _Import,
    share: Share,
    expected: _Expected,
    interpreter: CaseInterpreter,
    progress: Progress | None,
) -> Iterator[list[TicketEvent]]:
    """Each of ``share``'s cases' ticket events, as soon as its last row is read."""
    report = interpreter.report
    reader = job.reader
    pending: dict[str, list[Row]] = {}
    rows_of, foreign = expected.rows, expected.foreign
    for line, record in share.own(job):
        report.rows += 1
        report.line = line
        try:
            row = reader.row(line, record)
        except MalformedRow as error:
            report.note(f"malformed row: {error.reason}", f"line {error.line}")
            continue
        if row.case in foreign:
            continue
        rows = pending.setdefault(row.case, [])
        rows.append(row)
        if len(rows) == rows_of[row.case]:
            del pending[row.case]
            report.cases += 1
            yield interpreter.events(rows)
            if progress is not None:
                progress(report.rows, report.cases, expected.total)
    if pending:
        yield from _going_on(job, share, pending, expected, interpreter)
    for rows in pending.values():  # only if the file changed between the two passes
        report.note("case with rows the first pass did not see", rows[0].case)
        report.cases += 1
        yield interpreter.events(rows)
    if progress is not None:
        progress(report.rows, report.cases, expected.total)


def _going_on(
    job: _Import,
    share: Share,
    pending: dict[str, list[Row]],
    expected: _Expected,
    interpreter: CaseInterpreter,
) -> Iterator[list[TicketEvent]]:
    """The events of ``pending`` cases as their last rows are read past ``share``'s span."""
    report, reader = interpreter.report, job.reader
    for line, record in share.beyond(job):
        case = reader.case_in(record)
        rows = None if case is None else pending.get(case)
        if rows is None:
            continue
        try:
            row = reader.row(line, record)
        except MalformedRow:
            continue  # reported by the share of its span
        report.line = line
        rows.append(row)
        if len(rows) == expected.rows[row.case]:
            del pending[row.case]
            report.cases += 1
            yield interpreter.events(rows)
            if not pending:
                return


def _write(
    desk: HelpDesk, link: Link, report: ImportReport, cases: Iterable[list[TicketEvent]]
) -> None:
    """Write the cases' events in atomic batches of many cases, skipping stored ones."""
    writer = _Writer(
        desk, link, report, SQLITE_BATCH_EVENTS if desk.store.kind == "sqlite" else BATCH_EVENTS
    )
    try:
        for events in cases:
            writer.add(events)
    finally:
        writer.flush()


@attrs.define
class _Writer:
    """Collects tickets' events and writes them in atomic batches, skipping stored ones."""

    desk: HelpDesk
    link: Link
    report: ImportReport
    limit: int
    """Events per transaction."""
    batch: dict[UUID, list[TicketEvent]] = attrs.Factory(dict)
    events: int = 0

    def add(self, events: list[TicketEvent]) -> None:
        self.batch[events[0].originator_id] = events
        self.events += len(events)
        if self.events >= self.limit:
            self.flush()

    def flush(self) -> None:
        if not self.batch:
            return
        self.link.before_write()
        written = self.desk.record_new(self.batch)
        self.report.cases_written += len(written)
        self.report.cases_skipped += len(self.batch) - len(written)
        self.report.events_written += sum(len(self.batch[i]) for i in written)
        self.batch, self.events = {}, 0


def _record_capacities(
    desk: HelpDesk,
    mapping: ImportMapping,
    people: dict[str, _Person],
    spells: dict[str, Spells],
    written: set[UUID],
) -> None:
    """Give everyone the capacity they showed: the most tickets they held at once.

    Agents this import has just written (``written``) are made again from the survey, not
    read back, and saved in one transaction with eventsourcing's version check; agents
    stored before (a re-run), or changed by another writer meanwhile, are read back and
    amended only if it raises their capacity.
    """
    fresh: list[Agent] = []
    stored: dict[UUID, int] = {}
    for name, held in spells.items():
        capacity = min(held.most_at_once(), _MAX_CAPACITY)
        if capacity == 1:
            continue  # everyone joins able to hold one ticket
        agent_id = person_id(mapping.source, name)
        if agent_id not in written:
            stored[agent_id] = capacity
            continue
        agent = _agent(mapping, name, people[name])
        agent.collect_events()  # its join is stored already
        agent.change_profile(at=agent.state.last_at, capacity=capacity)
        fresh.append(agent)
    if fresh:
        try:
            desk.save(*fresh)
        except IntegrityError:
            stored.update({agent.id: agent.state.capacity for agent in fresh})
    raised = {i: c for i, c in stored.items() if c > desk.agent(i).capacity}
    if raised:
        desk.amend_agents({i: {"capacity": c} for i, c in raised.items()})
