"""Record history: the one way a change to a record is kept, so "what did it say before, who
changed it and how" is a query (record_history), never an archaeology project.

`change` makes the row for one change; `write_history` keeps one change in the session (an
edit), `write_changes` many at once, set-based (an import of 100,000 rows)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from . import models as m
from .bulk import insert_columns
from .extensions import db
from .rules.dates import govdate, govdatetime
from .rules.wording import words

CHUNK = 5000  # rows an INSERT


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def change(record_type: str, record_ref: str, before: dict[str, Any] | None,
           after: dict[str, Any], by: m.User | None, source: str = "edited",
           family_ref: str | None = None) -> dict[str, Any] | None:
    """The history row for the fields of `after` that differ from `before` (dates as ISO
    text), who changed them (`by`) and how (`source`); None for a new record (`before`
    None) or one left as it was."""
    if before is None:
        return None
    changed = sorted(k for k in after if before.get(k) != after[k])
    if not changed:
        return None
    return {"record_type": record_type, "record_ref": record_ref, "family_ref": family_ref,
            "changed_at": m.utcnow(), "changed_by_id": by.id if by else None,
            "source": source[:300],
            "before": {k: _plain(before.get(k)) for k in changed},
            "after": {k: _plain(after[k]) for k in changed}}


def write_history(record_type: str, record_ref: str, before: dict[str, Any] | None,
                  after: dict[str, Any], by: m.User | None, source: str = "edited",
                  family_ref: str | None = None) -> list[str]:
    """Keep one change (see `change`) in the caller's transaction; return the names of the
    fields that changed."""
    row = change(record_type, record_ref, before, after, by, source, family_ref)
    if row is None:
        return []
    db.session.add(m.RecordHistory(**row))
    return sorted(row["after"])


def write_changes(rows: Iterable[dict[str, Any] | None]) -> None:
    """Keep many changes made by `change` (None: nothing changed) in the caller's
    transaction, through the driver (casework/bulk.py: COPY on PostgreSQL), a few thousand
    at a time."""
    kept = [row for row in rows if row is not None]
    for i in range(0, len(kept), CHUNK):
        part = kept[i : i + CHUNK]
        insert_columns(m.RecordHistory.__table__, {name: [r[name] for r in part] for name in part[0]})


# Telling a change in words ---------------------------------------------------------------------

# What a record's kind is called on a page (the record_type kept in history).
RECORD_WORDS = {
    "families": "Family", "people": "Person", "contact": "Contact", "follow-up": "Follow-up",
    "plan": "Family plan", "goal": "Goal", "referral": "Referral", "claim": "Claim",
    "school-terms": "School term", "asb": "ASB record", "offences": "Offence",
    "work": "Work or benefit", "domestic-abuse": "Domestic abuse incident",
    "child-status": "Child status", "needs": "Need", "assessments": "Assessment",
    "unit_cost": "Unit cost", "agreed_number": "Agreed number",
    # The Team Around the Family's records (casework/partners): "Taf action" said nothing.
    "taf_member": "Team Around the Family member", "taf_meeting": "Team Around the Family meeting",
    "taf_action": "Team Around the Family action", "sharing_consent": "Consent to share",
    "lead_professional": "Lead professional", "partner_organisation": "Partner organisation",
    "match_contribution": "Match funding",
    # The kinds of a claim's frozen evidence.
    "school_terms": "School term", "domestic_abuse": "Domestic abuse incident",
    "child_statuses": "Child status",
}
# What a field is called where its name alone would not say it.
FIELD_WORDS = {
    "present": "People present", "contact_at": "Date and time", "duration_minutes":
    "Duration in minutes", "actions": "Follow-up actions", "assigned_to": "Given to",
    "target_on": "Target date", "status_on": "Status since", "attached_on": "Attached on",
    "identified_on": "Identified on", "closed_on": "Closed on", "date_of_birth": "Date of birth",
    "person_ref": "Person", "pence": "Amount", "sessions_unauthorised": "Unauthorised sessions",
    "sessions_possible": "Possible sessions", "families": "Families",
}
# The fields whose values name a user by their email (the Team Around the Family's member,
# lead professional, action owner, meeting attendance): shown by name (`user_names`).
USER_FIELDS = ("user", "owner", "attended")


def user_names(rows: list[m.RecordHistory]) -> dict[str, str]:
    """The users the rows' USER_FIELDS name by email, as history shows them: email ->
    "Sam Patel (FIP worker)" (models.User.described); an email no user has any more is
    left as it is."""
    emails: set[str] = set()
    for row in rows:
        for values in (row.before or {}, row.after or {}):
            for field in USER_FIELDS:
                value = values.get(field)
                for one in value if isinstance(value, list) else [value]:
                    if isinstance(one, str) and "@" in one:
                        emails.add(one)
    if not emails:
        return {}
    found = db.session.scalars(select(m.User).where(m.User.email.in_(sorted(emails))))
    return {u.email: u.described for u in found}


# The words of a vocabulary field, by record kind (None: any kind).
_VOCABULARIES = {
    ("contact", "kind"): m.CONTACT_KINDS, ("goal", "problem"): m.PLAN_PROBLEMS,
    ("goal", "status"): m.GOAL_STATUSES, ("referral", "status"): m.REFERRAL_STATUSES,
    ("referral", "kind"): m.REFERRAL_KINDS, ("follow-up", "outcome"): m.FOLLOW_UP_OUTCOMES,
    ("asb", "kind"): m.ASB_KIND_LABELS, ("work", "kind"): m.WORK_KIND_LABELS,
    ("contact", "status"): {"draft": "Draft", "final": "Finished"},
}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")


def field_words(field: str) -> str:
    return FIELD_WORDS.get(field) or words(field)


def value_words(value: Any, record_type: str = "", field: str = "",
                names: dict[str, str] | None = None) -> str:
    """A value kept in history as a user reads it: "none" for nothing, dates as "2 January
    2013", people by name, a vocabulary's words, lists joined."""
    names = names or {}
    if value is None or value == "" or value == []:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        if field == "actions":  # [text, due date] pairs
            return "; ".join(f"{a[0]} (due {value_words(a[1])})" if isinstance(a, list) and a[1:]
                             and a[1] else str(a[0] if isinstance(a, list) else a) for a in value)
        return ", ".join(value_words(v, record_type, field, names) for v in value)
    if field == "pence" and isinstance(value, int | float):
        whole = round(value / 100)
        return f"£{whole:,}"
    if isinstance(value, str):
        if field in ("present", "person_ref") + USER_FIELDS and value in names:
            return names[value]
        vocabulary = _VOCABULARIES.get((record_type, field))
        if vocabulary and value in vocabulary:
            return vocabulary[value]
        if _ISO_DATE.match(value):
            return govdate(dt.date.fromisoformat(value))
        if _ISO_DATETIME.match(value):
            return govdatetime(dt.datetime.fromisoformat(value))
    return str(value)


def describe(row: m.RecordHistory, names: dict[str, str] | None = None) -> list[str]:
    """One line a changed field of a history row, in words: "People present: none → Jade
    Smith", "Attached on: none → 16 July 2012". `names`: person references to names."""
    before, after = row.before or {}, row.after or {}
    return [f"{field_words(k)}: {value_words(before.get(k), row.record_type, k, names)} → "
            f"{value_words(v, row.record_type, k, names)}" for k, v in after.items()]


def record_words(row: m.RecordHistory) -> str:
    """The record a history row is about: "Contact 12", "School term P00001/2012/autumn"."""
    return f"{RECORD_WORDS.get(row.record_type) or words(row.record_type)} {row.record_ref}"


def fields_words(values: dict | None, fields: list[str] | None = None, record_type: str = "",
                 names: dict[str, str] | None = None) -> str:
    """A record's fields in words, "Date: 2 January 2013; kind: ASBO" (`fields`: only these,
    in this order; otherwise every field but its reference and sort order)."""
    values = values or {}
    shown = fields if fields is not None else [k for k in values if k not in ("ref", "order")]
    return "; ".join(f"{field_words(k)}: {value_words(values.get(k), record_type, k, names)}"
                     for k in shown)
