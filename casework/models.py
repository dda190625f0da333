"""SQLAlchemy 2 typed models: the tables and nothing else."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from .extensions import db
from .rules.costs import STORED_COUNTS
from .rules.ruleset import programme_label

REF = 32  # contract: references are 1-32 characters

# Each vocabulary is defined here once, with its labels; everything else imports it.
ROLE_LABELS = {
    "worker": "FIP worker",
    "team_lead": "Team lead",
    "manager": "Programme manager",
    "auditor": "Internal auditor",
    "admin": "Administrator",
    "partner": "Partner practitioner",
}
ROLES = tuple(ROLE_LABELS)
# The council's own staff; a partner practitioner works for a partner organisation and sees
# a family only while in its Team Around the Family (casework/access.py).
STAFF_ROLES = tuple(r for r in ROLES if r != "partner")
# The kinds of partner organisation (docs/partners.md).
ORGANISATION_KIND_LABELS = {
    "school": "School",
    "police": "Police",
    "youth_offending": "Youth offending service",
    "probation": "Probation",
    "jobcentre_plus": "Jobcentre Plus",
    "health": "Health",
    "housing": "Housing",
    "voluntary": "Voluntary sector",
    "other": "Other",
}
ORGANISATION_KINDS = tuple(ORGANISATION_KIND_LABELS)
# What an organisation's practitioners may see of a family they are in the Team Around the
# Family of: the levels and their sections are declared once, in casework/sharing.py.
SHARING_LEVEL_LABELS = {
    "education": "Education: the children's schooling and the plan's actions given to it",
    "justice": "Justice: the plan and the team meetings they attended",
    "work": "Work: the adults' work and benefits and the plan's actions given to it",
    "plan": "The plan: the household, the plan and the actions given to it",
}
SHARING_LEVELS = tuple(SHARING_LEVEL_LABELS)
ASB_KIND_LABELS = {
    "incident": "Incident",
    "asbo": "ASB order (ASBO)",
    "injunction": "Injunction",
    "contract": "Acceptable behaviour contract",
    "housing": "Housing-related order",
}
ASB_KINDS = tuple(ASB_KIND_LABELS)
WORK_KIND_LABELS = {
    "benefit": "Out-of-work benefit",
    "employment": "Employment",
    "work_programme": "Work Programme",
    "esf": "ESF programme",
}
WORK_KINDS = tuple(WORK_KIND_LABELS)
# A household's housing events, from the council's housing service or a landlord (the
# evidence for the Supporting Families "secure housing" outcome).
HOUSING_KIND_LABELS = {
    "tenancy_change": "Tenancy change",
    "rent_arrears": "Rent arrears",
    "notice_seeking_possession": "Notice seeking possession",
    "eviction": "Eviction",
    "temporary_accommodation": "Temporary accommodation",
}
HOUSING_KINDS = tuple(HOUSING_KIND_LABELS)
RESULT_LABELS = {  # the rules' results (casework.rules.RESULTS)
    "asb": "Anti-social behaviour",
    "offending": "Youth offending",
    "education": "Education",
    "crime_asb_education": "Crime, ASB and education",
    "progress_to_work": "Progress to work",
    "continuous_employment": "Continuous employment",
    "family_outcome": "Family outcome: every need met",
}
BENEFITS = ("JSA", "ESA", "IB", "IS", "CA", "SDA")
# Why a family's episode (and its case) closed: a closure chooses one of the first six; the
# last is written by casework itself.
EPISODE_END_REASONS = {
    "turned_around": "Outcomes met: turned around",
    "stepped_down": "Stepped down to universal services",
    "stepped_up": "Stepped up to children's social care",
    "moved_away": "Moved out of the area",
    "disengaged": "Family would not engage",
    "other": "Other",
    "new_programme": "Signed up to a later programme",
}
CLOSURE_OUTCOMES = {k: v for k, v in EPISODE_END_REASONS.items() if k != "new_programme"}
SEXES = ("f", "m", "x")
# The Standard Safeguarding Dataset's person codes (ssd_person, PERS003A and PERS004A): gender
# 00 not known, 01 male, 02 female, 09 prefers to self-describe; ethnicity as the DfE's main
# categories, with REFU refused and NOBT not yet obtained.
GENDERS = {"00": "Not known", "01": "Male", "02": "Female", "09": "Prefers to self-describe"}
ETHNICITIES = {
    "WBRI": "White British", "WIRI": "White Irish", "WOTH": "Any other White background",
    "WIRT": "Traveller of Irish heritage", "WROM": "Gypsy/Roma",
    "MWBC": "White and Black Caribbean", "MWBA": "White and Black African",
    "MWAS": "White and Asian", "MOTH": "Any other Mixed background", "AIND": "Indian",
    "APKN": "Pakistani", "ABAN": "Bangladeshi", "CNHE": "Chinese",
    "AOTH": "Any other Asian background", "BCRB": "Caribbean", "BAFR": "African",
    "BOTH": "Any other Black background", "OOTH": "Any other ethnic group", "REFU": "Refused",
    "NOBT": "Information not yet obtained",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Team(db.Model):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)

    users: Mapped[list[User]] = relationship(back_populates="team")
    # The wards the team covers: its team lead allocates the families there that nobody
    # holds (access.may_allocate_family).
    wards: Mapped[list[TeamWard]] = relationship(back_populates="team", order_by="TeamWard.ward",
                                                 cascade="all, delete-orphan")


class TeamWard(db.Model):
    """A ward one team covers (a ward is covered by one team at most)."""

    __tablename__ = "team_wards"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    ward: Mapped[str] = mapped_column(String(100), unique=True)

    team: Mapped[Team] = relationship(back_populates="wards")


class PartnerOrganisation(db.Model):
    """A partner agency (a school, the police, the youth offending service ...) whose
    practitioners may join a family's Team Around the Family, seeing what its sharing level
    allows (casework/sharing.py)."""

    __tablename__ = "partner_organisations"
    __table_args__ = (
        CheckConstraint("kind IN ('school', 'police', 'youth_offending', 'probation', "
                        "'jobcentre_plus', 'health', 'housing', 'voluntary', 'other')",
                        name="kind"),
        CheckConstraint("sharing_level IN ('education', 'justice', 'work', 'plan')",
                        name="sharing_level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    sharing_level: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="organisation",
                                             order_by="User.name")

    @property
    def kind_label(self) -> str:
        return ORGANISATION_KIND_LABELS[self.kind]

    @property
    def sharing_level_label(self) -> str:
        return SHARING_LEVEL_LABELS[self.sharing_level]


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "role IN ('worker', 'team_lead', 'manager', 'auditor', 'admin', 'partner')",
            name="role"
        ),
        # A partner practitioner belongs to a partner organisation; staff to none.
        CheckConstraint("(role = 'partner') = (organisation_id IS NOT NULL)",
                        name="partner_organisation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("partner_organisations.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # Raised to sign the user out everywhere (sign-out, password reset, deactivation): a
    # session carrying an older number is refused on its next request.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    team: Mapped[Team | None] = relationship(back_populates="users")
    organisation: Mapped[PartnerOrganisation | None] = relationship(back_populates="users")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]

    @property
    def described(self) -> str:
        """Who they are as history and the audit log name them: "Sam Patel (FIP worker)",
        "Dana Price (Fant Primary School)"; never their email address."""
        return f"{self.name} ({self.organisation.name if self.organisation else self.role_label})"


class Family(db.Model):
    __tablename__ = "families"
    # The families list pages through this index alone (family_ref order, ids out).
    __table_args__ = (
        Index("ix_families_ref_id", "family_ref", "id"),
        # The families waiting longest for a worker, in order, without sorting them all.
        Index("ix_families_identified_ref", "identified_on", "family_ref"),
        # SQLite: never reuse a removed family's id (a merge removes one; its undo puts it
        # back with the same id, and stored search results name families by id).
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    family_ref: Mapped[str] = mapped_column(String(REF), unique=True)
    family_name: Mapped[str] = mapped_column(String(200), index=True)
    address: Mapped[str | None] = mapped_column(String(300))
    postcode: Mapped[str | None] = mapped_column(String(10), index=True)
    ward: Mapped[str | None] = mapped_column(String(100), index=True)
    identified_on: Mapped[dt.date | None] = mapped_column(Date)
    attached_on: Mapped[dt.date | None] = mapped_column(Date)
    local_discretion: Mapped[bool] = mapped_column(Boolean, default=False)
    local_discretion_reason: Mapped[str | None] = mapped_column(Text)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)  # the case's closure date
    # Bumped by every change, so a save over someone else's newer change is refused.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    people: Mapped[list[Person]] = relationship(
        back_populates="family", order_by="Person.date_of_birth"
    )


class Person(db.Model):
    __tablename__ = "people"
    # SQLite: never reuse a removed person's id (a person merge removes one; its undo puts
    # them back with the same id, and stored search results name people by id).
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    person_ref: Mapped[str] = mapped_column(String(REF), unique=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100), index=True)
    # None for an unborn child, who has an expected date of birth instead (never both).
    date_of_birth: Mapped[dt.date | None] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(1))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # What the Standard Safeguarding Dataset asks of a person, where known (GENDERS,
    # ETHNICITIES; rules/identifiers.py checks the two numbers).
    gender: Mapped[str | None] = mapped_column(String(2))
    ethnicity: Mapped[str | None] = mapped_column(String(4))
    nhs_number: Mapped[str | None] = mapped_column(String(10))
    upn: Mapped[str | None] = mapped_column(String(13))
    expected_date_of_birth: Mapped[dt.date | None] = mapped_column(Date)
    date_of_death: Mapped[dt.date | None] = mapped_column(Date)

    family: Mapped[Family] = relationship(back_populates="people")

    @property
    def unborn(self) -> bool:
        return self.date_of_birth is None

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


class SchoolTerm(db.Model):
    __tablename__ = "school_terms"
    __table_args__ = (UniqueConstraint("person_id", "academic_year", "term"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    academic_year: Mapped[str] = mapped_column(String(7))
    term: Mapped[str] = mapped_column(String(6))
    sessions_possible: Mapped[int] = mapped_column(Integer)
    sessions_unauthorised: Mapped[int] = mapped_column(Integer)
    fixed_exclusions: Mapped[int] = mapped_column(Integer, default=0)
    permanent_exclusion: Mapped[bool] = mapped_column(Boolean, default=False)
    alternative_provision: Mapped[bool] = mapped_column(Boolean, default=False)
    on_roll: Mapped[bool] = mapped_column(Boolean, default=True)

    person: Mapped[Person] = relationship()


class AsbRecord(db.Model):
    __tablename__ = "asb_records"
    # A family's own records (no person) are found by (family_id, person_id IS NULL): with
    # an index on family_id alone, SQLite chose the person_id index and read every
    # family-level record for each lookup.
    __table_args__ = (Index("ix_asb_records_family_person", "family_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asb_ref: Mapped[str] = mapped_column(String(REF), unique=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    family_id: Mapped[int | None] = mapped_column(ForeignKey("families.id"))
    date: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(12))

    person: Mapped[Person | None] = relationship()


class Offence(db.Model):
    __tablename__ = "offences"

    id: Mapped[int] = mapped_column(primary_key=True)
    offence_ref: Mapped[str] = mapped_column(String(REF), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    offence_date: Mapped[dt.date] = mapped_column(Date)
    proven: Mapped[bool] = mapped_column(Boolean)

    person: Mapped[Person] = relationship()


class WorkSpell(db.Model):
    __tablename__ = "work_spells"

    id: Mapped[int] = mapped_column(primary_key=True)
    work_ref: Mapped[str] = mapped_column(String(REF), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    benefit: Mapped[str | None] = mapped_column(String(3))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)

    person: Mapped[Person] = relationship()


class DomesticAbuseIncident(db.Model):
    """A police-recorded domestic abuse incident involving a member or the family."""

    __tablename__ = "domestic_abuse_incidents"
    __table_args__ = (  # as for ASB records
        Index("ix_domestic_abuse_incidents_family_person", "family_id", "person_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_ref: Mapped[str] = mapped_column(String(REF), unique=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    family_id: Mapped[int | None] = mapped_column(ForeignKey("families.id"))
    date: Mapped[dt.date] = mapped_column(Date)

    person: Mapped[Person | None] = relationship()


class HousingEvent(db.Model):
    """A tenancy change, rent arrears, a notice seeking possession, an eviction or a stay in
    temporary accommodation, of a member or of the household."""

    __tablename__ = "housing_events"
    __table_args__ = (  # as for ASB records
        Index("ix_housing_events_family_person", "family_id", "person_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    housing_ref: Mapped[str] = mapped_column(String(REF), unique=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    family_id: Mapped[int | None] = mapped_column(ForeignKey("families.id"))
    date: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(32))
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    arrears_pounds: Mapped[int | None] = mapped_column(Integer)

    person: Mapped[Person | None] = relationship()


class RecordHistory(db.Model):
    """One change to one record: what it said before and after, who or what changed it."""

    __tablename__ = "record_history"
    __table_args__ = (Index("ix_record_history_record", "record_type", "record_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_type: Mapped[str] = mapped_column(String(40))
    record_ref: Mapped[str] = mapped_column(String(120))
    family_ref: Mapped[str | None] = mapped_column(String(REF), index=True)
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    source: Mapped[str] = mapped_column(String(300))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    changed_by: Mapped[User | None] = relationship()


class AuditEvent(db.Model):
    """Who did what to which record, from where. Written, never edited."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_object", "object_type", "object_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    user_email: Mapped[str | None] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_ref: Mapped[str | None] = mapped_column(String(120))
    detail: Mapped[str | None] = mapped_column(String(500))
    ip: Mapped[str | None] = mapped_column(String(45))

    user: Mapped[User | None] = relationship()


class Allocation(db.Model):
    """A family allocated to a FIP worker, from start_on until ended (transfer or closure)."""

    __tablename__ = "allocations"
    __table_args__ = (
        # At most one open allocation per family, whatever the application does.
        Index(
            "uq_allocations_one_open_per_family",
            "family_id",
            unique=True,
            sqlite_where=db.text("end_on IS NULL"),
            postgresql_where=db.text("end_on IS NULL"),
        ),
        Index("ix_allocations_worker_start", "worker_id", "start_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    start_on: Mapped[dt.date] = mapped_column(Date)
    allocated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    allocated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    episode_id: Mapped[int | None] = mapped_column(ForeignKey("episodes.id"), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    override_reason: Mapped[str | None] = mapped_column(Text)
    end_on: Mapped[dt.date | None] = mapped_column(Date)
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    end_kind: Mapped[str | None] = mapped_column(String(10))  # transfer or closure
    end_reason: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(40))

    family: Mapped[Family] = relationship()
    worker: Mapped[User] = relationship(foreign_keys=[worker_id])
    allocated_by: Mapped[User | None] = relationship(foreign_keys=[allocated_by_id])
    ended_by: Mapped[User | None] = relationship(foreign_keys=[ended_by_id])


CLAIM_STATES = ("draft", "validated", "rejected", "submitted")
PHASE1_CLAIM_KINDS = ("turn_around", "progress_to_work")  # a later programme's: its ruleset's kind


class ClaimBatch(db.Model):
    __tablename__ = "claim_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    window: Mapped[str] = mapped_column(String(60))
    as_of: Mapped[dt.date] = mapped_column(Date)
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    submitted_by: Mapped[User | None] = relationship()
    claims: Mapped[list[Claim]] = relationship(back_populates="batch", order_by="Claim.id")


class Claim(db.Model):
    """A payment-by-results claim for one family and one result, with its frozen evidence."""

    __tablename__ = "claims"
    __table_args__ = (
        CheckConstraint(
            "state IN ('draft', 'validated', 'rejected', 'submitted')", name="state"
        ),
        CheckConstraint(
            "result IN ('continuous_employment', 'crime_asb_education', 'progress_to_work', "
            "'family_outcome')",
            name="result",
        ),
        # One turn-around claim and one progress-to-work claim per family, ever (bar rejected
        # ones): the database refuses a double claim even when two builds race.
        Index(
            "uq_claims_one_per_family_and_kind",
            "family_id",
            "claim_kind",
            unique=True,
            sqlite_where=db.text("state != 'rejected'"),
            postgresql_where=db.text("state != 'rejected'"),
        ),
        Index("ix_claims_state", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    result: Mapped[str] = mapped_column(String(30))
    claim_kind: Mapped[str] = mapped_column(String(20))  # turn_around or progress_to_work
    amount: Mapped[int] = mapped_column(Integer)
    programme_year: Mapped[int] = mapped_column(Integer)
    as_of: Mapped[dt.date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(10), default="draft")
    ruleset: Mapped[str] = mapped_column(String(40))
    # The family's episode in the ruleset's programme that the claim is for.
    episode_id: Mapped[int | None] = mapped_column(ForeignKey("episodes.id"), index=True)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reject_reason: Mapped[str | None] = mapped_column(Text)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("claim_batches.id"), index=True)

    family: Mapped[Family] = relationship()
    episode: Mapped[Episode | None] = relationship()
    batch: Mapped[ClaimBatch | None] = relationship(back_populates="claims")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


CONTACT_KINDS = {
    "home_visit": "Home visit",
    "phone": "Phone call",
    "office": "Office appointment",
    "multi_agency": "Multi-agency meeting",
    "text_email": "Text or email",
    "no_access": "No-access visit",
}


class Contact(db.Model):
    """A FIP worker's contact with a family: saved as a draft, then finished."""

    __tablename__ = "contacts"
    __table_args__ = (
        Index("ix_contacts_family_at", "family_id", "contact_at"),
        CheckConstraint("status IN ('draft', 'final')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    contact_at: Mapped[dt.datetime] = mapped_column(DateTime)
    kind: Mapped[str] = mapped_column(String(20))
    duration_minutes: Mapped[int] = mapped_column(Integer, default=0)
    present: Mapped[list[str]] = mapped_column(JSON, default=list)  # person_refs
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(5), default="draft")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    family: Mapped[Family] = relationship()
    author: Mapped[User] = relationship()
    actions: Mapped[list[FollowUp]] = relationship(
        back_populates="contact", order_by="FollowUp.due_on", cascade="all, delete-orphan"
    )


FOLLOW_UP_OUTCOMES = {"done": "Done", "dropped": "Dropped"}


class FollowUp(db.Model):
    """An action agreed at a contact, with its due date."""

    __tablename__ = "follow_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    action: Mapped[str] = mapped_column(Text)
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    done_on: Mapped[dt.date | None] = mapped_column(Date)  # the day it was done or dropped
    # Following a follow-up up: done, or dropped with a reason; or given to someone else.
    outcome: Mapped[str | None] = mapped_column(String(10))  # FOLLOW_UP_OUTCOMES
    reason: Mapped[str | None] = mapped_column(Text)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    contact: Mapped[Contact] = relationship(back_populates="actions")
    assigned_to: Mapped[User | None] = relationship(foreign_keys=[assigned_to_id])


class FamilyPlan(db.Model):
    """The family's plan: its lead professional; goals and referrals hang off the family."""

    __tablename__ = "family_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), unique=True)
    lead_professional: Mapped[str | None] = mapped_column(String(200))
    lead_agency: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


PLAN_PROBLEMS = {
    "crime_asb": "Crime and anti-social behaviour",
    "education": "Education",
    "work": "Work",
    "health": "Health",
    "domestic_abuse": "Domestic abuse",
    "substance_misuse": "Substance misuse",
    "other": "Other",
}
GOAL_STATUSES = {"open": "Open", "achieved": "Achieved", "dropped": "Dropped"}
REFERRAL_KINDS = {  # the need a referral answers
    "substance_misuse": "Substance misuse",
    "domestic_abuse": "Domestic abuse",
    "mental_health": "Mental health",
    "education": "School attendance and education",
    "offending": "Offending and anti-social behaviour",
    "work": "Work and benefits",
    "housing": "Housing",
    "health": "Physical health",
    "parenting": "Parenting and family relationships",
    "other": "Other",
}
REFERRAL_STATUSES = {
    "made": "Made",
    "accepted": "Accepted",
    "declined": "Declined",
    "completed": "Completed",
}


class PlanGoal(db.Model):
    __tablename__ = "plan_goals"

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    problem: Mapped[str] = mapped_column(String(20))
    goal: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="open")
    target_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Referral(db.Model):
    """A referral of the family (or one of its people) for a need (`kind`): noted on the
    plan to an agency by name, or sent to a partner organisation (and, if known, one of its
    practitioners), with the reason, what may be shared and a due date, which the receiving
    practitioner accepts or declines with a reason and whose outcome is recorded."""

    __tablename__ = "referrals"
    __table_args__ = (Index("ix_referrals_organisation_status", "organisation_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    person_ref: Mapped[str | None] = mapped_column(String(REF))
    kind: Mapped[str] = mapped_column(String(20))
    agency: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="made")
    referred_on: Mapped[dt.date] = mapped_column(Date)
    status_on: Mapped[dt.date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # Sent between agencies (docs/partners.md): to an organisation, and perhaps one practitioner.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("partner_organisations.id"))
    practitioner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    may_share: Mapped[str | None] = mapped_column(Text)  # what the sender agrees may be shared
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decline_reason: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(Text)
    # The family's episode it belongs to: the one open when it was made; made while none was
    # open, the next one the family signs up for (None until then). A family's lists show
    # its latest episode's referrals; the earlier ones are on the episode history.
    episode_id: Mapped[int | None] = mapped_column(ForeignKey("episodes.id"), index=True)

    family: Mapped[Family] = relationship()
    organisation: Mapped[PartnerOrganisation | None] = relationship()
    practitioner: Mapped[User | None] = relationship(foreign_keys=[practitioner_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class UnitCost(db.Model):
    """An administrator's figure for one unit cost, replacing the shipped default."""

    __tablename__ = "unit_costs"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    pence: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    updated_by: Mapped[User | None] = relationship()


# Training for initial contact organisations, and match funding -----------------------------


class TrainingCourse(db.Model):
    """A course for the people who make first contact with families; a completion of it
    lasts `valid_months` (casework.rules.training)."""

    __tablename__ = "training_courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    valid_months: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class TrainingCompletion(db.Model):
    """Someone who completed a course on a day: a user of casework, or a person named with
    their organisation (a partner contact)."""

    __tablename__ = "training_completions"
    __table_args__ = (
        CheckConstraint("user_id IS NOT NULL OR person_name IS NOT NULL", name="who"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("training_courses.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    person_name: Mapped[str | None] = mapped_column(String(200))
    organisation: Mapped[str | None] = mapped_column(String(200))
    completed_on: Mapped[dt.date] = mapped_column(Date)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    course: Mapped[TrainingCourse] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])


MATCH_SOURCE_KINDS = {
    "school": "School",
    "partner": "Partner agency",
    "grant": "Grant-giving body",
    "third_sector": "Third sector",
    "business": "Local business",
}


class MatchContribution(db.Model):
    """Money a school, partner, grant-giving body, the third sector or a business pledged to
    a programme for a financial year, and what of it has been received (pence)."""

    __tablename__ = "match_contributions"
    __table_args__ = (
        CheckConstraint("source_kind IN ('school', 'partner', 'grant', 'third_sector', "
                        "'business')", name="source_kind"),
        CheckConstraint("pledged_pence >= 0 AND received_pence >= 0", name="amounts"),
        Index("ix_match_contributions_programme_year", "programme", "financial_year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme: Mapped[str] = mapped_column(String(40))
    source_kind: Mapped[str] = mapped_column(String(20))
    source_name: Mapped[str] = mapped_column(String(200))
    financial_year: Mapped[int] = mapped_column(Integer)  # its first year: 2013 is 2013/14
    pledged_pence: Mapped[int] = mapped_column(BigInteger)
    pledged_on: Mapped[dt.date] = mapped_column(Date)
    received_pence: Mapped[int] = mapped_column(BigInteger, default=0)
    received_on: Mapped[dt.date | None] = mapped_column(Date)  # the latest money received
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


# The stored evaluation (docs/stored-evaluation.md) ---------------------------------------------------------
# Each family's identification, results, claimable amounts and cost-estimate counts for one
# date, written by casework.evaluation.store from the pure rules; every summary page counts
# these rows instead of evaluating families per request.

STORED_RESULTS = ("asb", "offending", "education", "crime_asb_education", "progress_to_work",
                  "continuous_employment")
STORED_CLAIMABLE = ("continuous_employment", "crime_asb_education", "progress_to_work")
COST_COUNTS = STORED_COUNTS  # the cost estimate's counts a stored evaluation keeps


class StoredEvaluation(db.Model):
    __tablename__ = "stored_evaluations"
    __table_args__ = (Index("ix_stored_evaluations_ruleset_eligible", "ruleset", "eligible"),)

    family_id: Mapped[int] = mapped_column(
        ForeignKey("families.id", ondelete="CASCADE"), primary_key=True)
    ruleset: Mapped[str] = mapped_column(String(40), primary_key=True, default="phase1",
                                         server_default="phase1")
    as_of: Mapped[dt.date] = mapped_column(Date)
    evaluated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    identification_date: Mapped[dt.date] = mapped_column(Date)
    screening: Mapped[bool] = mapped_column(Boolean)
    crime_asb: Mapped[bool] = mapped_column(Boolean)
    education: Mapped[bool] = mapped_column(Boolean)
    work: Mapped[bool] = mapped_column(Boolean)
    local_discretion: Mapped[bool] = mapped_column(Boolean)
    eligible: Mapped[bool] = mapped_column(Boolean)
    # Result statuses (docs/rules.md, "Results").
    result_asb: Mapped[str] = mapped_column(String(20))
    result_offending: Mapped[str] = mapped_column(String(20))
    result_education: Mapped[str] = mapped_column(String(20))
    result_crime_asb_education: Mapped[str] = mapped_column(String(20))
    result_progress_to_work: Mapped[str] = mapped_column(String(20))
    result_continuous_employment: Mapped[str] = mapped_column(String(20))
    # A later programme's family outcome (every need met: rules.outcomes); None in a row of
    # the 2012 rules, whose results above are "not_relevant" in a later programme's row.
    result_family_outcome: Mapped[str | None] = mapped_column(String(20))
    # Pounds a new claim dated as_of may be made for (0: not claimable).
    claimable_continuous_employment: Mapped[int] = mapped_column(Integer, default=0)
    claimable_crime_asb_education: Mapped[int] = mapped_column(Integer, default=0)
    claimable_progress_to_work: Mapped[int] = mapped_column(Integer, default=0)
    claimable_total: Mapped[int] = mapped_column(Integer, default=0)
    nearly_there: Mapped[str | None] = mapped_column(Text)
    # The cost estimate's event counts (casework.rules.costs): cost_status is None when
    # the family is not attached on as_of, else "estimated" or "too_early".
    cost_status: Mapped[str | None] = mapped_column(String(10))
    before_asb_incident: Mapped[int] = mapped_column(Integer, default=0)
    before_youth_offence: Mapped[int] = mapped_column(Integer, default=0)
    before_fixed_exclusion: Mapped[int] = mapped_column(Integer, default=0)
    before_benefit_days: Mapped[int] = mapped_column(Integer, default=0)
    before_domestic_abuse_incident: Mapped[int] = mapped_column(Integer, default=0)
    after_asb_incident: Mapped[int] = mapped_column(Integer, default=0)
    after_youth_offence: Mapped[int] = mapped_column(Integer, default=0)
    after_fixed_exclusion: Mapped[int] = mapped_column(Integer, default=0)
    after_benefit_days: Mapped[int] = mapped_column(Integer, default=0)
    after_domestic_abuse_incident: Mapped[int] = mapped_column(Integer, default=0)


class EvaluationRun(db.Model):
    """The date the stored evaluation holds for, per ruleset, and when it was last refreshed."""

    __tablename__ = "evaluation_runs"

    ruleset: Mapped[str] = mapped_column(String(40), primary_key=True)
    as_of: Mapped[dt.date] = mapped_column(Date)
    refreshed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    families: Mapped[int] = mapped_column(Integer, default=0)


class DataVersion(db.Model):
    """A number bumped by every transaction that changes what it names (casework.cache_version):
    `figures`, anything the programme's figures count; `t:TABLE`, one table; so a summary or
    list counted once is served until a table it read changes."""

    __tablename__ = "data_versions"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)


class SharedSummary(db.Model):
    """A summary (the dashboard's figures, the money page's) counted once by the job worker
    after the figures are stored, for every web process to read instead of counting it
    again (casework.cache_version.sharing): `value` is what the summary's count returned,
    pickled, valid while the versions it was counted at (`stamp`) are the data's now."""

    __tablename__ = "shared_summaries"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cache key
    stamp: Mapped[str] = mapped_column(String(400))
    value: Mapped[bytes] = mapped_column(LargeBinary)
    counted_at: Mapped[dt.datetime] = mapped_column(DateTime)


class StoredFigure(db.Model):
    """The programme's figures summed over groups of families, written after the refresh that
    stores the evaluation and by the job worker (casework.evaluation.store.store_figures), so
    a summary page sums a few hundred rows instead of counting every family. One row: the
    `value` of one `figure` for the families of one `scope` ("all": every family; "team:N":
    the families team N's lead sees) in one `ward` (NULL: no ward recorded), counting one
    `programme`'s sign-ups and claims, and for the activity figures one `month` (its first
    day). They are read only while `data_versions` says nothing they count has changed since
    they were written."""

    __tablename__ = "stored_figures"
    __table_args__ = (Index("ix_stored_figures_scope", "ruleset", "programme", "scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ruleset: Mapped[str] = mapped_column(String(40))
    programme: Mapped[str] = mapped_column(String(40))
    scope: Mapped[str] = mapped_column(String(40))
    ward: Mapped[str | None] = mapped_column(String(100))
    month: Mapped[dt.date | None] = mapped_column(Date)
    figure: Mapped[str] = mapped_column(String(80))
    value: Mapped[int] = mapped_column(BigInteger)


class StaleFamily(db.Model):
    """Families whose evidence changed since they were last evaluated (their stored
    evaluation is stale): written in the same transaction as the change by
    casework.evaluation.store.mark_stale, emptied by refresh_pending. Not a job queue (that
    is casework/queue.py); the table keeps its first name."""

    __tablename__ = "evaluation_queue"

    family_id: Mapped[int] = mapped_column(
        ForeignKey("families.id", ondelete="CASCADE"), primary_key=True)
    queued_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class FamilySearch(db.Model):
    """A family's search document (casework.search): indexed by FTS5 (trigram) on
    SQLite, by a pg_trgm GIN index on PostgreSQL; both made by the migration."""

    __tablename__ = "family_search"

    family_id: Mapped[int] = mapped_column(
        ForeignKey("families.id", ondelete="CASCADE"), primary_key=True)
    document: Mapped[str] = mapped_column(Text)

# The later programmes' evidence (rulesets phase2 and supporting_families) ------------------

CHILD_STATUSES = ("child_in_need", "child_protection_plan", "looked_after")
ASSESSMENT_OUTCOMES = ("positive", "negative")


class ChildStatus(db.Model):
    """A period of children's social care: child in need, protection plan, looked after."""

    __tablename__ = "child_statuses"

    id: Mapped[int] = mapped_column(primary_key=True)
    status_ref: Mapped[str] = mapped_column(String(REF), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    status: Mapped[str] = mapped_column(String(30))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)

    person: Mapped[Person] = relationship()


class Need(db.Model):
    """A need the family was identified with: a headline problem and the Outcome Plan's
    indicator that judges it."""

    __tablename__ = "needs"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_ref: Mapped[str] = mapped_column(String(REF), unique=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    problem: Mapped[str] = mapped_column(String(60))
    indicator: Mapped[str] = mapped_column(String(60))
    identified_on: Mapped[dt.date] = mapped_column(Date)

    person: Mapped[Person | None] = relationship()


class Assessment(db.Model):
    """A practitioner's assessment of a need: its outcome, author and note."""

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_ref: Mapped[str] = mapped_column(String(REF), unique=True)
    need_ref: Mapped[str] = mapped_column(String(REF), index=True)
    date: Mapped[dt.date] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(String(10))
    assessed_by: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)


class NeedDiscretion(db.Model):
    """Equivalent progress on a need (phase2's local discretion): who approved it and why."""

    __tablename__ = "need_discretions"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(ForeignKey("needs.id"), index=True)
    approved_on: Mapped[dt.date] = mapped_column(Date)
    approved_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    need: Mapped[Need] = relationship()
    approved_by: Mapped[User] = relationship()


class OutcomePlanVersion(db.Model):
    """One version of the council's Outcome Plan for a later programme, as loaded (from the
    admin page or `casework plans load`): the newest loaded for a ruleset is in force."""

    __tablename__ = "outcome_plan_versions"
    __table_args__ = (UniqueConstraint("ruleset", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ruleset: Mapped[str] = mapped_column(String(40), index=True)
    version: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    effective_from: Mapped[dt.date] = mapped_column(Date)
    content: Mapped[str] = mapped_column(Text)  # the file exactly as loaded
    sha256: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(255))
    loaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    loaded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    loaded_by: Mapped[User] = relationship()


# Matching partner records without references (casework/matching) -------------------------

class MatchModel(db.Model):
    """One version of the trained Splink model: its settings and parameters as Splink's JSON."""

    __tablename__ = "match_models"

    id: Mapped[int] = mapped_column(primary_key=True)  # the model version
    trained_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    trained_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    source: Mapped[str] = mapped_column(String(300))  # what it was trained on
    register_size: Mapped[int] = mapped_column(Integer)  # people in the register then
    model: Mapped[dict[str, Any]] = mapped_column(JSON)
    # "in use" (the newest in use is used), or "refused": trained, but worse than the version
    # in use on the rows already decided, so never used (docs/matching.md).
    status: Mapped[str] = mapped_column(String(10), default="in use", server_default="in use")
    # The check made before it went into use: this version and the one in use then, side by
    # side, on the rows already decided and on the file it was trained on.
    check: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    trained_by: Mapped[User | None] = relationship()


class MatchReview(db.Model):
    """A partner row waiting for a person to say who it is about, and that decision."""

    __tablename__ = "match_reviews"
    __table_args__ = (
        CheckConstraint("status IN ('waiting', 'accepted', 'rejected')", name="status"),
        # The same row of the same kind about the same described person waits once.
        Index("uq_match_reviews_one_waiting", "kind", "record_key", "identity_key",
              unique=True, sqlite_where=db.text("status = 'waiting'"),
              postgresql_where=db.text("status = 'waiting'")),
        Index("ix_match_reviews_identity", "identity_key", "status"),
        Index("ix_match_reviews_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    record_key: Mapped[str] = mapped_column(String(120))  # the row's key, person left out
    filename: Mapped[str] = mapped_column(String(300))
    line: Mapped[int] = mapped_column(Integer)
    row: Mapped[dict[str, Any]] = mapped_column(JSON)  # the CSV row as sent: column -> cell
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[dt.date] = mapped_column(Date)
    postcode: Mapped[str | None] = mapped_column(String(10))
    sex: Mapped[str | None] = mapped_column(String(1))
    # A digest of the normalised name, date of birth, postcode and sex: the same described
    # person in a later file is recognised, and not asked about twice.
    identity_key: Mapped[str] = mapped_column(String(64))
    # [{person_id, person_ref, match_probability, match_weight, waterfall: [...]}]
    candidates: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    model_id: Mapped[int] = mapped_column(ForeignKey("match_models.id"))
    status: Mapped[str] = mapped_column(String(10), default="waiting")
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))  # when accepted
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    model_version: Mapped[MatchModel] = relationship()
    person: Mapped[Person | None] = relationship()
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class MatchLink(db.Model):
    """An imported record that was linked to a person by matching: by which model version,
    how sure it was, and (for a reviewed row) who decided."""

    __tablename__ = "match_links"
    __table_args__ = (Index("ix_match_links_record", "kind", "record_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    record_key: Mapped[str] = mapped_column(String(120))  # as in record_history
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    match_probability: Mapped[float] = mapped_column(Float)
    model_id: Mapped[int] = mapped_column(ForeignKey("match_models.id"))
    review_id: Mapped[int | None] = mapped_column(ForeignKey("match_reviews.id"))
    linked_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


# Duplicate people and families inside casework, and their merging (casework/matching/merging.py,
# duplicates.py for people, families.py for families) -------------------------------------------

class _MergeRecord:
    """What a merge record holds, of a person or a family alike: who was kept (kept_id, in
    the table), the other as it was (to undo it), which rows were re-pointed, and undone_at
    once a person has undone it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    merged_ref: Mapped[str] = mapped_column(String(REF), index=True)
    # The merged record's columns as they were (ids included), and anything else the merge
    # set aside (a family's plan), to put them back on undo.
    merged: Mapped[dict[str, Any]] = mapped_column(JSON)
    # table.column (a person merge of before: table) -> ids of its rows re-pointed from the
    # merged record to the one kept
    moved: Mapped[dict[str, list[int]]] = mapped_column(JSON)
    merged_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    merged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    undone_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    @declared_attr
    def merged_by(cls) -> Mapped[User | None]:
        return relationship(foreign_keys=f"{cls.__name__}.merged_by_id")

    @declared_attr
    def undone_by(cls) -> Mapped[User | None]:
        return relationship(foreign_keys=f"{cls.__name__}.undone_by_id")


class _Alias:
    """A reference that no longer has a record of its own, merged into another (the id
    column and merge_id, in the table): a later file naming it imports to the one kept."""

    id: Mapped[int] = mapped_column(primary_key=True)
    alias_ref: Mapped[str] = mapped_column(String(REF), unique=True)


class _NotDuplicatePair:
    """Two records a programme manager said are not one (low_id < high_id, in the table): not
    shown as likely duplicates again."""

    id: Mapped[int] = mapped_column(primary_key=True)
    decided_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    @declared_attr.directive
    def __table_args__(cls) -> tuple:
        return (UniqueConstraint("low_id", "high_id"),)


class PersonMerge(_MergeRecord, db.Model):
    """One person merged into another."""

    __tablename__ = "person_merges"

    kept_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    kept: Mapped[Person] = relationship()


class PersonAlias(_Alias, db.Model):
    """A person_ref merged into this person."""

    __tablename__ = "person_aliases"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    merge_id: Mapped[int] = mapped_column(ForeignKey("person_merges.id"))


class NotDuplicate(_NotDuplicatePair, db.Model):
    """Two people who are not the same (twins, namesakes)."""

    __tablename__ = "not_duplicates"

    low_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    high_id: Mapped[int] = mapped_column(ForeignKey("people.id"))


class FamilyMerge(_MergeRecord, db.Model):
    """One family merged into another (the same household under two references)."""

    __tablename__ = "family_merges"

    kept_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    kept: Mapped[Family] = relationship()


class FamilyAlias(_Alias, db.Model):
    """A family_ref merged into this family (matched exactly)."""

    __tablename__ = "family_aliases"

    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    merge_id: Mapped[int] = mapped_column(ForeignKey("family_merges.id"))


class NotDuplicateFamily(_NotDuplicatePair, db.Model):
    """Two families that are different households."""

    __tablename__ = "not_duplicate_families"

    low_id: Mapped[int] = mapped_column(ForeignKey("families.id"))
    high_id: Mapped[int] = mapped_column(ForeignKey("families.id"))


# Jobs: long work run by the worker process off the web request (casework/jobs) ---------------

JOB_STATES = ("queued", "running", "done", "failed")


class Job(db.Model):
    """One piece of long work (a claims build, a PDF, an import): who asked for it, how far it
    has got, and its result to download or its error. The worker runs it; the row is the
    truth, the queue only says which row to run next."""

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint("state IN ('queued', 'running', 'done', 'failed')", name="state"),
        Index("ix_jobs_state", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(10), default="queued")
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # What the job is about, to find it from that thing's page: e.g. "claim_batch:12".
    subject: Mapped[str | None] = mapped_column(String(120), index=True)
    # An uploaded file the job works on, kept only until the job has finished.
    input: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    family_id: Mapped[int | None] = mapped_column(ForeignKey("families.id"), index=True)
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int | None] = mapped_column(Integer)
    progress_label: Mapped[str | None] = mapped_column(String(100))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    summary: Mapped[str | None] = mapped_column(String(500))
    result_name: Mapped[str | None] = mapped_column(String(200))
    result_mimetype: Mapped[str | None] = mapped_column(String(100))
    result: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    result_sha256: Mapped[str | None] = mapped_column(String(64))
    # When housekeeping deleted the result's bytes (JOB_RESULT_DAYS after the job finished):
    # a subject access PDF is not kept in the database for ever.
    result_removed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    error: Mapped[str | None] = mapped_column(Text)

    started_by: Mapped[User | None] = relationship()


class ClaimBatchPdf(db.Model):
    """A claim batch's PDF, laid out once after submission and kept: every download is these
    bytes, which the SHA-256 on the batch page identifies."""

    __tablename__ = "claim_batch_pdfs"

    batch_id: Mapped[int] = mapped_column(ForeignKey("claim_batches.id"), primary_key=True)
    pdf: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    made_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


# Selection meetings, first contact and sign-up (casework/selection) ---------------------------

SELECTION_DECISIONS = {
    "selected": "Selected",
    "not_now": "Not now",
    "not_suitable": "Not suitable",
}
CONTACT_METHODS = {
    "home_visit": "Home visit",
    "phone": "Phone call",
    "letter": "Letter",
    "text_email": "Text or email",
    "through_agency": "Through a partner agency",
}
CONTACT_OUTCOMES = {
    "no_answer": "No answer or no one in",
    "spoke": "Spoke to the family",
    "visit_agreed": "A visit was agreed",
    "refused_contact": "The family did not want contact",
    "wrong_details": "Wrong address or number",
}


class AgreedNumber(db.Model):
    """The number of families the council agreed to work with in one programme year."""

    __tablename__ = "agreed_numbers"

    programme_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    families: Mapped[int] = mapped_column(Integer)
    set_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class SelectionMeeting(db.Model):
    """A meeting with partners that discussed identified families and decided on each."""

    __tablename__ = "selection_meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    held_on: Mapped[dt.date] = mapped_column(Date, index=True)
    agencies: Mapped[list[str]] = mapped_column(JSON, default=list)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    recorded_by: Mapped[User] = relationship()
    decisions: Mapped[list[SelectionDecision]] = relationship(
        back_populates="meeting", order_by="SelectionDecision.id")


class SelectionDecision(db.Model):
    """What one meeting decided about one family; a selected family's lead person makes
    first contact (a FIP worker, or a named contact at a partner agency)."""

    __tablename__ = "selection_decisions"
    __table_args__ = (
        UniqueConstraint("meeting_id", "family_id"),
        CheckConstraint("decision IN ('selected', 'not_now', 'not_suitable')", name="decision"),
        CheckConstraint("decision != 'not_now' OR review_on IS NOT NULL", name="review_on"),
        Index("ix_selection_decisions_family", "family_id", "id"),
        Index("ix_selection_decisions_lead", "lead_worker_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("selection_meetings.id"))
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"))
    decision: Mapped[str] = mapped_column(String(12))
    review_on: Mapped[dt.date | None] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(Text)
    lead_worker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lead_contact: Mapped[str | None] = mapped_column(String(200))
    lead_agency: Mapped[str | None] = mapped_column(String(200))
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    meeting: Mapped[SelectionMeeting] = relationship(back_populates="decisions")
    family: Mapped[Family] = relationship()
    lead_worker: Mapped[User | None] = relationship(foreign_keys=[lead_worker_id])
    decided_by: Mapped[User] = relationship(foreign_keys=[decided_by_id])

    @property
    def lead_name(self) -> str:
        if self.lead_worker is not None:
            return self.lead_worker.name
        return f"{self.lead_contact} ({self.lead_agency})" if self.lead_contact else ""


class ContactAttempt(db.Model):
    """The lead person's attempt to reach a selected family before it signs up."""

    __tablename__ = "contact_attempts"
    __table_args__ = (Index("ix_contact_attempts_family_on", "family_id", "attempted_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"))
    attempted_on: Mapped[dt.date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str] = mapped_column(String(20))
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    recorded_by: Mapped[User] = relationship()


class SignUp(db.Model):
    """A selected family's answer: signed up (with the information-sharing agreement and
    consent, and who gave it) or declined (with the reason). One a selection: a family that
    comes back years later is selected and signed up again, for a new episode."""

    __tablename__ = "sign_ups"
    __table_args__ = (
        CheckConstraint("outcome IN ('signed_up', 'declined')", name="outcome"),
        CheckConstraint("outcome != 'signed_up' OR (sharing_agreed AND consent_given)",
                        name="consent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(10))
    decided_on: Mapped[dt.date] = mapped_column(Date)
    sharing_agreed: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_given: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_by: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    recorded_by: Mapped[User] = relationship()


class Episode(db.Model):
    """A family's time in one programme: signed up (attached) on a date, with consent, until
    closed with a reason. A family has at most one open episode; a family that comes back
    after closure starts a new one. Families.attached_on and closed_on repeat the family's
    latest episode's dates (written only by casework/episodes.py)."""

    __tablename__ = "episodes"
    __table_args__ = (
        Index("uq_episodes_one_open_per_family", "family_id", unique=True,
              sqlite_where=db.text("closed_on IS NULL"),
              postgresql_where=db.text("closed_on IS NULL")),
        Index("ix_episodes_family_signed_up", "family_id", "signed_up_on"),
        Index("ix_episodes_programme_signed_up", "programme", "signed_up_on"),
        CheckConstraint("programme IN ('phase1', 'phase2', 'supporting_families')",
                        name="programme"),
        CheckConstraint("closed_on IS NULL OR closed_on >= signed_up_on", name="dates"),
        CheckConstraint("closed_on IS NULL OR end_reason IS NOT NULL", name="end_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"))
    programme: Mapped[str] = mapped_column(String(30))
    # The council's Outcome Plan in force when the family signed up (later programmes).
    outcome_plan_id: Mapped[int | None] = mapped_column(ForeignKey("outcome_plan_versions.id"))
    signed_up_on: Mapped[dt.date] = mapped_column(Date)
    sign_up_id: Mapped[int | None] = mapped_column(ForeignKey("sign_ups.id"))
    consent_by: Mapped[str | None] = mapped_column(String(200))
    # The lead professional: the family's FIP worker once allocated, or the lead person
    # named for first contact until then.
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(String(20))
    end_note: Mapped[str | None] = mapped_column(Text)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    source: Mapped[str] = mapped_column(String(300))  # sign-up, import of FILE, migration ...

    family: Mapped[Family] = relationship()
    sign_up: Mapped[SignUp | None] = relationship()
    lead: Mapped[User | None] = relationship(foreign_keys=[lead_id])
    outcome_plan: Mapped[OutcomePlanVersion | None] = relationship()

    @property
    def programme_label(self) -> str:
        return programme_label(self.programme)

    @property
    def end_reason_label(self) -> str:
        return EPISODE_END_REASONS.get(self.end_reason or "", "")


# Partners at the table: the Team Around the Family ---------------------------------------


class SharingConsent(db.Model):
    """The family's consent to share its information with its Team Around the Family, for
    one episode: given on a date (by whom in the family), until withdrawn on a date. A
    partner practitioner sees the family only while it stands (casework/access.py); consent
    given again after a withdrawal is a new row."""

    __tablename__ = "sharing_consents"
    __table_args__ = (
        CheckConstraint("withdrawn_on IS NULL OR withdrawn_on >= given_on", name="dates"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("episodes.id"), index=True)
    given_on: Mapped[dt.date] = mapped_column(Date)
    given_by: Mapped[str] = mapped_column(String(200))
    # Where it came from: the sign-up's consent, or recorded on the team's page.
    source: Mapped[str] = mapped_column(String(100))
    withdrawn_on: Mapped[dt.date | None] = mapped_column(Date)
    withdrawn_note: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    episode: Mapped[Episode] = relationship()


class TafMember(db.Model):
    """A member of a family's Team Around the Family (staff or a partner practitioner), from
    a date until the date they left (inclusive)."""

    __tablename__ = "taf_members"
    __table_args__ = (
        Index("ix_taf_members_user_family", "user_id", "family_id"),
        CheckConstraint("to_on IS NULL OR to_on >= from_on", name="dates"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    role_note: Mapped[str | None] = mapped_column(String(200))  # "attendance officer"
    from_on: Mapped[dt.date] = mapped_column(Date)
    to_on: Mapped[dt.date | None] = mapped_column(Date)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    def current_on(self, day: dt.date) -> bool:
        return self.from_on <= day and (self.to_on is None or day <= self.to_on)


class LeadProfessional(db.Model):
    """The family's lead professional for a period (a FIP worker or a partner practitioner),
    from a date to a date (inclusive; open-ended until handed over), handed over with a
    note. The periods are the history: a hand-over ends one and starts the next."""

    __tablename__ = "lead_professionals"
    __table_args__ = (
        CheckConstraint("to_on IS NULL OR to_on >= from_on", name="dates"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    from_on: Mapped[dt.date] = mapped_column(Date)
    to_on: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)  # the hand-over note
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    set_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    def current_on(self, day: dt.date) -> bool:
        return self.from_on <= day and (self.to_on is None or day <= self.to_on)


class TafMeeting(db.Model):
    """A Team Around the Family meeting: who attended, what was decided, the actions."""

    __tablename__ = "taf_meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    held_on: Mapped[dt.date] = mapped_column(Date)
    decisions: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    attendances: Mapped[list[TafAttendance]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan")
    actions: Mapped[list[TafAction]] = relationship(back_populates="meeting",
                                                    order_by="TafAction.due_on")


class TafAttendance(db.Model):
    __tablename__ = "taf_attendances"
    __table_args__ = (UniqueConstraint("meeting_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("taf_meetings.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("taf_members.id"), index=True)

    meeting: Mapped[TafMeeting] = relationship(back_populates="attendances")
    member: Mapped[TafMember] = relationship()


class TafAction(db.Model):
    """An action agreed by the Team Around the Family, owned by one member, due on a date;
    done (with a note) by its owner or the family's staff."""

    __tablename__ = "taf_actions"
    __table_args__ = (Index("ix_taf_actions_owner_open", "owner_id", "done_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("taf_meetings.id"), index=True)
    action: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int] = mapped_column(ForeignKey("taf_members.id"))
    due_on: Mapped[dt.date] = mapped_column(Date)
    done_on: Mapped[dt.date | None] = mapped_column(Date)
    done_note: Mapped[str | None] = mapped_column(Text)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    meeting: Mapped[TafMeeting | None] = relationship(back_populates="actions")
    owner: Mapped[TafMember] = relationship()
    family: Mapped[Family] = relationship()


# Sign-in throttling (security) ------------------------------------------------------------


class FlashMessage(db.Model):
    """A message shown once on the user's next page ("Jones household signed up"), kept
    here rather than in the session cookie, which is signed but readable: the messages name
    families and people (casework/flashes.py)."""

    __tablename__ = "flash_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class SignInCounter(db.Model):
    """Sign-in attempts counted in the database, so that every app server shares them: the
    failures of one account (`account:EMAIL`) and the attempts from one address
    (`address:IP`) since `window_start`."""

    __tablename__ = "sign_in_counters"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[dt.datetime] = mapped_column(DateTime)


# Internal audit's samples of claims, drawn again from their seed (docs/rules.md) ----------------


class ClaimSample(db.Model):
    """N% of the claims a filter selected, drawn at random with a recorded seed, so the same
    draw can be made again: random.Random(seed).sample(sorted population ids, size)."""

    __tablename__ = "claim_samples"

    id: Mapped[int] = mapped_column(primary_key=True)
    percent: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(Integer)
    filters: Mapped[dict[str, Any]] = mapped_column(JSON)
    population: Mapped[int] = mapped_column(Integer)
    claim_ids: Mapped[list[int]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    created_by: Mapped[User | None] = relationship()


# Import history (the imports pages) -----------------------------------------------------------


class ImportRun(db.Model):
    """One file uploaded on the imports page: who, when, what it did, and every problem."""

    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    file_name: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(10))  # imported or refused
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list[str]] = mapped_column(JSON, default=list)  # FILE:LINE: COLUMN: message

    user: Mapped[User | None] = relationship()


# The read API's tokens (casework/api) ----------------------------------------------------------


class ApiToken(db.Model):
    """A bearer token for /api/v1/, made by an administrator for a named user (it acts with
    that user's role and scope, while the user may sign in) or a named partner system (with
    the role given it). Only the SHA-256 of the token is kept: it is shown once, when made."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        CheckConstraint("(user_id IS NULL) <> (system_name IS NULL)", name="user_or_system"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))  # the first characters, to tell tokens apart
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    system_name: Mapped[str | None] = mapped_column(String(200))
    system_role: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    @property
    def holder(self) -> str:
        return self.user.email if self.user is not None else f"system: {self.system_name}"
