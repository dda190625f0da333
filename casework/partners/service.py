"""Partner organisations and their practitioners (the administrator's use cases); the Team
Around the Family, its meetings and actions, and the family's lead professional for a
period are added here too. Who sees what is casework/access.py's."""

from __future__ import annotations

from sqlalchemy import func, select

from .. import models as m
from ..audit import record_event
from ..auth.service import UserRefused, create_user
from ..extensions import db
from ..history import write_history
from ..sharing import default_level
from ..transaction import transactional


class PartnerRefused(Exception):
    pass


def organisations() -> list[tuple[m.PartnerOrganisation, int]]:
    """Every partner organisation with how many active practitioners it has, by name."""
    counts = dict(db.session.execute(
        select(m.User.organisation_id, func.count(m.User.id))
        .where(m.User.active.is_(True), m.User.organisation_id.is_not(None))
        .group_by(m.User.organisation_id)).all())
    rows = db.session.scalars(select(m.PartnerOrganisation).order_by(m.PartnerOrganisation.name))
    return [(o, counts.get(o.id, 0)) for o in rows]


def organisation_or_404(organisation_id: int) -> m.PartnerOrganisation:
    return db.get_or_404(m.PartnerOrganisation, organisation_id)


def _organisation_fields(organisation: m.PartnerOrganisation) -> dict:
    return {"name": organisation.name, "kind": organisation.kind,
            "sharing_level": organisation.sharing_level}


@transactional
def add_organisation(name: str, kind: str, sharing_level: str | None,
                     by: m.User | None) -> m.PartnerOrganisation:
    """Record a partner organisation; its sharing level is its kind's unless one is chosen.
    Every problem is refused at once, naming the form's field."""
    name = " ".join((name or "").split())
    problems = []
    if not name:
        problems.append(("name", "Enter the organisation's name"))
    elif len(name) > 200:
        problems.append(("name", "The organisation's name must be 200 characters or fewer"))
    elif db.session.scalar(select(m.PartnerOrganisation.id).where(
            func.lower(m.PartnerOrganisation.name) == name.lower())):
        problems.append(("name", f"There is already an organisation called {name}"))
    if kind not in m.ORGANISATION_KINDS:
        problems.append(("kind", "Select the kind of organisation"))
    if sharing_level and sharing_level not in m.SHARING_LEVELS:
        problems.append(("sharing_level", "Select a sharing level"))
    if problems:
        raise OrganisationRefused(problems)
    organisation = m.PartnerOrganisation(
        name=name, kind=kind, sharing_level=sharing_level or default_level(kind))
    db.session.add(organisation)
    db.session.flush()
    write_history("partner_organisation", str(organisation.id), {},
                  _organisation_fields(organisation), by, "added")
    record_event("create", "organisation", name, user=by,
                 detail=f"kind={kind} sharing={organisation.sharing_level}")
    return organisation


@transactional
def change_sharing_level(organisation: m.PartnerOrganisation, level: str,
                         by: m.User | None) -> None:
    if level not in m.SHARING_LEVELS:
        raise OrganisationRefused([("sharing_level", "Select a sharing level")])
    before = _organisation_fields(organisation)
    organisation.sharing_level = level
    if write_history("partner_organisation", str(organisation.id), before,
                     _organisation_fields(organisation), by):
        record_event("update", "organisation", organisation.name, user=by,
                     detail=f"sharing: {before['sharing_level']} -> {level}")


@transactional
def add_practitioner(organisation: m.PartnerOrganisation, email: str, name: str,
                     password: str, by: m.User | None, how: str = "") -> m.User:
    """A practitioner of the organisation who can sign in, with the partner role: they see
    no family until they are in its Team Around the Family."""
    try:
        return create_user(email, name, "partner", password, by=by, how=how,
                           organisation=organisation)
    except UserRefused as refused:
        raise PartnerRefused(str(refused)) from None


class OrganisationRefused(PartnerRefused):
    """Refused with every problem at once: (form field, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__("; ".join(message for _, message in problems))
        self.problems = problems
