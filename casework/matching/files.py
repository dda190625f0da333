"""Reading the columns that describe a person from a partner CSV file."""

from __future__ import annotations

import dataclasses
import datetime as dt

from .. import clock
from .. import models as m
from ..evidence import fields as f
from ..importer import service as imports
from ..importer.service import ImportRefused, _decode
from .service import Described

# The columns that describe a person, in place of a person_ref.
DESCRIBING = ("given_name", "family_name", "date_of_birth", "postcode", "sex")
_PARSE = {"given_name": f.Text(100), "family_name": f.Text(100), "date_of_birth": f.date,
          "postcode": f.Text(10), "sex": f.Choice(m.SEXES)}
_REQUIRED = ("given_name", "family_name", "date_of_birth")


@dataclasses.dataclass
class Record:
    line: int  # the record's first line in the file (the header is line 1)
    cells: dict[str, str]  # column (lower case) -> cell as written, stripped


def read_records(data: bytes, filename: str) -> tuple[list[str], list[Record]]:
    """The header (lower case) and each non-blank record, or ImportRefused."""
    # The importer's own reading: malformed CSV and absurd headers are refused alike.
    header, rows = imports.read_records(_decode(data, filename), filename)
    header = [h.strip().lower() for h in header]
    records = []
    for start, values in rows:
        if len(values) > len(header):
            raise ImportRefused([f"{filename}:{start}: row: has {len(values)} "
                                 f"values but the header has {len(header)} columns"])
        cells = {name: (values[i].strip() if i < len(values) else "")
                 for i, name in enumerate(header)}
        records.append(Record(start, cells))
    return header, records


def describe(record: Record, filename: str, errors: list[str]) -> Described | None:
    """The person a record describes, or None with its problems added to `errors`."""
    values = {}
    problems = []
    for name in DESCRIBING:
        cell = record.cells.get(name, "")
        if not cell:
            if name in _REQUIRED:
                problems.append(f"{filename}:{record.line}: {name}: is required")
            values[name] = None
            continue
        try:
            values[name] = _PARSE[name](cell)
        except ValueError as problem:
            problems.append(f"{filename}:{record.line}: {name}: {problem}")
    born = values.get("date_of_birth")
    if isinstance(born, dt.date) and born > clock.today():
        problems.append(f"{filename}:{record.line}: date_of_birth: {born} is in the future")
    errors.extend(problems)
    return None if problems else Described(**values)


def read_match_file(data: bytes, filename: str) -> list[tuple[str, Described]]:
    """(source_ref, described person) for each row of a `casework match` file, or
    ImportRefused naming every problem."""
    header, records = read_records(data, filename)
    errors = [f"{filename}:1: {name}: required column is missing"
              for name in ("source_ref", *_REQUIRED) if name not in header]
    if errors:
        raise ImportRefused(errors)
    seen: dict[str, int] = {}
    out = []
    for record in records:
        ref = record.cells["source_ref"]
        row_errors: list[str] = []
        if not ref:
            row_errors.append(f"{filename}:{record.line}: source_ref: is required")
        else:
            try:
                f.ref(ref)
            except ValueError as problem:
                row_errors.append(f"{filename}:{record.line}: source_ref: {problem}")
        if ref and ref in seen:
            row_errors.append(f"{filename}:{record.line}: source_ref: {ref} is already on "
                              f"line {seen[ref]}")
        seen.setdefault(ref, record.line)
        described = describe(record, filename, row_errors)
        errors.extend(row_errors)
        if not row_errors:
            out.append((ref, described))
    if errors:
        raise ImportRefused(errors)
    return out
