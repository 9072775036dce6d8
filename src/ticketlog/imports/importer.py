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

Ids come from the source's own (``ticket_id(source, case)``), so a case already in the
store is skipped: importing twice adds nothing, and after a crash a re-run finishes the
job. A batch is all or nothing, so no case is ever half imported.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

import attrs
from eventsourcing.persistence import IntegrityError

from ticketlog.domain.agent import Agent
from ticketlog.domain.events import AgentProfile, TicketEvent
from ticketlog.imports.interpret import CaseInterpreter, Spells, person_id
from ticketlog.imports.mapping import ImportMapping
from ticketlog.imports.readers import source_rows
from ticketlog.imports.report import ImportReport
from ticketlog.imports.rows import MalformedRow, Row, RowReader
from ticketlog.projections.base import collector_paused

if TYPE_CHECKING:
    from ticketlog.desk import HelpDesk

Progress = Callable[[int, int, int], None]
"""Called as ``progress(rows_read, cases_done, rows_in_file)``: while the file is surveyed
(the first pass) with no case done and ``rows_in_file`` 0 (not known yet), then as cases
are imported."""

SURVEY_STEP = 1000
"""Rows between two progress calls of the survey."""

BATCH_EVENTS = 5000
"""Events per write transaction, of many cases: PostgreSQL's client holds a whole batch
(10,000 made it a third bigger in memory)."""
SQLITE_BATCH_EVENTS = 20_000
"""On SQLite, where each commit waits for the disk, four times as many (a sixth less wall
time on 200,000 rows, for 10-25 MB more at the peak)."""

_MAX_CAPACITY = 1000
SURVEYED = frozenset({"case", "person", "team", "tier", "language", "country"})
"""The fields the first pass reads."""


@attrs.define
class _Person:
    first_at: datetime
    teams: Counter[str] = attrs.Factory(Counter)
    tier: int | None = None
    languages: set[str] = attrs.Factory(set)

    def saw(self, at: datetime, team: str | None, tier: int | None, language: str | None) -> None:
        """One more row naming the person: at ``at``, in ``team``, at ``tier``, in ``language``."""
        self.first_at = min(self.first_at, at)
        if team is not None:
            self.teams[team] += 1
        if tier is not None and (self.tier is None or tier > self.tier):
            self.tier = tier
        if language is not None:
            self.languages.add(language)


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
) -> ImportReport:
    """Import the export at ``path`` into ``desk`` under ``mapping``; return the report.

    ``companion`` is the second file a source may need (see
    :func:`~ticketlog.imports.readers.source_rows`). Raises
    :class:`~ticketlog.imports.report.StrictImportError` (with ``strict``) at the
    first anomaly or malformed row, having written nothing of that row's case.
    """
    path = Path(path)
    reader = RowReader(mapping)
    report = ImportReport(source=mapping.source, strict=strict)
    companion = None if companion is None else Path(companion)
    with collector_paused():  # much allocated, few cycles (2,646 after 200,000 rows)
        survey = _survey(path, mapping, reader, companion, progress)
        people = survey.people
        report.people = len(people)
        joins = (_agent(mapping, name, person).collect_events() for name, person in people.items())
        written = set(desk.record_new({events[0].originator_id: events for events in joins}))
        report.agents_written = len(written)
        interpreter = CaseInterpreter(
            source=mapping.source,
            report=report,
            defaults=mapping.defaults,
            agent=_agent_ids(mapping.source),
        )
        writer = _Writer(
            desk, report, SQLITE_BATCH_EVENTS if desk.store.kind == "sqlite" else BATCH_EVENTS
        )
        try:
            for events in _tickets(path, mapping, companion, reader, survey, interpreter, progress):
                writer.add(events)
        finally:
            writer.flush()
        _record_capacities(desk, mapping, people, interpreter.spells, written)
    return report


def _survey(
    path: Path,
    mapping: ImportMapping,
    reader: RowReader,
    companion: Path | None,
    progress: Progress | None,
) -> _Survey:
    survey = _Survey()
    for line, record in source_rows(path, mapping, companion):
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
        person.saw(at, texts.get("team"), reader.tier_of(texts), reader.language_of(texts))
    return survey


def _agent(mapping: ImportMapping, name: str, person: _Person) -> Agent:
    """The person as an agent who joined at their first appearance (the same every time)."""
    defaults = mapping.defaults
    teams = [team for team, _ in person.teams.most_common()] or [defaults.queue]
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


def _tickets(  # noqa: PLR0917 - the import's parts, passed once
    path: Path,
    mapping: ImportMapping,
    companion: Path | None,
    reader: RowReader,
    survey: _Survey,
    interpreter: CaseInterpreter,
    progress: Progress | None,
) -> Iterable[list[TicketEvent]]:
    """Each case's ticket events, as soon as its last row is read."""
    report = interpreter.report
    pending: dict[str, list[Row]] = {}
    expected = survey.cases
    for line, record in source_rows(path, mapping, companion):
        report.rows += 1
        try:
            row = reader.row(line, record)
        except MalformedRow as error:
            report.note(f"malformed row: {error.reason}", f"line {error.line}")
            continue
        rows = pending.setdefault(row.case, [])
        rows.append(row)
        if len(rows) == expected[row.case]:
            del pending[row.case]
            report.cases += 1
            yield interpreter.events(rows)
            if progress is not None:
                progress(report.rows, report.cases, survey.rows)
    for rows in pending.values():  # only if the file changed between the two passes
        report.note("case with rows the first pass did not see", rows[0].case)
        report.cases += 1
        yield interpreter.events(rows)
    if progress is not None:
        progress(report.rows, report.cases, survey.rows)


@attrs.define
class _Writer:
    """Collects tickets' events and writes them in atomic batches, skipping stored ones."""

    desk: HelpDesk
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
