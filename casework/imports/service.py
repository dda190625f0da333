"""Import a partner agency's CSV file: parse, validate, then upsert in bulk, all or nothing."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import operator
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from sqlalchemy import Date, any_, bindparam, insert, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from .. import models as m
from ..audit import record_event
from ..extensions import db
from ..workers import collector_paused
from .kinds import KINDS, Kind

CHUNK = 900  # bound parameters per IN (...) query, well under SQLite's limit
PROGRESS_EVERY = 1000  # rows between progress reports


class ImportRefused(Exception):
    """The file was not imported; `errors` holds one `FILE:LINE: COLUMN: message` a problem."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


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


@dataclasses.dataclass(slots=True)
class _Row:
    line: int
    values: dict[str, Any]
    valid: bool = True
    key: tuple = ()


def import_csv(
    kind_name: str, data: bytes, filename: str, user: m.User | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Import one file of one kind in a single transaction, or raise ImportRefused.

    `progress`, if given, is told how many more rows have been read as the file is checked.
    """
    kind = KINDS[kind_name]
    try:
        with collector_paused():
            rows, errors = _parse(kind, data, filename, progress)
            refs, ref_errors = _resolve(kind, [r for r in rows if r.valid], filename)
            errors.extend(ref_errors)
            if errors:
                errors.sort(key=lambda e: e[0])
                raise ImportRefused([message for _, message in errors])
            summary = _upsert(kind, rows, refs, filename, user)
        record_event(
            "import", "file", filename[-120:], user=user, detail=summary.line()
        )
        db.session.commit()
    except ImportRefused:
        db.session.rollback()
        raise
    except IntegrityError:
        db.session.rollback()
        raise ImportRefused(
            [f"{filename}: another change to the same records was saved at the same time; "
             "nothing was imported, please try again"]
        ) from None
    return summary


def _decode(data: bytes, filename: str) -> str:
    if b"\x00" in data:
        raise ImportRefused([f"{filename}:1: file: is not a CSV text file (it has binary content)"])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ImportRefused(
            [f"{filename}:{line}: file: is not UTF-8 text; save it as CSV UTF-8 and try again"]
        ) from None


def _records(text: str) -> list[tuple[int, list[str]]]:
    """Return (first physical line, values) for each non-blank record; the header is line 1."""
    reader = csv.reader(io.StringIO(text, newline=""))
    found = []
    append = found.append
    start = 1
    for values in reader:
        if values and (values[0].strip() or "".join(values).strip()):
            append((start, values))
        start = reader.line_num + 1
    return found


def _parse(
    kind: Kind, data: bytes, filename: str, progress: Callable[[int], None] | None = None
) -> tuple[list[_Row], list[tuple[int, str]]]:
    """Return the rows and the (line, message) problems of the file's values."""
    text = _decode(data, filename)
    try:
        records = _records(text)
    except csv.Error as error:
        raise ImportRefused([f"{filename}: file: is not valid CSV ({error})"]) from None
    if not records:
        raise ImportRefused([f"{filename}:1: header: the file is empty; a header row is needed"])
    _, header = records[0]
    header = [h.strip().lower() for h in header]
    errors = []
    for name in sorted({h for h in header if header.count(h) > 1 and h}):
        errors.append(f"{filename}:1: {name}: column appears more than once")
    for column in kind.columns:
        if column.required and column.name not in header:
            errors.append(f"{filename}:1: {column.name}: required column is missing")
    if errors:
        raise ImportRefused(errors)
    position = {name: i for i, name in enumerate(header)}
    plan = [(c.name, position.get(c.name), c.parse, c.required, c.default) for c in kind.columns]

    fast = _parse_valid(kind, plan, records[1:], len(header), progress)
    if fast is not None:
        return fast, []
    return _parse_rows(kind, plan, records[1:], len(header), filename, progress)


def _parse_valid(
    kind: Kind, plan: list[tuple], records: list[tuple[int, list[str]]], width: int,
    progress: Callable[[int], None] | None,
) -> list[_Row] | None:
    """Parse a file with no problems a column at a time, which is several times quicker than
    row by row; return None at the first problem, for _parse_rows to name them all."""
    raws = [raw for _, raw in records]
    if any(len(raw) != width for raw in raws):
        return None
    columns = []
    for _name, index, parse, required, default in plan:
        if index is None:
            columns.append([default] * len(raws))
            continue
        cells = [raw[index].strip() for raw in raws]
        if required and not all(cells):
            return None
        try:
            columns.append([parse(c) if c else default for c in cells])
        except ValueError:
            return None
        if progress:
            progress(len(raws) // len(plan))
    names = [name for name, *_ in plan]
    key_index = [names.index(k) for k in kind.key]
    rows, seen = [], set()
    for (line, _), parsed in zip(records, zip(*columns), strict=True):
        values = dict(zip(names, parsed))
        key = tuple([parsed[i] for i in key_index])
        if key in seen or kind.check(values):
            return None
        seen.add(key)
        rows.append(_Row(line, values, True, key))
    return rows


def _parse_rows(
    kind: Kind, plan: list[tuple], records: list[tuple[int, list[str]]], width: int,
    filename: str, progress: Callable[[int], None] | None,
) -> tuple[list[_Row], list[tuple[int, str]]]:
    """Parse row by row, naming every problem as FILE:LINE: COLUMN: message."""
    key_names = kind.key
    problems: list[tuple[int, str]] = []
    rows: list[_Row] = []
    seen: dict[tuple, int] = {}
    for number, (line, raw) in enumerate(records, start=1):
        if progress and number % PROGRESS_EVERY == 0:
            progress(PROGRESS_EVERY)
        if len(raw) > width:
            problems.append((line, f"{filename}:{line}: row: has {len(raw)} values but the header "
                                   f"has {width} columns"))
            continue
        values: dict[str, Any] = {}
        row_errors = []
        width = len(raw)
        for name, index, parse, required, default in plan:
            cell = raw[index].strip() if index is not None and index < width else ""
            if not cell:
                if required:
                    row_errors.append((name, "is required"))
                values[name] = default
                continue
            try:
                values[name] = parse(cell)
            except ValueError as problem:
                row_errors.append((name, str(problem)))
        key: tuple = ()
        if not row_errors:
            row_errors = kind.check(values)
        if not row_errors:
            key = tuple([values[k] for k in key_names])
            if key in seen:
                row_errors.append(
                    (kind.key[0], f"{'/'.join(map(str, key))} is already on line {seen[key]}")
                )
            else:
                seen[key] = line
        if row_errors:
            problems.extend((line, f"{filename}:{line}: {col}: {msg}") for col, msg in row_errors)
        rows.append(_Row(line, values, not row_errors, key))
    return rows, problems


def _chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _lookups(column, values: list) -> Iterator:
    """WHERE clauses for `column` being one of `values`, as few as the database allows:
    one array parameter a 50,000 values on PostgreSQL, IN lists of CHUNK on SQLite (its
    limit on bound parameters)."""
    if db.session.get_bind().dialect.name == "postgresql":
        kind = ARRAY(column.type)
        for chunk in _chunks(values, 50_000):
            yield column == any_(bindparam(None, chunk, type_=kind))
    else:
        for chunk in _chunks(values):
            yield column.in_(chunk)


@dataclasses.dataclass
class _Refs:
    families: dict[str, int]  # family_ref -> id
    people: dict[str, tuple[int, int, str]]  # person_ref -> (id, family_id, family_ref)


def _resolve(
    kind: Kind, rows: list[_Row], filename: str
) -> tuple[_Refs, list[tuple[int, str]]]:
    """Look up every reference the file names, in a few queries, and report unknown ones."""
    wanted: dict[str, set[str]] = {"family": set(), "person": set()}
    for row in rows:
        for column, target in kind.references.items():
            if row.values[column]:
                wanted[target].add(row.values[column])
    refs = _Refs({}, {})
    for where in _lookups(m.Family.family_ref, sorted(wanted["family"])):
        refs.families.update(
            db.session.execute(
                select(m.Family.family_ref, m.Family.id).where(where)
            ).all()
        )
    for where in _lookups(m.Person.person_ref, sorted(wanted["person"])):
        for ref, pid, fid, fref in db.session.execute(
            select(m.Person.person_ref, m.Person.id, m.Person.family_id, m.Family.family_ref)
            .join(m.Family, m.Person.family_id == m.Family.id)
            .where(where)
        ):
            refs.people[ref] = (pid, fid, fref)

    errors = []
    for row in rows:
        for column, target in kind.references.items():
            value = row.values[column]
            known = refs.families if target == "family" else refs.people
            if value and value not in known:
                errors.append((row.line, f"{filename}:{row.line}: {column}: no {target} with "
                               f"reference {value} exists"))
        person, family = row.values.get("person_ref"), row.values.get("family_ref")
        if (
            "family_ref" in kind.references and person and family and person in refs.people
            and family in refs.families and refs.people[person][2] != family
        ):
            errors.append((row.line,
                f"{filename}:{row.line}: family_ref: {person} belongs to family "
                f"{refs.people[person][2]}, not {family}"
            ))
    return refs, errors


def _existing(kind: Kind, rows: list[_Row], refs: _Refs) -> dict[tuple, tuple[int, dict]]:
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
        ids = sorted({refs.people[r.values["person_ref"]][0] for r in rows})
        batches = [query.where(where) for where in _lookups(model.person_id, ids)]
    else:
        key_column = getattr(model, kind.key[0])
        keys = [r.values[kind.key[0]] for r in rows]
        batches = [query.where(where) for where in _lookups(key_column, keys)]
    for batch in batches:
        for record in db.session.execute(batch):
            values = dict(zip(labels, record, strict=True))
            record_id = values.pop("id")
            found[tuple(values[k] for k in kind.key)] = (record_id, values)
    return found


def _to_db(kind: Kind, values: dict[str, Any], refs: _Refs) -> dict[str, Any]:
    """The row in table terms: references to other records become their ids."""
    out = dict(values)
    if "person_ref" in kind.references:
        person = out.pop("person_ref")
        out["person_id"] = refs.people[person][0] if person else None
    if "family_ref" in kind.references:
        family = out.pop("family_ref")
        out["family_id"] = refs.families[family] if family else None
    return out


def _family_ref(kind: Kind, values: dict[str, Any], refs: _Refs) -> str | None:
    if values.get("family_ref"):
        return values["family_ref"]
    if values.get("person_ref"):
        return refs.people[values["person_ref"]][2]
    return None


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in values.items()}


def _upsert(
    kind: Kind, rows: list[_Row], refs: _Refs, filename: str, user: m.User | None
) -> ImportSummary:
    existing = _existing(kind, rows, refs)
    inserts, updates, history = [], [], []
    unchanged = 0
    for row in rows:
        key = row.key
        stored = existing.get(key)
        if stored is None:
            inserts.append(_to_db(kind, row.values, refs))
            continue
        record_id, before = stored
        changed = {k for k, v in row.values.items() if before.get(k) != v}
        if not changed:
            unchanged += 1
            continue
        updates.append({"id": record_id, **_to_db(kind, row.values, refs)})
        history.append(
            {
                "record_type": kind.name,
                "record_ref": "/".join(map(str, key)),
                "family_ref": _family_ref(kind, row.values, refs),
                "changed_at": m.utcnow(),
                "changed_by_id": user.id if user else None,
                "source": f"import of {filename}"[:300],
                "before": _plain({k: before[k] for k in sorted(changed)}),
                "after": _plain({k: row.values[k] for k in sorted(changed)}),
            }
        )
    _insert_new(kind.model, inserts)
    for chunk in _chunks(updates, 5000):
        db.session.execute(update(kind.model), chunk)
    if hasattr(kind.model, "version"):  # an import's change also makes an open edit form stale
        for chunk in _chunks([u["id"] for u in updates]):
            db.session.execute(update(kind.model).where(kind.model.id.in_(chunk))
                               .values(version=kind.model.version + 1))
    for chunk in _chunks(history, 5000):
        db.session.execute(insert(m.RecordHistory), chunk)
    return ImportSummary(kind.name, len(inserts), len(updates), unchanged)


def _insert_new(model: type, rows: list[dict[str, Any]]) -> None:
    """Insert new rows straight through the driver, in the import's transaction: COPY on
    PostgreSQL, one prepared executemany on SQLite. The ORM's bulk insert spends more time
    building parameters than the database spends storing them."""
    if not rows:
        return
    table = model.__table__
    names = list(rows[0])
    # Columns the file does not fill that have a plain Python default (server defaults
    # such as a record's version need nothing from us).
    for column in table.columns:
        default = column.default
        if column.name not in names and default is not None and default.is_scalar:
            names.append(column.name)
            for row in rows:
                row[column.name] = default.arg
    connection = db.session.connection()
    cursor = connection.connection.dbapi_connection.cursor()
    quoted = ", ".join(connection.dialect.identifier_preparer.quote(n) for n in names)
    try:
        if connection.dialect.name == "postgresql":
            with cursor.copy(f"COPY {table.name} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([row[n] for n in names])
        else:  # SQLite: dates as SQLAlchemy stores them, ISO text
            dates = {n for n in names if isinstance(table.columns[n].type, Date)}
            for row in rows:
                for n in dates:
                    if row[n] is not None:
                        row[n] = row[n].isoformat()
            sql = f"INSERT INTO {table.name} ({quoted}) VALUES ({', '.join('?' * len(names))})"
            getter = operator.itemgetter(*names)
            cursor.executemany(sql, map(getter, rows))
    except connection.dialect.dbapi.IntegrityError as error:
        raise IntegrityError(f"insert into {table.name}", None, error) from None
    finally:
        cursor.close()


def kinds() -> Iterable[str]:
    return KINDS.keys()
