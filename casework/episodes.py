"""Episodes: a family's time in a programme, from sign-up (attachment, with consent) to
closure with a reason. The one place an episode is opened, closed or followed from a
families file, so the family's attachment and closure dates (families.attached_on and
closed_on, which repeat its latest episode's) always say what its episodes say, each
change kept in history.

A family has at most one open episode (the database refuses a second); a family that
comes back after its episode closed signs up again, for a new episode. Each claim and
allocation belongs to one (claims to the episode of their ruleset's programme)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from flask import current_app
from sqlalchemy import func, select, update

from . import models as m
from .bulk import insert_columns
from .evaluation import store
from .extensions import db
from .history import change, write_changes, write_history
from .lookups import one_of_chunks
from .rules.dates import govdate
from .rules.ruleset import PROGRAMMES, RULESETS, programme_of


class EpisodeRefused(Exception):
    """A rule of the journey said no; the message says which and why."""


def programme_for_sign_up(on: dt.date) -> str:
    """The programme a family signing up on `on` joins: the council's choice
    (SIGN_UP_PROGRAMME) when that programme takes families on that date, else the
    programme whose attachment dates hold it."""
    chosen = current_app.config.get("SIGN_UP_PROGRAMME")
    if chosen in RULESETS and RULESETS[chosen].takes_attachment(on):
        return chosen
    return programme_of(on)


def open_episode_of(family_id: int) -> m.Episode | None:
    return db.session.scalar(select(m.Episode).where(
        m.Episode.family_id == family_id, m.Episode.closed_on.is_(None)))


def episodes_of(family_id: int) -> list[m.Episode]:
    """The family's episodes, the first first."""
    return list(db.session.scalars(select(m.Episode).where(m.Episode.family_id == family_id)
                                   .order_by(m.Episode.signed_up_on, m.Episode.id)))


def latest_episode_of(family_id: int) -> m.Episode | None:
    episodes = episodes_of(family_id)
    return episodes[-1] if episodes else None


def claim_episodes(family_ids: list[int], programme: str) -> dict[int, int]:
    """The episode each family's claim under `programme` is for: its latest episode in that
    programme, else its latest (whose programme then pays nothing under this one)."""
    E = m.Episode
    latest: dict[int, int] = {}
    mine: dict[int, int] = {}
    for where in one_of_chunks(E.family_id, sorted(set(family_ids))):
        for eid, fid, prog in db.session.execute(
                select(E.id, E.family_id, E.programme).where(where)
                .order_by(E.signed_up_on, E.id)):
            latest[fid] = eid
            if prog == programme:
                mine[fid] = eid
    return {**latest, **mine}


def not_signed_up():
    """WHERE: the family has no open episode (never signed up, or its episodes closed)."""
    return (m.Family.id.not_in(select(m.Episode.family_id).where(m.Episode.closed_on.is_(None))),)


def waiting_for_worker():
    """WHERE, on a query joined to m.Episode: the episode is open and the family has no
    FIP worker (no open allocation)."""
    return (m.Episode.closed_on.is_(None),
            m.Episode.family_id.not_in(select(m.Allocation.family_id)
                                       .where(m.Allocation.end_on.is_(None))))


def _plan_in_force(programme: str) -> int | None:
    if programme == PROGRAMMES[0]:
        return None  # the 2012-15 programme had no Outcome Plans
    V = m.OutcomePlanVersion
    return db.session.scalar(select(V.id).where(V.ruleset == programme)
                             .order_by(V.id.desc()).limit(1))


def sign_up(family: m.Family, on: dt.date, by: m.User | None, source: str, *,
            sign_up: m.SignUp | None = None, consent_by: str | None = None,
            lead_id: int | None = None) -> m.Episode:
    """Open the family's new episode, signed up on `on`, in the caller's transaction (which
    has locked the family). Refused while an episode is open, or dated before the last one
    closed."""
    current = open_episode_of(family.id)
    if current is not None:
        raise EpisodeRefused(
            f"{family.family_ref} is already signed up: its episode in "
            f"{current.programme_label} has been open since {govdate(current.signed_up_on)}")
    latest = latest_episode_of(family.id)
    if latest is not None and on < latest.closed_on:
        raise EpisodeRefused(
            f"{family.family_ref}'s last episode closed on {govdate(latest.closed_on)}: a new "
            "sign-up cannot be dated before that")
    programme = programme_for_sign_up(on)
    episode = m.Episode(
        family_id=family.id, programme=programme, outcome_plan_id=_plan_in_force(programme),
        signed_up_on=on, sign_up_id=sign_up.id if sign_up else None,
        consent_by=consent_by or (sign_up.consent_by if sign_up else None), lead_id=lead_id,
        opened_by_id=by.id if by else None, source=source[:300])
    db.session.add(episode)
    db.session.flush()
    adopt_referrals([family.id])
    _mirror(family, episode, by, source)
    return episode


def adopt_referrals(family_ids: list[int]) -> None:
    """The referrals made while a family had no open episode belong to the next one it signs
    up for: give them the family's open episode, if it has one now (sign-up, a families
    file's attached_on)."""
    R, E = m.Referral, m.Episode
    opened = (select(E.id).where(E.family_id == R.family_id, E.closed_on.is_(None))
              .correlate(R).scalar_subquery())
    for where in one_of_chunks(R.family_id, sorted(set(family_ids))):
        db.session.execute(update(R).where(where, R.episode_id.is_(None),
                                           opened.is_not(None)).values(episode_id=opened)
                           .execution_options(synchronize_session=False))


def close(family: m.Family, on: dt.date, by: m.User | None, reason: str,
          note: str | None = None) -> m.Episode:
    """Close the family's open episode on `on` with a reason (EPISODE_END_REASONS), in the
    caller's transaction (which has locked the family)."""
    episode = open_episode_of(family.id)
    if episode is None:
        raise EpisodeRefused(f"{family.family_ref} has no open episode to close")
    if on < episode.signed_up_on:
        raise EpisodeRefused(f"The case cannot close before the family signed up on "
                             f"{govdate(episode.signed_up_on)}")
    episode.closed_on, episode.end_reason = on, reason
    episode.end_note, episode.closed_by_id = note, by.id if by else None
    _mirror(family, episode, by, "closure")
    return episode


def set_lead(family_id: int, lead_id: int | None) -> None:
    """The open episode's lead professional is now this user (its FIP worker)."""
    episode = open_episode_of(family_id)
    if episode is not None:
        episode.lead_id = lead_id


def _first_contacts_led(user_id: int):
    """WHERE: selections whose first contact `user_id` leads, of families not signed up."""
    D, E = m.SelectionDecision, m.Episode
    return (D.lead_worker_id == user_id, D.decision == "selected",
            D.family_id.not_in(select(E.family_id).where(E.closed_on.is_(None))))


def leads_held(user_id: int) -> int:
    """How many open episodes and first contacts `user_id` leads."""
    E, D = m.Episode, m.SelectionDecision
    episodes = db.session.scalar(select(func.count()).where(
        E.lead_id == user_id, E.closed_on.is_(None))) or 0
    contacts = db.session.scalar(select(func.count()).select_from(D).where(
        *_first_contacts_led(user_id))) or 0
    return episodes + contacts


def hand_on_leads(from_id: int, to_id: int) -> int:
    """Hand the open episodes `from_id` leads, and the first contacts they lead, to
    `to_id` (when a user is deactivated); returns how many changed."""
    E, D = m.Episode, m.SelectionDecision
    moved = db.session.execute(update(E).where(E.lead_id == from_id, E.closed_on.is_(None))
                               .values(lead_id=to_id)).rowcount
    moved += db.session.execute(update(D).where(*_first_contacts_led(from_id))
                                .values(lead_worker_id=to_id)
                                .execution_options(synchronize_session=False)).rowcount
    return moved


def _mirror(family: m.Family, episode: m.Episode, by: m.User | None, source: str) -> None:
    """Make the family's dates say what its latest episode says, keeping the change."""
    after = {"attached_on": episode.signed_up_on, "closed_on": episode.closed_on}
    before = {k: getattr(family, k) for k in after}
    if write_history("families", family.family_ref, before, after, by, source,
                     family.family_ref):
        family.attached_on, family.closed_on = after["attached_on"], after["closed_on"]
        family.version = (family.version or 0) + 1
    db.session.flush()
    store.mark_stale([family.id])


def follow_latest_episode(family: m.Family, by: m.User | None, source: str) -> bool:
    """After a family's episodes changed hands (a family merge, or its undoing): its
    attached_on and closed_on say again what its latest episode says (its open one, if it
    has one: an episode closed on the day it was signed up for may sort after it). False: it
    has none."""
    latest = open_episode_of(family.id) or latest_episode_of(family.id)
    if latest is not None:
        _mirror(family, latest, by, source)
    return latest is not None


def follow_family_dates(family_ids: list[int], source: str, by: m.User | None) -> None:
    """After a families file was imported (or a family's dates edited): each family's
    attached_on is the sign-up of its episode in the programme whose attachment dates hold
    it (made if the family has none there, closing an open episode of an earlier
    programme), and a closed_on closes (or re-dates the closure of) its latest episode.
    Set-based: a few queries whatever the number of families. Nothing is deleted."""
    if not family_ids:
        return
    F, E = m.Family, m.Episode
    families = {}
    for where in one_of_chunks(F.id, sorted(set(family_ids))):
        for row in db.session.execute(select(F.id, F.family_ref, F.attached_on, F.closed_on)
                                      .where(where, F.attached_on.is_not(None))):
            families[row.id] = row
    if not families:
        return
    episodes: dict[int, list] = defaultdict(list)
    for where in one_of_chunks(E.family_id, sorted(families)):
        for row in db.session.execute(
                select(E.id, E.family_id, E.programme, E.signed_up_on, E.closed_on)
                .where(where).order_by(E.signed_up_on, E.id)):
            episodes[row.family_id].append(dict(row._mapping))
    new, updates = [], []
    plans: dict[str, int | None] = {}  # programme -> its Outcome Plan in force, asked once
    for fid, family in families.items():
        mine = episodes[fid]
        programme = programme_of(family.attached_on)
        target = next((e for e in reversed(mine) if e["programme"] == programme), None)
        if target is None:
            for other in mine:
                if other["closed_on"] is None:  # an earlier programme's, left open
                    end = max(other["signed_up_on"], family.attached_on)
                    updates.append({"id": other["id"], "closed_on": end,
                                    "end_reason": "new_programme"})
                    other["closed_on"] = end
            target = {"id": None, "family_id": fid, "programme": programme,
                      "signed_up_on": family.attached_on, "closed_on": None}
            mine.append(target)
            mine.sort(key=lambda e: e["signed_up_on"])
        elif target["signed_up_on"] != family.attached_on:
            target["signed_up_on"] = family.attached_on
            if target["id"] is not None:
                updates.append({"id": target["id"], "signed_up_on": family.attached_on})
        latest = mine[-1]
        if family.closed_on is not None and latest["closed_on"] != family.closed_on:
            closed = max(family.closed_on, latest["signed_up_on"])
            latest["closed_on"] = closed
            if latest["id"] is not None:
                updates.append({"id": latest["id"], "closed_on": closed, "end_reason": "other",
                                "end_note": f"closed by {source}"[:300]})
        if target["id"] is None:
            new.append({"family_id": fid, "programme": programme,
                        "signed_up_on": target["signed_up_on"],
                        "closed_on": target["closed_on"],
                        "end_reason": "other" if target["closed_on"] else None,
                        "outcome_plan_id": plans[programme] if programme in plans
                        else plans.setdefault(programme, _plan_in_force(programme)),
                        "opened_by_id": by.id if by else None, "opened_at": m.utcnow(),
                        "source": source[:300]})
        episodes[fid] = mine
    for row in updates:
        db.session.execute(update(E).where(E.id == row.pop("id")).values(**row))
    if new:
        # Through the driver (COPY on PostgreSQL): a first load opens an episode a family.
        insert_columns(E.__table__, {name: [row[name] for row in new] for name in new[0]})
        adopt_referrals([row["family_id"] for row in new])
    # The family's dates are its latest episode's (an earlier programme's date in the file
    # leaves the later episode's in place), each change kept.
    history, mirrored = [], []
    for fid, family in families.items():
        latest = episodes[fid][-1]
        before = {"attached_on": family.attached_on, "closed_on": family.closed_on}
        after = {"attached_on": latest["signed_up_on"], "closed_on": latest["closed_on"]}
        row = change("families", family.family_ref, before, after, by, "episode",
                     family.family_ref)
        if row is not None:
            history.append(row)
            mirrored.append({"id": fid, **after})
    write_changes(history)
    for row in mirrored:
        db.session.execute(update(F).where(F.id == row.pop("id")).values(**row))
    store.mark_stale(families)
