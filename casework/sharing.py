"""What a partner practitioner may see of a family: the sharing levels, declared once.

A partner organisation has a sharing level (its kind's, unless an administrator chose
another); each level names the sections of a family's record its practitioners see while
they are in the family's Team Around the Family under the family's consent. The family's
lead professional sees the whole case file whatever their organisation. Only
casework/access.py reads this table (`access.partner_sections`); pages ask there.
Plain data: no Flask, no SQLAlchemy.
"""

from __future__ import annotations

# The sections of a family's record a page may show, each with what it holds.
SECTION_LABELS = {
    "household": "The household: names, dates of birth and ages",
    "education": "The children's school terms: attendance, exclusions (never an adult's)",
    "offending": "Offences and anti-social behaviour",
    "work": "The adults' work and benefit spells",
    "plan": "The family's plan: goals and every Team Around the Family action",
    "own_actions": "The Team Around the Family actions given to their organisation",
    "meetings_attended": "The Team Around the Family meetings they attended: decisions and actions",
    "case_file": "The whole case file: contacts, timeline, evaluation, episodes, allocations",
}
SECTIONS = tuple(SECTION_LABELS)

# The level each kind of organisation has unless an administrator chooses another.
KIND_LEVELS = {
    "school": "education",
    "police": "justice",
    "youth_offending": "justice",
    "probation": "justice",
    "jobcentre_plus": "work",
    "health": "plan",
    "housing": "plan",
    "voluntary": "plan",
    "other": "plan",
}

# The table: each sharing level's sections (docs/partners.md repeats it for readers).
LEVEL_SECTIONS: dict[str, frozenset[str]] = {
    # A school: the children's education and the plan's actions given to it; no offences.
    "education": frozenset({"household", "education", "own_actions"}),
    # Police, youth offending, probation: the plan and the meetings they attended; no school.
    "justice": frozenset({"household", "plan", "own_actions", "meetings_attended"}),
    # Jobcentre Plus: the adults' work and benefits and the actions given to it.
    "work": frozenset({"household", "work", "own_actions"}),
    # Health, housing, the voluntary sector, others: the plan and their actions.
    "plan": frozenset({"household", "plan", "own_actions"}),
}

# The family's lead professional sees everything.
LEAD_SECTIONS = frozenset(SECTIONS)

# What each level shows of each member of the household (docs/partners.md repeats it): of a
# child (under CHILD_UNDER on the day, or not yet born) and of an adult, which of their name,
# date of birth and age. Only what the organisation's work needs: a school the children it
# teaches and the adults' names (whom it contacts); the justice and work levels the adults
# they work with, the children by name and age; the plan level everyone by name and age.
# casework records no relationships, so an adult is any member aged 18 or more.
CHILD_UNDER = 18
HOUSEHOLD_FIELDS_ALL = frozenset({"name", "date_of_birth", "age"})
HOUSEHOLD_FIELDS: dict[str, dict[str, frozenset[str]]] = {
    "education": {"child": HOUSEHOLD_FIELDS_ALL, "adult": frozenset({"name"})},
    "justice": {"child": frozenset({"name", "age"}), "adult": HOUSEHOLD_FIELDS_ALL},
    "work": {"child": frozenset({"name", "age"}), "adult": HOUSEHOLD_FIELDS_ALL},
    "plan": {"child": frozenset({"name", "age"}), "adult": frozenset({"name", "age"})},
}


# Whose records each section of records shows a partner practitioner (a lead professional
# sees everyone's): "education" is the children's school terms, "work" the adults' work and
# benefit spells, "offending" anyone's. Each record is judged by its subject's age on its own
# dates, not today (casework/access.py, section_records): a child's record is one whose
# subject was under CHILD_UNDER (or not yet born) on its first day, so a school keeps a
# pupil's terms once the pupil is grown up and never sees a term that began after their
# 18th birthday; an adult's record one whose subject was CHILD_UNDER or over on its last day
# (a spell still running then), so Jobcentre Plus sees a spell begun at 17 that runs on past
# 18, and none that ended while they were a child.
SECTION_MEMBERS: dict[str, frozenset[str]] = {
    "education": frozenset({"child"}),
    "work": frozenset({"adult"}),
    "offending": frozenset({"child", "adult"}),
}


def default_level(kind: str) -> str:
    return KIND_LEVELS[kind]


def level_sections(level: str) -> frozenset[str]:
    return LEVEL_SECTIONS[level]


def household_fields(level: str | None, child: bool) -> frozenset[str]:
    """What a level (None: the lead professional's whole case file) shows of a child or an
    adult of the household."""
    if level is None:
        return HOUSEHOLD_FIELDS_ALL
    return HOUSEHOLD_FIELDS[level]["child" if child else "adult"]


def section_members(level: str | None, section: str) -> frozenset[str]:
    """Whose records of a section of records (SECTION_MEMBERS) a level shows: "child",
    "adult" or both (None, the lead professional's whole case file: both)."""
    if level is None:
        return frozenset({"child", "adult"})
    return SECTION_MEMBERS[section]
