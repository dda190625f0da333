"""Write evaluations as the contract's JSON, as CSV or as a readable table, streaming."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TextIO

from ..reports.exports import csv_writer
from ..rules import RESULTS

CSV_COLUMNS = (
    ["family_ref", "as_of", "identification_date", "crime_asb", "education", "work",
     "local_discretion", "eligible", "attached_on"]
    + list(RESULTS)
    + ["claimable"]
)


def write_json(items: Iterable[dict], out: TextIO) -> None:
    """Write the contract's JSON array, one family a line, as the items arrive."""
    out.write("[")
    for i, item in enumerate(items):
        out.write(",\n " if i else "\n ")
        out.write(json.dumps(item))
    out.write("\n]\n")


def csv_row(data: dict) -> list:
    """A CSV row from the contract's JSON object of one family."""
    ident = data["identification"]
    return (
        [data["family_ref"], data["as_of"], ident["date"]]
        + ["y" if ident[k] else "n" for k in ("crime_asb", "education", "work",
                                            "local_discretion", "eligible")]
        + [data["attached_on"] or ""]
        + [data["results"][r] for r in RESULTS]
        + [";".join(f"{c['result']}:{c['amount']}" for c in data["claimable"])]
    )


def write_csv(items: Iterable[dict], out: TextIO) -> None:
    writer = csv_writer(out)
    writer.writerow(CSV_COLUMNS)
    for item in items:
        writer.writerow(csv_row(item))


TABLE = [("family", 10), ("ident.", 10), ("C E W L", 7), ("elig", 4), ("attached", 10),
         ("asb", 17), ("offending", 17), ("education", 17), ("c/asb/edu", 17),
         ("to work", 12), ("employment", 12), ("claimable", 30)]


def write_table(items: Iterable[dict], out: TextIO) -> None:
    out.write("  ".join(name.ljust(width) for name, width in TABLE).rstrip() + "\n")
    for d in items:
        i = d["identification"]
        flags = " ".join("y" if i[k] else "." for k in ("crime_asb", "education", "work",
                                                         "local_discretion"))
        cells = [d["family_ref"], i["date"], flags, "yes" if i["eligible"] else "no",
                 d["attached_on"] or "-"] + [d["results"][r] for r in RESULTS] + [
            ", ".join(f"{c['result']} £{c['amount']}" for c in d["claimable"]) or "-"]
        out.write("  ".join(str(c).ljust(w) for c, (_, w) in zip(cells, TABLE)).rstrip() + "\n")
