"""Plain factory functions: create_family(...), create_person(...), create_user(...)."""

from __future__ import annotations

import datetime as dt
import itertools

from casework import models as m
from casework.auth.service import create_user as _create_user
from casework.extensions import db

from .conftest import PASSWORD

_seq = itertools.count(1)


def create_organisation(name: str = "Test School", kind: str = "school",
                        sharing_level: str | None = None) -> m.PartnerOrganisation:
    """The partner organisation called `name`, made (with its kind's sharing level unless
    one is given) if there is none."""
    from sqlalchemy import select

    from casework.sharing import default_level

    found = db.session.scalar(select(m.PartnerOrganisation).where(
        m.PartnerOrganisation.name == name))
    if found is None:
        found = m.PartnerOrganisation(name=name, kind=kind,
                                      sharing_level=sharing_level or default_level(kind))
        db.session.add(found)
        db.session.commit()
    return found


def create_user(role: str = "manager", email: str | None = None, team: str | None = None,
                name: str | None = None, organisation: m.PartnerOrganisation | None = None
                ) -> m.User:
    """A user who can sign in; a partner practitioner of `organisation` (Test School unless
    one is given)."""
    n = next(_seq)
    if role == "partner" and organisation is None:
        organisation = create_organisation()
    user = _create_user(email or f"{role}{n}@test.casework", name or f"{role.title()} {n}",
                        role, PASSWORD, team=team, organisation=organisation)
    db.session.commit()
    return user


def create_family(ref: str | None = None, **fields) -> m.Family:
    n = next(_seq)
    family = m.Family(family_ref=ref or f"F{n:05d}", family_name=fields.pop("family_name", f"Family {n}"),
                      **fields)
    db.session.add(family)
    db.session.flush()
    if family.attached_on is not None:  # attached: signed up, its episode as a file makes it
        from casework.episodes import follow_family_dates

        follow_family_dates([family.id], "test factory", None)
    db.session.commit()
    return family


def create_person(family: m.Family, ref: str | None = None, born: dt.date = dt.date(2000, 1, 1),
                  **fields) -> m.Person:
    n = next(_seq)
    person = m.Person(person_ref=ref or f"P{n:05d}", family_id=family.id,
                      given_name=fields.pop("given_name", "Sam"),
                      family_name=fields.pop("family_name", "Test"), date_of_birth=born, **fields)
    db.session.add(person)
    db.session.commit()
    return person


def cover_wards(team: str, *wards: str) -> None:
    """The team's lead allocates the families nobody holds in these wards."""
    from casework.admin.service import set_team_wards

    set_team_wards(team, list(wards))
    db.session.commit()
