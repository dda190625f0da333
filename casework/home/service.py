"""The task list: what a worker or team lead should do next, each item with where it is done."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from .. import clock
from .. import models as m
from ..access import allocated_to, visible_families
from ..casefile.service import drafts
from ..caseloads.service import without_contact
from ..evaluation.service import BATCH, evaluate_batch
from ..evaluation.store import current_run
from ..extensions import db
from ..partners.service import overdue_actions
from ..selection.service import first_contacts_led

DUE_SOON_DAYS = 7


@dataclasses.dataclass
class Tasks:
    overdue: list[m.FollowUp]
    due_soon: list[m.FollowUp]
    # (family, allocation, last contact or None, days since it or since allocation), most first
    no_contact: list[tuple[m.Family, m.Allocation, dt.datetime | None, int]]
    drafts: list[m.Contact]
    waiting_evidence: list[tuple[m.Family, str]]  # the result's reason
    # (selection, contact attempts, last attempted on) of the first contacts the user leads
    first_contacts: list[tuple[m.SelectionDecision, int, dt.date | None]]
    # The user's own Team Around the Family actions past their due date.
    taf_overdue: list[m.TafAction] = dataclasses.field(default_factory=list)

    def count(self) -> int:
        return (len(self.overdue) + len(self.due_soon) + len(self.no_contact) + len(self.drafts)
                + len(self.waiting_evidence) + len(self.first_contacts) + len(self.taf_overdue))


def _open_families(user: m.User) -> list[tuple[m.Family, m.Allocation]]:
    """The families the user works with now: a worker's own, a team lead's team's."""
    if user.role == "worker":
        query = allocated_to(user).add_columns(m.Allocation)
    else:
        query = visible_families(user).add_columns(m.Allocation).join(
            m.Allocation, m.Allocation.family_id == m.Family.id).where(
            m.Allocation.end_on.is_(None)).order_by(m.Family.family_ref)
    return list(db.session.execute(query.options(selectinload(m.Allocation.worker))).all())


def tasks(user: m.User, today: dt.date | None = None, now: dt.datetime | None = None) -> Tasks:
    today = today or clock.today()
    now = now or clock.now()
    families = _open_families(user)
    ids = [f.id for f, _ in families]
    # Follow-ups: a worker's on their families unless given to someone else, and any given to
    # them; a team lead's given to them, and every overdue one in the team.
    mine = or_(m.FollowUp.assigned_to_id == user.id,
               m.FollowUp.family_id.in_(ids) & m.FollowUp.assigned_to_id.is_(None)
               if user.role == "worker" else m.FollowUp.assigned_to_id == user.id)
    if user.role != "worker":
        mine = or_(mine, m.FollowUp.family_id.in_(ids) & (m.FollowUp.due_on < today))
    actions = list(db.session.scalars(
        select(m.FollowUp).join(m.Contact, m.Contact.id == m.FollowUp.contact_id)
        .where(mine, m.FollowUp.done_on.is_(None), m.Contact.status == "final",
               m.FollowUp.due_on.is_not(None),
               m.FollowUp.due_on <= today + dt.timedelta(days=DUE_SOON_DAYS))
        .options(selectinload(m.FollowUp.contact).selectinload(m.Contact.family))
        .order_by(m.FollowUp.due_on, m.FollowUp.id)))
    return Tasks(
        overdue=[a for a in actions if a.due_on < today],
        due_soon=[a for a in actions if a.due_on >= today],
        no_contact=without_contact(families, now),
        drafts=drafts(user),
        waiting_evidence=_waiting_evidence([f for f, _ in families if f.attached_on]),
        first_contacts=first_contacts_led(user),
        taf_overdue=overdue_actions(user, today),
    )


def _waiting_evidence(families: list[m.Family]) -> list[tuple[m.Family, str]]:
    """The families whose crime, ASB and education result waits for evidence, as the stored
    evaluation finds them (pages say the date it holds for); only those are evaluated again,
    at that date, for the reason to show."""
    run = current_run()
    if run is None or not families:
        return []
    S = m.StoredEvaluation
    ids = [f.id for f in families]
    flagged: set[int] = set()
    for start in range(0, len(ids), BATCH):
        flagged.update(db.session.scalars(select(S.family_id).where(
            S.ruleset == run.ruleset, S.family_id.in_(ids[start:start + BATCH]),
            S.result_crime_asb_education == "insufficient_data")))
    by_id = {f.id: f for f in families}
    chosen = [fid for fid in ids if fid in flagged]  # in the families' order
    waiting = []
    for start in range(0, len(chosen), BATCH):
        for item in evaluate_batch(chosen[start:start + BATCH], run.as_of):
            finding = item.evaluation.results["crime_asb_education"]
            waiting.append((by_id[item.family_id], finding.reason))
    return waiting
