"""Import a partner agency's CSV file: parse, validate, then upsert in bulk, all or nothing."""

from __future__ import annotations

import csv
import dataclasses
import io
import itertools
import operator
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import Any, BinaryIO

from sqlalchemy import (
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from .. import episodes
from .. import models as m
from ..audit import record_event
from ..bulk import analysed_after, copies_in_background, insert_columns
from ..evaluation import store
from ..extensions import db
from ..history import change, write_changes
from ..lookups import one_of_chunks
from ..rules.refused import FileRefused
from ..transaction import transactional
from ..workers import collector_paused
from .kinds import KINDS, Kind

PROGRESS_EVERY = 1000  # rows between progress reports
MAX_COLUMNS = 200  # a header with more columns is refused at once, before anything is read


# The file was not imported: the one class of a file refused whole (rules.plan's PlanError).
ImportRefused = FileRefused


@dataclasses.dataclass(frozen=True)
class ImportSummary:
    kind: str
    created: int
    updated: int
    unchanged: int

    def line(self) -> str:
        return (
            f"{self.kind}: {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged"
        )


@dataclasses.dataclass
class _Table:
    """A file's rows a column at a time: column name -> one parsed value a row."""

    columns: dict[str, list[Any]]
    keys: list[tuple]  # each row's key, as kind.key names it
    # The columns the file has: only these change a stored record (the others keep theirs).
    present: frozenset[str]

    def __len__(self) -> int:
        return len(self.keys)


@dataclasses.dataclass
class _Refs:
    families: dict[str, int]  # family_ref -> id
    people: dict[str, tuple[int, int, str]]  # person_ref -> (id, family_id, family_ref)


@transactional
def import_csv(
    kind_name: str, data: bytes | BinaryIO, filename: str, user: m.User | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Import one file of one kind in a single transaction (the caller's, if one is open:
    a job records itself done in it, so that the import can never be applied twice), or
    raise ImportRefused. `data` is the file's bytes or a binary file open at its start (read
    once, STREAM_ROWS rows at a time, so memory does not grow with the file). `progress`, if
    given, is told how many more rows have been read as the file is checked."""
    kind = KINDS[kind_name]
    source = data if hasattr(data, "read") else io.BytesIO(data)
    try:
        # Each family marked once; PostgreSQL stores a part's rows while the next is read.
        # A large load's tables analysed before it commits (bulk.analysed_after): the refresh
        # that follows plans its reads by their statistics.
        with analysed_after(), collector_paused(), store.marking_deferred(), \
                copies_in_background():
            summary = _import_streamed(kind, source, filename, user, progress)
        record_event(
            "import", "file", filename[-120:], user=user, detail=summary.line()
        )
        db.session.flush()  # a clash with a change saved meanwhile is found here
    except IntegrityError:
        raise ImportRefused(
            [f"{filename}: another change to the same records was saved at the same time; "
             "nothing was imported, please try again"]
        ) from None
    return summary


STREAM_ROWS = 50_000  # rows read, checked and written at a time


def _import_streamed(kind: Kind, source: BinaryIO, filename: str, user: m.User | None,
                     progress: Callable[[int], None] | None) -> ImportSummary:
    """Read, check and write the file STREAM_ROWS rows at a time, in the caller's
    transaction. At the first problem the whole file is read again row by row, naming every
    problem, and ImportRefused rolls back what was written (the transaction is all or
    nothing: casework/transaction.py). A key repeated in two parts of the file is found at
    the end, from the keys' hashes (8 bytes a row), the same way."""
    totals = [0, 0, 0]  # created, updated, unchanged
    written = 0  # rows written so far
    hashes = array("q")
    for text in _text_parts(source):
        try:
            table = None if text is None else _read_columns(kind, text, filename, progress)
        except ImportRefused:  # the header's problems: named below with every other one
            table = None
        refs = _resolve(kind, table) if table is not None else None
        if table is None or refs is None:
            break
        if not len(table):
            continue
        hashes.extend(map(hash, table.keys))
        part = _upsert(kind, table, refs, filename, user)
        totals = [a + b for a, b in zip(totals, (part.created, part.updated, part.unchanged))]
        written += len(table)
    else:
        ordered = sorted(hashes)
        if not any(map(operator.eq, ordered, itertools.islice(ordered, 1, None))):
            return ImportSummary(kind.name, *totals)
        del ordered
    # Some problem (or two rows whose keys' hashes agree): the whole file row by row.
    source.seek(0)
    text, file_problems = _decode_all(source.read(), filename)
    table, refs = _read_rows(kind, text, filename, None, file_problems)
    # No problem after all (only hashes that agreed by chance): the rows not written yet.
    rest = _Table({name: values[written:] for name, values in table.columns.items()},
                  table.keys[written:], table.present)
    if len(rest):
        part = _upsert(kind, rest, refs, filename, user)
        totals = [a + b for a, b in zip(totals, (part.created, part.updated, part.unchanged))]
    return ImportSummary(kind.name, *totals)


def _text_parts(source: BinaryIO) -> Iterator[str | None]:
    """The file as texts of the header line and up to STREAM_ROWS lines after it, each
    ending at the end of a record (a quoted value's line breaks kept together); at least
    one. None, and nothing after it, at a part that is not UTF-8 text or holds binary
    content: the caller reads the whole file to name the problem."""
    header = _record_lines(source, 1)
    try:
        head = header.decode("utf-8-sig")
    except UnicodeDecodeError:
        yield None
        return
    if b"\x00" in header:
        yield None
        return
    first = True
    while True:
        body = _record_lines(source, STREAM_ROWS)
        if not body and not first:
            return
        first = False
        if b"\x00" in body:
            yield None
            return
        try:
            yield head + body.decode("utf-8")
        except UnicodeDecodeError:
            yield None
            return


def _record_lines(source: BinaryIO, count: int) -> bytes:
    """About `count` lines, and as many more as close a quoted value left open (an odd
    number of quotes so far: CSV doubles a quote inside a quoted value)."""
    lines = list(itertools.islice(source, count))
    quotes = sum(line.count(b'"') for line in lines)
    while quotes % 2:
        line = source.readline()
        if not line:
            break
        lines.append(line)
        quotes += line.count(b'"')
    return b"".join(lines)


def check_csv(kind_name: str, data: bytes, filename: str) -> None:
    """Check a file as import_csv does, writing nothing; raise ImportRefused if it has
    any problem (matching checks the rows it holds for review this way)."""
    kind = KINDS[kind_name]
    text, file_problems = _decode_all(data, filename)
    table = None if file_problems else _read_columns(kind, text, filename, None)
    if table is None or _resolve(kind, table) is None:
        _read_rows(kind, text, filename, None, file_problems)


def _decode(data: bytes, filename: str) -> str:
    text, problems = _decode_all(data, filename)
    if problems:
        raise ImportRefused([message for _, message in problems])
    return text


NOT_UTF8 = "is not UTF-8 text; save it as CSV UTF-8 and try again"


def _decode_all(data: bytes, filename: str) -> tuple[str, list[tuple[int, str]]]:
    """The text and (line, problem) for each line that is not UTF-8 (those lines' bad bytes
    replaced, so that the other lines' problems can be named too)."""
    if b"\x00" in data:
        raise ImportRefused([f"{filename}:1: file: is not a CSV text file (it has binary content)"])
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    problems = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            problems.append((number, f"{filename}:{number}: file: {NOT_UTF8}"))
    return data.decode("utf-8-sig", errors="replace"), problems


def _blank(values: list[str]) -> bool:
    return not values or not (values[0].strip() or "".join(values).strip())


# How the csv module's complaints about malformed CSV read to the person who sent the file.
CSV_ERRORS = {
    "unexpected end of data": "a quoted value is never closed: the file ends inside quotes",
    "',' expected after '\"'": "text follows a closing quote: put the whole value in quotes "
                               "and double any quote inside it",
}


def _records(text: str, filename: str) -> list[tuple[int, list[str]]]:
    """Return (first physical line, values) for each non-blank record; the header is line 1.
    Malformed CSV (such as a quote never closed) is refused, naming the record's line."""
    found, problems = _records_all(text, filename)
    if problems:
        raise ImportRefused([message for _, message in problems])
    return found


def _records_all(text: str, filename: str
                 ) -> tuple[list[tuple[int, list[str]]], list[tuple[int, str]]]:
    """(first physical line, values) for each well-formed non-blank record, and (line,
    problem) for each malformed one: reading goes on after text following a closing quote;
    a quote never closed takes the rest of the file with it."""
    lines = list(io.StringIO(text, newline=""))  # the lines csv.reader reads
    found: list[tuple[int, list[str]]] = []
    problems: list[tuple[int, str]] = []
    done = 0  # lines read by the readers before this one
    while done < len(lines):
        reader = csv.reader(iter(lines[done:]), strict=True)
        start = done + 1
        try:
            for values in reader:
                if not _blank(values):
                    found.append((start, values))
                start = done + reader.line_num + 1
            break
        except csv.Error as error:
            problem = CSV_ERRORS.get(str(error), f"is not valid CSV ({error})")
            problems.append((start, f"{filename}:{start}: row: {problem}"))
            done += max(reader.line_num, start - done)
    return found, problems


def check_width(header: list[str], filename: str) -> None:
    """Refuse a header of absurdly many columns before any work a column is done."""
    if len(header) > MAX_COLUMNS:
        raise ImportRefused([f"{filename}:1: header: has {len(header)} columns; at most "
                             f"{MAX_COLUMNS} are allowed"])


def read_records(text: str, filename: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and (first physical line, values) of each non-blank record after it,
    or ImportRefused for malformed CSV, an empty file or an absurd header."""
    records = _records(text, filename)
    if not records:
        raise ImportRefused([f"{filename}:1: header: the file is empty; a header row is needed"])
    (_, header), records = records[0], records[1:]
    check_width(header, filename)
    return header, records


def _positions(kind: Kind, header: list[str], filename: str) -> dict[str, int]:
    """Each column's position in the file, or ImportRefused naming the header's problems."""
    check_width(header, filename)
    header = [h.strip().lower() for h in header]
    errors = []
    counts = Counter(header)
    for name in sorted(h for h, n in counts.items() if n > 1 and h):
        errors.append(f"{filename}:1: {name}: column appears more than once")
    for column in kind.columns:
        if (column.required or column.name in kind.required_header) and column.name not in header:
            errors.append(f"{filename}:1: {column.name}: required column is missing")
    if errors:
        raise ImportRefused(errors)
    return {name: i for i, name in enumerate(header)}


def _present(kind: Kind, positions: dict[str, int]) -> frozenset[str]:
    return frozenset(name for name in kind.column_names if name in positions)


def _read_columns(
    kind: Kind, text: str, filename: str, progress: Callable[[int], None] | None
) -> _Table | None:
    """Read a file with no problems a column at a time, several times quicker than row by
    row; return None at the first problem, for _read_rows to name them all."""
    try:
        records = list(filter(None, csv.reader(io.StringIO(text, newline=""), strict=True)))
    except csv.Error:
        return None
    if not all(map(str.strip, map(operator.itemgetter(0), records))):
        records = [r for r in records if not _blank(r)]
    if not records:
        return None
    header, raws = records[0], records[1:]
    positions = _positions(kind, header, filename)
    if not set(map(len, raws)) <= {len(header)}:
        return None
    strip = _may_have_spaces(text)
    columns = {}
    for column in kind.columns:
        index = positions.get(column.name)
        if index is None:
            columns[column.name] = [column.default] * len(raws)
            continue
        cells = list(map(operator.itemgetter(index), raws))
        if strip:
            cells = list(map(str.strip, cells))
        try:
            if all(cells):
                columns[column.name] = column.parse.column(cells)
            elif column.required:
                return None
            else:
                # A column left blank on every row (a families file's closed_on, often) is
                # all defaults: parsing no cells at all is not a problem.
                given = [c for c in cells if c]
                filled = iter(column.parse.column(given) if given else ())
                columns[column.name] = [next(filled) if c else column.default for c in cells]
        except ValueError:
            return None
        if progress:
            progress(len(raws) // len(kind.columns))
    if "person_ref" in columns:
        kept = _kept_refs(set(columns["person_ref"]))
        if kept:
            columns["person_ref"] = [kept.get(ref, ref) for ref in columns["person_ref"]]
    if "family_ref" in columns:
        families = _kept_family_refs(set(columns["family_ref"]))
        if families:
            columns["family_ref"] = [families.get(ref, ref) for ref in columns["family_ref"]]
    keys = list(zip(*[columns[k] for k in kind.key]))
    if kind.check(columns) or len(set(keys)) != len(keys):
        return None
    return _Table(columns, keys, _present(kind, positions))


def _may_have_spaces(text: str) -> bool:
    """Whether any cell may begin or end with white space for str.strip to remove. Without
    quotes, line breaks only end records; the other white space is looked for in a few
    quick scans of the whole text, and any non-ASCII text is stripped to be safe."""
    return (not text.isascii() or '"' in text
            or any(space in text for space in " \t\x0b\x0c\x1c\x1d\x1e\x1f"))


def _read_rows(
    kind: Kind, text: str, filename: str, progress: Callable[[int], None] | None,
    file_problems: list[tuple[int, str]] = (),
) -> tuple[_Table, _Refs]:
    """Read the file row by row, naming every problem as FILE:LINE: COLUMN: message, and
    raise ImportRefused with them all; a file without any is returned to be imported."""
    found, early = _records_all(text, filename)
    # Lines that are not UTF-8 are named once, and their records not checked again.
    early += file_problems
    bad_lines = {line for line, _ in file_problems}
    if not found:
        raise ImportRefused([message for _, message in sorted(early)] or [
            f"{filename}:1: header: the file is empty; a header row is needed"])
    (_, header), records = found[0], [r for r in found[1:] if r[0] not in bad_lines]
    try:
        positions = _positions(kind, header, filename)
    except ImportRefused as refused:
        raise ImportRefused(refused.errors + [message for _, message in sorted(early)]) from None
    plan = [(c.name, positions.get(c.name), c.parse, c.required, c.default) for c in kind.columns]
    problems: list[tuple[int, str]] = list(early)
    lines: list[int] = []
    valid: list[dict[str, Any]] = []
    seen: dict[tuple, int] = {}
    for number, (line, raw) in enumerate(records, start=1):
        if progress and number % PROGRESS_EVERY == 0:
            progress(PROGRESS_EVERY)
        if len(raw) != len(header):
            # A short row would blank the columns it leaves out; a long one has values with
            # no column: both are refused.
            problems.append((line, f"{filename}:{line}: row: has {len(raw)} "
                                   f"{'value' if len(raw) == 1 else 'values'} but the "
                                   f"header has {len(header)} columns"))
            continue
        values: dict[str, Any] = {}
        row_errors = []
        for name, index, parse, required, default in plan:
            cell = raw[index].strip() if index is not None and index < len(raw) else ""
            if not cell:
                if required:
                    row_errors.append((name, "is required"))
                values[name] = default
                continue
            try:
                values[name] = parse(cell)
            except ValueError as problem:
                row_errors.append((name, str(problem)))
        if not row_errors:
            row_errors = [(col, msg) for _, col, msg in kind.check(
                {name: [value] for name, value in values.items()})]
        if not row_errors:
            key = tuple([values[k] for k in kind.key])
            if key in seen:
                row_errors.append(
                    (kind.key[0], f"{'/'.join(map(str, key))} is already on line {seen[key]}")
                )
            else:
                seen[key] = line
        if row_errors:
            problems.extend((line, f"{filename}:{line}: {col}: {msg}") for col, msg in row_errors)
        else:
            lines.append(line)
            valid.append(values)
    problems.extend(_merged_duplicates(kind, valid, lines, filename))
    table = _Table({name: [v[name] for v in valid] for name in kind.column_names},
                   [tuple([v[k] for k in kind.key]) for v in valid], _present(kind, positions))
    refs = _lookup(kind, table)
    problems.extend(
        (lines[i], f"{filename}:{lines[i]}: {column}: {message}")
        for i, column, message in _reference_problems(kind, table, refs)
    )
    if problems:
        problems.sort(key=lambda p: p[0])
        raise ImportRefused([message for _, message in problems])
    return table, refs


def _chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _resolve(kind: Kind, table: _Table) -> _Refs | None:
    """The records the file names, or None if it names any that do not exist."""
    refs = _lookup(kind, table)
    return None if _reference_problems(kind, table, refs) else refs


def _kept_refs(named: set[str | None]) -> dict[str, str]:
    """Each of these person_refs that was merged into another person (an alias,
    docs/matching.md) -> the reference of the person kept: a file naming it imports to them."""
    return _aliases(select(m.PersonAlias.alias_ref, m.Person.person_ref)
                    .join(m.Person, m.PersonAlias.person_id == m.Person.id),
                    m.PersonAlias.alias_ref, named)


def _kept_family_refs(named: set[str | None]) -> dict[str, str]:
    """Each of these family_refs that was merged into another family (an alias,
    docs/matching.md), matched exactly -> the reference of the family kept."""
    return _aliases(select(m.FamilyAlias.alias_ref, m.Family.family_ref)
                    .join(m.Family, m.FamilyAlias.family_id == m.Family.id),
                    m.FamilyAlias.alias_ref, named)


def _aliases(query, alias_ref, named: set[str | None]) -> dict[str, str]:
    """alias -> kept reference for the aliases among `named`. Merges are few: when the
    aliases are no more than the references named, all of them are read in one query and
    picked out here, rather than the references sent to be looked up."""
    named = named - {None, ""}
    if not named:
        return {}
    every = db.session.execute(query.limit(len(named) + 1)).all()
    if len(every) <= len(named):
        return {alias: kept for alias, kept in every if alias in named}
    kept: dict[str, str] = {}
    for where in one_of_chunks(alias_ref, sorted(named)):
        kept.update(db.session.execute(query.where(where)).all())
    return kept


def _aliases_resolved(rows: list[dict[str, Any]]) -> None:
    """The rows' merged person_refs and family_refs replaced, in place, by the person's or
    family's kept (_kept_refs, _kept_family_refs)."""
    kept = _kept_refs({r.get("person_ref") for r in rows})
    families = _kept_family_refs({r.get("family_ref") for r in rows})
    for row in rows:
        if row.get("person_ref") in kept:
            row["person_ref"] = kept[row["person_ref"]]
        if row.get("family_ref") in families:
            row["family_ref"] = families[row["family_ref"]]


def _merged_duplicates(kind: Kind, rows: list[dict[str, Any]], lines: list[int],
                       filename: str) -> list[tuple[int, str]]:
    """Resolve the rows' merged references (_aliases_resolved) and check the keys again: a
    file naming both a merged reference and the one it was merged into would otherwise
    write two rows to one record, the last silently winning. Every such line is named."""
    named = [{k: row.get(k) for k in kind.key} for row in rows]
    _aliases_resolved(rows)
    problems: list[tuple[int, str]] = []
    seen: dict[tuple, int] = {}
    for i, row in enumerate(rows):
        key = tuple([row[k] for k in kind.key])
        if key not in seen:
            seen[key] = i
            continue
        first = seen[key]
        swapped = [k for k in kind.key if named[i][k] != row[k]]
        if swapped:
            column = swapped[0]
            message = (f"{named[i][column]} was merged into {row[column]}, which is already "
                       f"on line {lines[first]}")
        else:
            column = next(k for k in kind.key if named[first][k] != row[k])
            message = (f"{row[column]} is already on line {lines[first]} (as "
                       f"{named[first][column]}, which was merged into {row[column]})")
        problems.append((lines[i], f"{filename}:{lines[i]}: {column}: {message}"))
    return problems


def _lookup(kind: Kind, table: _Table) -> _Refs:
    """Look up every reference the file names, in a few queries."""
    wanted: dict[str, set[str]] = {"family": set(), "person": set()}
    for column, target in kind.references.items():
        wanted[target].update(table.columns[column])
    refs = _Refs({}, {})
    for where in one_of_chunks(m.Family.family_ref, sorted(wanted["family"] - {None})):
        refs.families.update(
            db.session.execute(
                select(m.Family.family_ref, m.Family.id).where(where)
            ).all()
        )
    for where in one_of_chunks(m.Person.person_ref, sorted(wanted["person"] - {None})):
        for ref, pid, fid, fref in db.session.execute(
            select(m.Person.person_ref, m.Person.id, m.Person.family_id, m.Family.family_ref)
            .join(m.Family, m.Person.family_id == m.Family.id)
            .where(where)
        ):
            refs.people[ref] = (pid, fid, fref)
    return refs


def _reference_problems(kind: Kind, table: _Table, refs: _Refs) -> list[tuple[int, str, str]]:
    """(row index, column, message) for each reference to a record that does not exist, and
    each person named with a family that is not theirs."""
    problems = []
    for column, target in kind.references.items():
        known = refs.families if target == "family" else refs.people
        values = table.columns[column]
        if set(values) - {None} - known.keys():
            problems += [(i, column, f"no {target} with reference {value} exists")
                         for i, value in enumerate(values) if value and value not in known]
    if "person_ref" in kind.references and "family_ref" in kind.references:
        people, families = refs.people, refs.families
        for i, (person, family) in enumerate(
            zip(table.columns["person_ref"], table.columns["family_ref"])
        ):
            if person in people and family in families and people[person][2] != family:
                problems.append((i, "family_ref", f"{person} belongs to family "
                                                  f"{people[person][2]}, not {family}"))
    problems += _ward_problems(kind, table)
    problems.sort(key=lambda problem: problem[0])  # by row, each row's in column order
    return problems


def _ward_problems(kind: Kind, table: _Table) -> list[tuple[int, str, str]]:
    """A family's ward must be one of the council's: the wards its teams cover (`casework
    team-wards`). A council that has named none is not checked."""
    if kind.name != "families" or "ward" not in table.present:
        return []
    wards = set(db.session.scalars(select(m.TeamWard.ward)))
    if not wards:
        return []
    by_case = {w.casefold(): w for w in wards}
    problems = []
    for i, ward in enumerate(table.columns["ward"]):
        if ward is not None and ward not in wards:
            near = by_case.get(ward.casefold())
            problems.append((i, "ward", f"{ward} is not one of the council's wards" + (
                f" (did you mean {near}?)" if near else
                "; an administrator adds a ward to its team with casework team-wards")))
    return problems


def _existing(kind: Kind, table: _Table, refs: _Refs) -> dict[tuple, tuple[int, dict]]:
    """Return the stored rows with the file's keys: key -> (id, values in CSV terms)."""
    model = kind.model
    person, family = aliased(m.Person), aliased(m.Family)
    plain = [c for c in kind.column_names if c not in kind.references]
    columns = [model.id] + [getattr(model, c) for c in plain]
    query = select(*columns)
    labels = ["id"] + plain
    if "person_ref" in kind.references:
        query = query.add_columns(person.person_ref).outerjoin(person, model.person_id == person.id)
        labels.append("person_ref")
    if "family_ref" in kind.references:
        query = query.add_columns(family.family_ref).outerjoin(family, model.family_id == family.id)
        labels.append("family_ref")

    found: dict[tuple, tuple[int, dict]] = {}
    if kind.name == "school-terms":
        ids = sorted({refs.people[p][0] for p in set(table.columns["person_ref"])})
        batches = [query.where(where) for where in one_of_chunks(model.person_id, ids)]
    else:
        key_column = getattr(model, kind.key[0])
        batches = [query.where(where)
                   for where in one_of_chunks(key_column, table.columns[kind.key[0]])]
    for batch in batches:
        for record in db.session.execute(batch):
            values = dict(zip(labels, record, strict=True))
            record_id = values.pop("id")
            found[tuple(values[k] for k in kind.key)] = (record_id, values)
    return found


def _db_columns(kind: Kind, table: _Table, refs: _Refs) -> dict[str, list[Any]]:
    """The rows in table terms: references to other records become their ids."""
    out = dict(table.columns)  # every column: a new record takes the defaults of absent ones
    if "person_ref" in kind.references:
        ids = {ref: person[0] for ref, person in refs.people.items()}
        out["person_id"] = list(map(ids.get, out.pop("person_ref")))
    if "family_ref" in kind.references:
        out["family_id"] = list(map(refs.families.get, out.pop("family_ref")))
    return out


def _family_ref(values: dict[str, Any], refs: _Refs) -> str | None:
    if values.get("family_ref"):
        return values["family_ref"]
    if values.get("person_ref"):
        return refs.people[values["person_ref"]][2]
    return None


def _upsert(
    kind: Kind, table: _Table, refs: _Refs, filename: str, user: m.User | None
) -> ImportSummary:
    existing = _existing(kind, table, refs)
    rows = _db_columns(kind, table, refs)
    if not existing:  # a first load: every row is new
        _insert_new(kind.model, rows)
        _keep_created(kind, table, range(len(table)), refs, filename, user)
        _mark_families_stale(kind, table, refs, range(len(table)), filename, user)
        return ImportSummary(kind.name, len(table), 0, 0)
    new, updates, history, changed_rows = [], [], [], []
    unchanged = 0
    # An update writes only the columns the file has: a column it lacks erases nothing.
    ids = {"person_ref": "person_id", "family_ref": "family_id"}
    updated = [ids.get(name, name) if name in kind.references else name for name in table.present]
    for i, key in enumerate(table.keys):
        stored = existing.get(key)
        if stored is None:
            new.append(i)
            continue
        record_id, before = stored
        values = {name: table.columns[name][i] for name in kind.column_names}
        kept = change(kind.name, "/".join(map(str, key)), before,
                      {k: values[k] for k in table.present}, user, f"import of {filename}",
                      _family_ref(values, refs))
        if kept is None:  # every column the file has says what the record says
            unchanged += 1
            continue
        changed_rows.append(i)
        updates.append({"id": record_id, **{name: rows[name][i] for name in updated}})
        history.append(kept)
    _insert_new(kind.model, {name: [values[i] for i in new] for name, values in rows.items()})
    for chunk in _chunks(updates, 5000):
        db.session.execute(update(kind.model), chunk)
    if hasattr(kind.model, "version"):  # an import's change also makes an open edit form stale
        for where in one_of_chunks(kind.model.id, [u["id"] for u in updates]):
            db.session.execute(update(kind.model).where(where)
                               .values(version=kind.model.version + 1))
    write_changes(history)
    _keep_created(kind, table, new, refs, filename, user)
    _mark_families_stale(kind, table, refs, new + changed_rows, filename, user)
    return ImportSummary(kind.name, len(new), len(updates), unchanged)


def _keep_created(kind: Kind, table: _Table, rows: Iterable[int], refs: _Refs, filename: str,
                  user: m.User | None) -> None:
    """History for the kind's kept_on_create values of the records the file created."""
    if not kind.kept_on_create:
        return
    history = []
    for i in rows:
        values = {name: table.columns[name][i] for name in kind.kept_on_create
                  if table.columns[name][i] is not None}
        if values:
            history.append(change(
                kind.name, "/".join(map(str, table.keys[i])), {}, values, user,
                f"import of {filename}",
                _family_ref({n: table.columns[n][i] for n in ("family_ref", "person_ref")
                             if n in table.columns}, refs)))
    write_changes(history)


def _mark_families_stale(kind: Kind, table: _Table, refs: _Refs, rows: Iterable[int],
                    filename: str, user: m.User | None) -> None:
    """Mark the families whose evidence these rows (new or changed) are, for the stored
    evaluation to re-evaluate once the import commits; a families file's attachment and
    closure dates are followed by the families' episodes."""
    rows = list(rows)
    if kind.model is m.Family:
        column = table.columns["family_ref"]
        wanted = sorted({column[i] for i in rows})
        ids = [fid for where in one_of_chunks(m.Family.family_ref, wanted)
               for fid in db.session.scalars(select(m.Family.id).where(where))]
        if {"attached_on", "closed_on"} & table.present:
            episodes.follow_family_dates(ids, f"import of {filename}", user)
    else:
        people, families = refs.people, refs.families
        person = table.columns["person_ref"] if "person_ref" in kind.references else None
        family = table.columns["family_ref"] if "family_ref" in kind.references else None
        # Each reference once: a person's records are many, their family one.
        named_people = {person[i] for i in rows} - {None, ""} if person is not None else set()
        named_families = (set() if family is None else
                          {family[i] for i in rows if person is None or not person[i]}
                          - {None, ""})
        ids = {people[p][1] for p in named_people} | {families[f] for f in named_families}
        if kind.model is m.Assessment:  # of a need: its family's
            column = table.columns["need_ref"]
            wanted = sorted({column[i] for i in rows})
            ids |= {fid for where in one_of_chunks(m.Need.need_ref, wanted)
                    for fid in db.session.scalars(select(m.Need.family_id).where(where))}
    store.mark_stale(ids)


def _insert_new(model: type, columns: dict[str, list[Any]]) -> None:
    """Insert new rows, given a column at a time, through the driver (casework/bulk.py)."""
    insert_columns(model.__table__, columns)


def kinds() -> Iterable[str]:
    return KINDS.keys()
