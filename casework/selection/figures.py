"""The figures of the way in: one definition each, shared by the dashboard, the Board report
and the selection pages. Each gives, for the families of a SELECT (already scoped), the date
each family reached the stage on or before `as_of`, so the funnel, the months and the wards
count the same thing."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import Select, func, select

from .. import models as m
from ..evaluation import figures as programme_figures
from ..evaluation.service import current_ruleset
from ..extensions import db
from ..lookups import one_of
from ..rules.ruleset import PROGRAMME_LABELS
from .service import agreed_numbers, programme_year_span, programme_years


def _first_dates(column, family_column, families: Select, as_of: dt.date, *where) -> dict[int, dt.date]:
    ids = select(families.subquery().c.id)
    return dict(db.session.execute(
        select(family_column, func.min(column))
        .where(family_column.in_(ids), column <= as_of, *where)
        .group_by(family_column)).all())


def _meeting_dates(families: Select, as_of: dt.date, *where) -> dict[int, dt.date]:
    D, M = m.SelectionDecision, m.SelectionMeeting
    ids = select(families.subquery().c.id)
    return dict(db.session.execute(
        select(D.family_id, func.min(M.held_on)).join(M, D.meeting_id == M.id)
        .where(D.family_id.in_(ids), M.held_on <= as_of, *where)
        .group_by(D.family_id)).all())


def discussed_on(families: Select, as_of: dt.date) -> dict[int, dt.date]:
    """Discussed: the date of the first selection meeting, on or before as_of, that decided
    on the family (whatever it decided)."""
    return _meeting_dates(families, as_of)


def selected_on(families: Select, as_of: dt.date) -> dict[int, dt.date]:
    """Selected: the date of the first meeting, on or before as_of, that selected the family."""
    return _meeting_dates(families, as_of, m.SelectionDecision.decision == "selected")


def contacted_on(families: Select, as_of: dt.date) -> dict[int, dt.date]:
    """Contacted: the date of the lead person's first contact attempt, on or before as_of."""
    return _first_dates(m.ContactAttempt.attempted_on, m.ContactAttempt.family_id, families, as_of)


def allocated_on(families: Select, as_of: dt.date,
                 programme: str | None = None) -> dict[int, dt.date]:
    """Allocated: the date the family was first allocated to a FIP worker in an episode of
    the programme (default the council's ruleset's), on or before as_of."""
    E = m.Episode
    return _first_dates(m.Allocation.start_on, m.Allocation.family_id, families, as_of,
                        m.Allocation.episode_id.in_(select(E.id).where(
                            E.programme == (programme or current_ruleset().name))))


@dataclasses.dataclass(frozen=True)
class AgreedProgress:
    """Families attached in a programme year against the number agreed for it."""

    year: int
    label: str
    agreed: int | None
    attached: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.attached / self.agreed) if self.agreed else None


def agreed_programme() -> str:
    """The programme whose years the agreed numbers count (the council's ruleset's), by the
    name its users know."""
    return PROGRAMME_LABELS.get(current_ruleset().name, current_ruleset().name)


def agreed_progress(sc: programme_figures.Scope) -> list[AgreedProgress] | None:
    """Every programme year begun by the scope's date, latest first: the scope's families
    attached in it (by the programme year of their attachment date, on or before the date,
    as the attachment fees count them: the programme figure "attached") against its agreed
    number. The agreed numbers are the council's programme's (its ruleset's programme
    years): for another programme there are none to show (None)."""
    if sc.programme != current_ruleset().name:
        return None
    attached = programme_figures.memo(  # counted once until the figures are stored again
        sc, "attachment_fees", lambda: programme_figures.attachment_fees(sc), summary=True)
    agreed = agreed_numbers()
    return [AgreedProgress(year, label, agreed.get(year),
                           attached.get(year, {}).get("families", 0))
            for year, label in programme_years()
            if programme_year_span(year)[0] <= sc.as_of][::-1]


def agreed_progress_of(user: m.User, programme: str | None = None
                       ) -> list[AgreedProgress] | None:
    """agreed_progress of the families `user` sees, on the stored evaluation's date: the
    selection and money pages'. It reads the stored figures (their attachment fees), so a
    day of contacts and allocations does not count every family again in each process; the
    page says when they were counted (_figures_hold.html)."""
    return agreed_progress(programme_figures.scope(user, programme=programme))


# The funnel from identification to sign-up ---------------------------------------------------

# The stages of the way in, in order; those marked "programme" are the programme figures'
# own (identified, attached, results met, claimed), counted once, by casework.programme.
_MEANING = programme_figures.MEANING
WAY_IN = (
    ("identified", "Identified", _MEANING["identified"], "programme"),
    ("discussed", "Discussed", "Decided on at a selection meeting on or before the date, or "
                               "selected, contacted or signed up", None),
    ("selected", "Selected", "Selected at a meeting on or before the date, or contacted or "
                             "signed up", None),
    ("contacted", "Contacted", "The lead person tried to contact the family on or before the "
                               "date, or it signed up", None),
    ("attached", "Signed up (attached)", _MEANING["attached"], "programme"),
    ("allocated", "Allocated", "Signed up, and allocated to a FIP worker in the programme on "
                               "or before the date", None),
    ("results_met", "Results met", _MEANING["results_met"], "programme"),
    ("claimed", "Claimed", _MEANING["claimed"], "programme"),
)
STAGE_DATES = {"discussed": discussed_on, "selected": selected_on, "contacted": contacted_on,
               "allocated": allocated_on}


@dataclasses.dataclass(frozen=True)
class WayIn:
    """The funnel, by month and by ward, with progress against the agreed number."""

    as_of: dt.date
    funnel: dict[str, int]
    months: list[dict]  # {"month": first day, stage: families reaching it that month}
    wards: list[dict]  # {"ward": name, stage: families}
    agreed: list[AgreedProgress] | None  # None: not the council's programme


def way_in(families: Select, as_of: dt.date, programme) -> WayIn:
    """The way-in figures for the families of `families` on as_of; `programme` is the
    programme's Figures for the same families and date, whose own stages are reused."""
    reached = {key: dates(families, as_of) for key, dates in STAGE_DATES.items()
               if key != "allocated"}
    reached["allocated"] = allocated_on(families, as_of, programme.programme)
    # A family signed up (attached) has passed every stage before it, whether or not a
    # meeting or contact attempt was recorded (a council's earlier attachments, imported):
    # each stage holds every family of the stages after it, so the funnel never widens.
    sc = programme_figures.scope(None, families=families, as_of=as_of,
                                 programme=programme.programme)
    signed_up = dict(db.session.execute(sc.select(sc.f.c.id, programme_figures.signed_up_on(sc))
                                        .where(programme_figures.condition(sc, "attached"))).all())
    reached["allocated"] = {fid: d for fid, d in reached["allocated"].items() if fid in signed_up}
    later = signed_up
    for key in ("contacted", "selected", "discussed"):
        for fid, d in later.items():
            reached[key][fid] = min(reached[key].get(fid, d), d)
        later = reached[key]
    funnel = {key: len(reached[key]) if source is None else programme.funnel[key]
              for key, _label, _meaning, source in WAY_IN}
    months = []
    for row in programme.months:
        first = row["month"]
        months.append({"month": first, "identified": row["identified"],
                       "attached": row["attached"],
                       **{key: sum(1 for d in dates.values() if d.replace(day=1) == first)
                          for key, dates in reached.items()}})
    # The wards of the families that reached a stage only (not of every family in scope).
    ids = sorted(set().union(*(dates.keys() for dates in reached.values())))
    wards_of = dict(db.session.execute(select(m.Family.id, m.Family.ward)
                                       .where(one_of(m.Family.id, ids))).all()) if ids else {}
    by_ward = {row["ward"]: {"ward": row["ward"], "identified": row["identified"],
                             "attached": row["attached"], **{k: 0 for k in reached}}
               for row in programme.wards}
    for key, dates in reached.items():
        for fid in dates:
            ward = wards_of[fid] or programme_figures.NO_WARD
            by_ward.setdefault(ward, {"ward": ward, "identified": 0, "attached": 0,
                                      **{k: 0 for k in reached}})[key] += 1
    wards = sorted(by_ward.values(),
                   key=lambda r: (r["ward"] == programme_figures.NO_WARD, r["ward"]))
    return WayIn(as_of, funnel, months, wards,
                 agreed_progress(sc))
