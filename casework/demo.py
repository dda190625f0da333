"""Realistic synthetic families for demonstrations and benchmarks, loaded via the importer."""

from __future__ import annotations

import datetime as dt
import io
import random
from collections.abc import Iterator

from flask import current_app
from sqlalchemy import delete, func, or_, select, update

from . import clock
from . import models as m
from .access import allocated_to
from .evaluation import store
from .extensions import db
from .importer.kinds import KINDS
from .importer.service import import_csv
from .lookups import one_of_chunks
from .reports.exports import internal_csv_writer
from .rules import identifiers
from .rules.dates import TERM_ORDER
from .rules.ruleset import RULESETS, programme_of
from .rules.wording import plural
from .transaction import transaction

# For the demo users only, printed by `make run`.
DEMO_PASSWORD = "demo-casework-2026"  # nosec B105
DEMO_USERS = [
    ("worker@demo.casework.test", "Sam Patel", "worker", "North team"),
    ("worker2@demo.casework.test", "Jo Clarke", "worker", "North team"),
    ("worker3@demo.casework.test", "Alex Green", "worker", "South team"),
    ("teamlead@demo.casework.test", "Priya Shah", "team_lead", "North team"),
    ("manager@demo.casework.test", "Morgan Hughes", "manager", None),
    ("auditor@demo.casework.test", "Chris Walsh", "auditor", None),
    ("admin@demo.casework.test", "Ruth Okafor", "admin", None),
]
# Partner practitioners (role "partner"), each of a partner organisation (name, kind), in the
# Team Around the Family of a demo family that consents to share (docs/partners.md).
DEMO_PARTNERS = [
    ("school@demo.casework.test", "Dana Price", "Fant Primary School", "school"),
    ("police@demo.casework.test", "Owen Reed", "Kent Police, Maidstone", "police"),
]

WARDS = {
    "Shepway North": "ME15 7", "Shepway South": "ME15 8", "Park Wood": "ME15 9",
    "High Street": "ME14 1", "Fant": "ME16 8", "Allington": "ME16 0", "Bridge": "ME16 8",
    "East": "ME14 5", "Heath": "ME16 9", "North": "ME14 2",
}
STREETS = ["Church Road", "Queens Road", "Tonbridge Road", "Sutton Road", "Union Street",
           "Brewer Street", "Westmorland Road", "Longshaw Road", "Plains Avenue", "Oxford Road",
           "Wallis Avenue", "Bicknor Road", "Mangravet Avenue", "Whitmore Street", "Hope Street"]
SURNAMES = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
            "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green",
            "Hall", "Wood", "Jackson", "Clarke", "Hughes", "Edwards", "Turner", "Hill", "Cooper"]
GIVEN_F = ["Amy", "Chloe", "Emma", "Jade", "Kayleigh", "Lauren", "Megan", "Paige", "Shannon",
           "Stacey", "Tia", "Demi", "Leah", "Jess", "Holly", "Ellie", "Mia", "Ruby", "Lily"]
GIVEN_M = ["Jack", "Callum", "Connor", "Kyle", "Liam", "Ryan", "Tyler", "Jordan", "Lewis",
           "Dean", "Lee", "Wayne", "Jamie", "Harvey", "Mason", "Alfie", "Charlie", "Riley"]
# Harsh data (`harsh=True`, `casework demo --harsh`): every family in one postcode and only
# the first nine surnames, a third of the families Smiths, so that search, matching and the
# summaries meet data that no index on a name or a postcode can narrow much.
HARSH_POSTCODE = "ME15 6YQ"
HARSH_SURNAMES = SURNAMES[:9]
BENEFITS = ["JSA", "JSA", "ESA", "ESA", "IS", "IB", "CA"]


def _date_between(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange(max(1, (end - start).days)))


# The demo's people are mostly White British, as in Maidstone's census, with the others.
DEMO_ETHNICITIES = ("WBRI",) * 14 + ("WOTH", "WIRT", "WROM", "MWBC", "MWAS", "AIND", "APKN",
                                      "BAFR", "BCRB", "CNHE", "OOTH", "REFU", "NOBT")


class _Generator:
    def __init__(self, count: int, seed: int, harsh: bool = False):
        self.rng = random.Random(seed)
        # Harsh data draws from its own stream: everything else is as the kind data has it.
        self.harsh_rng = random.Random(seed + 3) if harsh else None
        self.abuse_rng = random.Random(seed + 1)  # its own stream: the other kinds stay as they were
        self.identity_rng = random.Random(seed + 2)  # the SSD's person fields, likewise
        self.housing_rng = random.Random(seed + 4)  # housing, likewise
        self.next_housing = 1
        self.count = count
        self.rows: dict[str, list[dict]] = {k: [] for k in KINDS}
        self.next_person = 1
        self.next_record = 1

    def ref(self, prefix: str) -> str:
        value = f"{prefix}{self.next_record:07d}"
        self.next_record += 1
        return value

    def person(self, family_ref: str, surname: str, born: dt.date, sex: str) -> str:
        ref = f"DP{self.next_person:07d}"
        self.next_person += 1
        names = GIVEN_F if sex == "f" else GIVEN_M
        self.rows["people"].append({
            "person_ref": ref, "family_ref": family_ref, "given_name": self.rng.choice(names),
            "family_name": surname, "date_of_birth": born.isoformat(), "sex": sex,
            **self.identity(born, sex),
        })
        return ref

    def identity(self, born: dt.date, sex: str) -> dict:
        """What the SSD asks of a person, as a council's records hold it: often, not always.
        NHS numbers are made valid (check digit) and unique to the demo's numbering."""
        rng = self.identity_rng
        out = {"gender": {"f": "02", "m": "01"}[sex] if rng.random() < 0.8 else "",
               "ethnicity": rng.choice(DEMO_ETHNICITIES) if rng.random() < 0.85 else "",
               "nhs_number": "", "upn": ""}
        if rng.random() < 0.7:
            while (check := identifiers.nhs_check_digit(
                    first := f"{rng.randrange(400_000_000, 500_000_000)}")) is None:
                pass
            out["nhs_number"] = f"{first}{check}"
        if born.year >= 1995 and rng.random() < 0.8:  # of school age during the programme
            rest = f"886{rng.randrange(1000, 10000)}{born.year % 100:02d}{rng.randrange(1000):03d}"
            out["upn"] = identifiers.upn_check_letter(rest) + rest
        return out

    def family(self, number: int) -> None:
        rng = self.rng
        ref = f"DF{number:06d}"
        surname = rng.choice(SURNAMES)
        ward = rng.choice(list(WARDS))
        roll = rng.random()
        identified = attached = None
        if roll < 0.85:
            identified = _date_between(rng, dt.date(2012, 4, 2), dt.date(2013, 10, 1))
            if roll < 0.75:
                attached = identified + dt.timedelta(days=rng.randrange(7, 42))
        discretion = rng.random() < 0.07
        # Drawn in the order the kind data always drew them: the same seed, the same families.
        address = f"{rng.randrange(1, 240)} {rng.choice(STREETS)}, Maidstone"
        postcode = (f"{WARDS[ward]}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
                    f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}")
        if self.harsh_rng is not None:
            postcode = HARSH_POSTCODE
            surname = (HARSH_SURNAMES[0] if self.harsh_rng.random() < 1 / 3
                       else self.harsh_rng.choice(HARSH_SURNAMES[1:]))
        self.rows["families"].append({
            "family_ref": ref, "family_name": f"{surname} household",
            "address": address, "postcode": postcode,
            "ward": ward,
            "identified_on": identified.isoformat() if identified else "",
            "attached_on": attached.isoformat() if attached else "",
            "local_discretion": "y" if discretion else "n",
            "local_discretion_reason": rng.choice(
                ["High cost to local services", "Domestic abuse in the household",
                 "Child on a child protection plan"]) if discretion else "",
        })
        anchor = attached or identified or dt.date(2013, 1, 15)
        improving = rng.random() < 0.6

        adults = [self.person(ref, surname, _date_between(rng, dt.date(1968, 1, 1), dt.date(1992, 1, 1)), "f")]
        if rng.random() < 0.55:
            adults.append(self.person(ref, surname, _date_between(rng, dt.date(1965, 1, 1), dt.date(1990, 1, 1)), "m"))
        children = []
        for _ in range(rng.choice([1, 2, 2, 3, 3, 4])):
            born = _date_between(rng, dt.date(1995, 9, 1), dt.date(2010, 8, 31))
            children.append((self.person(ref, surname, born, rng.choice("fm")), born))

        self.school(children, anchor, improving)
        self.behaviour(ref, [c for c, _ in children], anchor, improving)
        self.work(adults, anchor, improving)
        self.abuse(ref, adults, anchor, improving)
        self.housing(ref, adults, anchor, improving)

    def abuse(self, family_ref: str, adults: list[str], anchor: dt.date, improving: bool) -> None:
        rng = self.abuse_rng
        if rng.random() > 0.3:
            return
        before = rng.randrange(1, 5)
        after = rng.randrange(0, 2) if improving else rng.randrange(0, before + 2)
        for count, start, end in ((before, anchor - dt.timedelta(days=180), anchor - dt.timedelta(days=1)),
                                  (after, anchor + dt.timedelta(days=200), anchor + dt.timedelta(days=540))):
            for _ in range(count):
                who = rng.choice(adults + [None])
                self.rows["domestic-abuse"].append({
                    "incident_ref": self.ref("DV"), "person_ref": who or "",
                    "family_ref": "" if who else family_ref,
                    "date": _date_between(rng, start, end).isoformat(),
                })

    def housing(self, family_ref: str, adults: list[str], anchor: dt.date,
                improving: bool) -> None:
        """About 1 family in 4: rent arrears before attachment, often a notice seeking
        possession; for some not improving an eviction and a parent in temporary
        accommodation after it; for some improving a new tenancy."""
        rng = self.housing_rng
        if rng.random() > 0.25:
            return

        def event(kind: str, on: dt.date, who: str | None = None, until: dt.date | None = None,
                  owed: int | None = None) -> None:
            self.rows["housing"].append({
                "housing_ref": f"DH{self.next_housing:07d}", "person_ref": who or "",
                "family_ref": "" if who else family_ref, "date": on.isoformat(), "kind": kind,
                "end_date": until.isoformat() if until else "",
                "arrears_pounds": owed if owed is not None else ""})
            self.next_housing += 1

        arrears = _date_between(rng, anchor - dt.timedelta(days=300), anchor - dt.timedelta(days=60))
        event("rent_arrears", arrears, owed=rng.randrange(150, 2400, 10))
        if rng.random() < 0.6:
            notice = arrears + dt.timedelta(days=rng.randrange(30, 90))
            event("notice_seeking_possession", notice)
            if not improving and rng.random() < 0.5:
                evicted = notice + dt.timedelta(days=rng.randrange(60, 200))
                event("eviction", evicted)
                moved = evicted + dt.timedelta(days=rng.randrange(1, 14))
                event("temporary_accommodation", moved, rng.choice(adults),
                      moved + dt.timedelta(days=rng.randrange(60, 240)))
        if improving and rng.random() < 0.5:
            event("tenancy_change", anchor + dt.timedelta(days=rng.randrange(100, 400)))

    def school(self, children, anchor: dt.date, improving: bool) -> None:
        rng = self.rng
        first_year = anchor.year - 2
        for person, born in children:
            troubled = rng.random() < 0.6
            for year in range(first_year, anchor.year + 2):
                for term in TERM_ORDER:
                    age = year - born.year
                    if not 4 <= age <= 16 or rng.random() < 0.04:
                        continue  # too young or old, or a missing return from the school
                    end_year = year if term == "autumn" else year + 1
                    after = dt.date(end_year, 1, 1) > anchor
                    possible = rng.choice([110, 116, 120, 124, 130])
                    rate = 0.02 + (rng.random() * 0.25 if troubled else rng.random() * 0.05)
                    if after and improving:
                        rate = rng.random() * 0.06
                    excluded = troubled and not (after and improving) and rng.random() < 0.3
                    self.rows["school-terms"].append({
                        "person_ref": person, "academic_year": f"{year}/{(year + 1) % 100:02d}",
                        "term": term, "sessions_possible": possible,
                        "sessions_unauthorised": int(possible * rate),
                        "fixed_exclusions": rng.randrange(1, 3) if excluded else 0,
                        "permanent_exclusion": "n", "alternative_provision":
                            "y" if troubled and rng.random() < 0.03 else "n",
                        "on_roll": "y",
                    })

    def behaviour(self, family_ref: str, people: list[str], anchor: dt.date, improving: bool) -> None:
        rng = self.rng
        before = rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 8])
        after = rng.randrange(0, max(1, before // 3 + 1)) if improving else rng.randrange(0, before + 2)
        for count, start, end in ((before, anchor - dt.timedelta(days=180), anchor - dt.timedelta(days=1)),
                                  (after, anchor + dt.timedelta(days=200), anchor + dt.timedelta(days=540))):
            for _ in range(count):
                who = rng.choice(people + [None])
                self.rows["asb"].append({
                    "asb_ref": self.ref("DA"), "person_ref": who or "",
                    "family_ref": "" if who else family_ref,
                    "date": _date_between(rng, start, end).isoformat(), "kind": "incident",
                })
        if rng.random() < 0.35:
            self.rows["asb"].append({
                "asb_ref": self.ref("DA"), "person_ref": rng.choice(people), "family_ref": "",
                "date": _date_between(rng, anchor - dt.timedelta(days=300), anchor).isoformat(),
                "kind": rng.choice([k for k in m.ASB_KINDS if k != "incident"]),
            })
        youth = rng.choice(people)
        offences_before = rng.choice([0, 0, 0, 1, 2, 3])
        offences_after = 0 if improving else rng.randrange(0, offences_before + 1)
        for count, start, end in ((offences_before, anchor - dt.timedelta(days=300), anchor - dt.timedelta(days=1)),
                                  (offences_after, anchor + dt.timedelta(days=200), anchor + dt.timedelta(days=540))):
            for _ in range(count):
                self.rows["offences"].append({
                    "offence_ref": self.ref("DO"), "person_ref": youth,
                    "offence_date": _date_between(rng, start, end).isoformat(),
                    "proven": "y" if rng.random() < 0.8 else "n",
                })

    def work(self, adults: list[str], anchor: dt.date, improving: bool) -> None:
        rng = self.rng
        for person in adults:
            if rng.random() < 0.25:
                continue
            benefit = rng.choice(BENEFITS)
            start = _date_between(rng, dt.date(2008, 1, 1), anchor - dt.timedelta(days=30))
            end = ""
            if improving and rng.random() < 0.35:
                job = anchor + dt.timedelta(days=rng.randrange(30, 300))
                end = (job - dt.timedelta(days=rng.randrange(1, 10))).isoformat()
                self.rows["work"].append({"work_ref": self.ref("DW"), "person_ref": person,
                                          "kind": "employment", "benefit": "",
                                          "start_date": job.isoformat(), "end_date": ""})
            elif rng.random() < 0.15:
                self.rows["work"].append({"work_ref": self.ref("DW"), "person_ref": person,
                                          "kind": rng.choice(["work_programme", "esf"]), "benefit": "",
                                          "start_date": (anchor + dt.timedelta(days=rng.randrange(200, 420))).isoformat(),
                                          "end_date": ""})
            self.rows["work"].append({"work_ref": self.ref("DW"), "person_ref": person,
                                      "kind": "benefit", "benefit": benefit,
                                      "start_date": start.isoformat(), "end_date": end})

    def generate(self, today: dt.date) -> dict[str, list[dict]]:
        for number in range(1, self.count + 1):
            self.family(number)
        # The families are drawn around a programme that started in 2012. A council keeps its
        # earlier programmes' families: some stay in 2012-15's years, some move into 2015-20's,
        # and most move whole years forward so that the latest were identified a few months
        # before today, under the programme that takes families now.
        now = max(0, today.year - 2014 + (1 if today.month >= 4 else 0))
        shift = {row["family_ref"]: _cohort_years(int(row["family_ref"][2:]), now)
                 for row in self.rows["families"]}
        family_of = {row["person_ref"]: row["family_ref"] for row in self.rows["people"]}
        for rows in self.rows.values():
            for row in rows:
                years = shift[row.get("family_ref") or family_of[row["person_ref"]]]
                if years:
                    _shift_row(row, years)
        # Partner agencies only know the past.
        for kind, column in (("asb", "date"), ("offences", "offence_date"), ("work", "start_date"),
                             ("domestic-abuse", "date"), ("housing", "date")):
            self.rows[kind] = [r for r in self.rows[kind] if r[column] <= today.isoformat()]
        for row in self.rows["work"] + self.rows["housing"]:
            if row["end_date"] and row["end_date"] > today.isoformat():
                row["end_date"] = ""
        self.rows["school-terms"] = [r for r in self.rows["school-terms"] if _term_over(r, today)]
        return self.rows


def _cohort_years(number: int, now: int) -> int:
    """Years a demo family's dates move: 3 in 10 stay in the 2012-15 programme, 1 in 10
    moves into 2015-20's (2016-17), the rest come up to today."""
    return 0 if number % 10 < 3 else 4 if number % 10 == 3 else now


def _term_over(row: dict, today: dt.date) -> bool:
    start = int(row["academic_year"][:4])
    ends = {"autumn": dt.date(start, 12, 31), "spring": dt.date(start + 1, 3, 31),
            "summer": dt.date(start + 1, 7, 31)}
    return ends[row["term"]] <= today


DATE_COLUMNS = ("identified_on", "attached_on", "date_of_birth", "date", "offence_date",
                "start_date", "end_date")


def _shift_row(row: dict, years: int) -> None:
    for column in DATE_COLUMNS:
        value = row.get(column)
        if value:
            d = dt.date.fromisoformat(value)
            row[column] = (d.replace(day=28) if (d.month, d.day) == (2, 29) else d).replace(
                year=d.year + years).isoformat()
    if row.get("academic_year"):
        start = int(row["academic_year"][:4]) + years
        row["academic_year"] = f"{start}/{(start + 1) % 100:02d}"


def _csv(rows: list[dict], columns: tuple[str, ...]) -> bytes:
    out = io.StringIO()
    writer = internal_csv_writer(out)
    writer.writerow(columns)
    writer.writerows([row.get(c, "") for c in columns] for row in rows)
    return out.getvalue().encode()


def demo_csv(count: int, seed: int, today: dt.date | None = None,
             harsh: bool = False) -> Iterator[tuple[str, bytes]]:
    """Yield (kind, CSV bytes) in import order for `count` synthetic families (`harsh`: in
    one postcode with nine surnames, HARSH_POSTCODE)."""
    rows = _Generator(count, seed, harsh).generate(today or clock.today())
    for kind in KINDS:
        yield kind, _csv(rows[kind], KINDS[kind].column_names)


def ensure_demo_users() -> list[m.User]:
    from .auth.service import create_user, find_user

    users = []
    for email, name, role, team in DEMO_USERS:
        users.append(find_user(email) or create_user(email, name, role, DEMO_PASSWORD, team=team,
                                                     how="demo"))
    for email, name, organisation, kind in DEMO_PARTNERS:
        users.append(find_user(email) or create_user(
            email, name, "partner", DEMO_PASSWORD, how="demo",
            organisation=_demo_organisation(organisation, kind)))
    # The North team covers every demo ward: its lead allocates the families waiting there.
    north = next(u.team for u in users if u.team and u.team.name == "North team")
    with transaction():
        covered = set(db.session.scalars(select(m.TeamWard.ward)))
        db.session.add_all(m.TeamWard(team_id=north.id, ward=w) for w in WARDS if w not in covered)
    return users


def _demo_organisation(name: str, kind: str) -> m.PartnerOrganisation:
    from .sharing import default_level

    found = db.session.scalar(select(m.PartnerOrganisation).where(
        m.PartnerOrganisation.name == name))
    if found is None:
        found = m.PartnerOrganisation(name=name, kind=kind, sharing_level=default_level(kind))
        db.session.add(found)
        db.session.flush()
    return found


def _demo_partners() -> str:
    """The demo partners in the Team Around the Family of Sam Patel's first family with an
    open episode, which consents to share: a meeting, and an action for each partner (the
    police officer's overdue)."""
    from .auth.service import find_user
    from .episodes import open_episode_of
    from .partners import service as partners

    worker = find_user(DEMO_USERS[0][0])
    manager = find_user("manager@demo.casework.test")
    family = next((f for f in db.session.scalars(allocated_to(worker))
                   if open_episode_of(f.id) is not None), None)
    if family is None:
        return "partners: no family of the demo worker to seat them at"
    episode = open_episode_of(family.id)
    today = clock.today()
    start = max(episode.signed_up_on, today - dt.timedelta(days=60))
    adult = next((p for p in sorted(family.people, key=lambda p: p.date_of_birth or today)), None)
    with transaction():
        # The programme's records are years old, so its children are adults now: a younger
        # sibling at the school shows what the school sees of a child it teaches.
        born = today.replace(year=today.year - 8, day=1)
        import_csv("people", _csv([{
            "person_ref": f"{family.family_ref}-Y", "family_ref": family.family_ref,
            "given_name": "Poppy", "family_name": adult.family_name if adult else "Demo",
            "date_of_birth": born.isoformat(), "sex": "f"}], KINDS["people"].column_names),
            "demo-people-younger.csv")
        partners.record_consent(family, start, f"{adult.given_name} {adult.family_name}"
                                if adult else "The family", manager)
        members = [partners.add_member(family, find_user(email).id, start, part, manager)
                   for email, part in ((DEMO_PARTNERS[0][0], "Attendance officer"),
                                       (DEMO_PARTNERS[1][0], "Neighbourhood officer"),
                                       (worker.email, "FIP worker"))]
        partners.add_meeting(family, start, [x.id for x in members],
                             "The children to be at school every day; a visit each fortnight.", [
            partners.NewAction("Weekly attendance check with the family", members[0].id,
                               today + dt.timedelta(days=7)),
            partners.NewAction("Home visit with the FIP worker", members[1].id,
                               today - dt.timedelta(days=3)),
            partners.NewAction("Book the family's review meeting", members[2].id,
                               today + dt.timedelta(days=14))], manager)
    return (f"partners: {len(DEMO_PARTNERS)} partner practitioners in the Team Around the "
            f"Family of {family.family_ref}, which consents to share")


class DemoRefused(Exception):
    """The demo would put its accounts, whose password is published, where real people sign in."""


def demo_family(ref: str) -> bool:
    """The demo's families are DF and six digits (DF000001); a council's never should be."""
    return len(ref) == 8 and ref.startswith("DF") and ref[2:].isdigit()


def demo_refusal() -> str | None:
    """Why the demo must not load here, or None: never in production, and never beside
    families that are not the demo's."""
    if current_app.config.get("ENV_NAME") == "production":
        return ("The demo is not loaded in production (CASEWORK_ENV=production): its accounts, "
                "an administrator's among them, share a published password")
    ref = m.Family.family_ref
    candidates = select(ref).where(or_(func.length(ref) != 8, func.substr(ref, 1, 2) != "DF",
                                       ~func.substr(ref, 3, 1).in_(list("0123456789"))))
    other = db.session.scalar(candidates.limit(1))
    if other is not None:
        return (f"The database holds families that are not the demo's (such as {other}): the "
                "demo is loaded only into an empty database or one holding demo data alone")
    return None


def load_demo(count: int, seed: int, if_empty: bool = False,
              harsh: bool = False) -> list[str] | None:
    """Load the demo, or refuse (DemoRefused) in production and beside real families."""
    refusal = demo_refusal()
    if refusal:
        raise DemoRefused(refusal)
    ensure_demo_users()
    if if_empty and db.session.scalar(select(func.count(m.Family.id))):
        return None
    lines = []
    for kind, data in demo_csv(count, seed, harsh=harsh):
        lines.append(import_csv(kind, data, f"demo-{kind}.csv").line())
    store.refresh()  # every family, for today
    lines.append(_attach_only_eligible())
    lines.append(_demo_selection(seed))
    lines.append(_demo_caseloads(seed))
    lines.append(_demo_partners())
    lines.append(_later_programme(seed))
    store.refresh_pending()  # the families the later programme's records marked stale
    lines.append(_demo_claims())
    store.refresh_pending()
    return lines


def _attach_only_eligible() -> str:
    """A council attaches the families that meet the criteria: the generated attachment
    dates of the others are taken away (those with local discretion and two criteria are
    eligible, and stay attached)."""
    S = m.StoredEvaluation  # eligible under the council's ruleset (the 2012 criteria)
    not_eligible = select(S.family_id).where(S.eligible.is_(False),
                                             S.ruleset == current_app.config["RULESET"])
    ids = list(db.session.scalars(select(m.Family.id).where(
        m.Family.attached_on.is_not(None), m.Family.id.in_(not_eligible))))
    with transaction():
        _unattach(ids)
    store.refresh_pending()
    attached = db.session.scalar(select(func.count(m.Family.id)).where(
        m.Family.attached_on.is_not(None))) or 0
    return f"attached: {attached} eligible families ({len(ids)} not eligible left unattached)"


def _demo_selection(seed: int) -> str:
    """The families of the programme that takes families now come in through the journey:
    each month's selection meeting decides on them (a few put off or found not suitable),
    the lead person tries to contact each selected family, and it signs up with consent on
    the day the generator attached it (a few decline)."""
    from .selection import service as selection

    rng = random.Random(seed + 1)
    today = clock.today()
    workers = list(db.session.scalars(select(m.User).where(m.User.role == "worker")
                                      .order_by(m.User.id)))
    manager = db.session.scalar(select(m.User).where(m.User.role == "manager"))
    current = programme_of(today)
    first = RULESETS[current].first_attachment
    families = list(db.session.scalars(
        select(m.Family).where(m.Family.attached_on >= first, m.Family.attached_on <= today)
        .order_by(m.Family.attached_on, m.Family.id)))
    with transaction():  # the generator's attachment dates become the sign-ups below
        _unattach([f.id for f in families])
    meetings: dict[tuple[int, int], m.SelectionMeeting] = {}
    counts = {"signed_up": 0, "declined": 0, "not_now": 0, "not_suitable": 0, "awaiting": 0}
    for n, family in enumerate(families):
        on = _generated_attachment(family, rng)
        held = on - dt.timedelta(days=21)
        with transaction():
            meeting = meetings.get((held.year, held.month))
            if meeting is None:
                meeting = meetings[(held.year, held.month)] = selection.record_meeting(
                    manager, held, ["Police", "Schools", "Jobcentre Plus", "Youth offending service"])
            roll = rng.random()
            if roll < 0.04:
                selection.decide(meeting, family, manager, "not_suitable",
                                 reason="Demo: already working with children's social care")
                counts["not_suitable"] += 1
                continue
            if roll < 0.08:
                selection.decide(meeting, family, manager, "not_now",
                                 review_on=held + dt.timedelta(days=90))
                counts["not_now"] += 1
                continue
            lead = workers[n % len(workers)]
            selection.decide(meeting, family, manager, "selected", lead_worker=lead)
            selection.log_attempt(family, lead, on - dt.timedelta(days=10), "phone", "no_answer")
            if n >= len(families) - 2:  # the latest selected: still waiting for their answer
                counts["awaiting"] += 1
                continue
            selection.log_attempt(family, lead, on - dt.timedelta(days=3), "home_visit",
                                  "visit_agreed")
            if roll < 0.12:
                selection.decline(family, lead, on, "Demo: the family did not want support now")
                counts["declined"] += 1
                continue
            adult = min(family.people, key=lambda p: p.date_of_birth)
            selection.sign_up(family, lead, on, True, True, f"{adult.given_name} {adult.family_name}")
            counts["signed_up"] += 1
    store.refresh_pending()
    return (f"selection: {len(meetings)} meetings; {counts['signed_up']} signed up with consent, "
            f"{counts['declined']} declined, {counts['awaiting']} not answered yet, "
            f"{counts['not_now']} put off, {counts['not_suitable']} not suitable")


def _generated_attachment(family: m.Family, rng: random.Random) -> dt.date:
    """The attachment date the generator gave the family (kept in its import history)."""
    row = db.session.scalar(select(m.RecordHistory.after).where(
        m.RecordHistory.record_type == "families", m.RecordHistory.record_ref == family.family_ref,
        m.RecordHistory.source.like("import of %")).order_by(m.RecordHistory.id).limit(1))
    if row and row.get("attached_on"):
        return dt.date.fromisoformat(row["attached_on"])
    return family.identified_on + dt.timedelta(days=rng.randrange(7, 42))


def _demo_claims() -> str:
    """Claims under each programme: the 2012-15 families' results claimed at that
    programme's end (half validated by internal audit and submitted in a batch), and the
    later programme's family outcomes claimed today."""

    from .claims import service as claims

    manager = db.session.scalar(select(m.User).where(m.User.role == "manager"))
    auditor = db.session.scalar(select(m.User).where(m.User.role == "auditor"))
    end = RULESETS["phase1"].last_attachment
    made = claims.build_claims(end, manager)
    for claim in made[::2]:
        claims.validate(claim.id, auditor)
    batch = claims.submit_batch("2014/15 final", end, manager) if made[::2] else None
    later = _later_ruleset()
    recent = claims.build_claims(clock.today(), manager, ruleset=later)
    return (f"claims: {len(made)} under 2012-15 ({len(made[::2])} submitted"
            f"{f' in batch {batch.id}' if batch else ''}), {len(recent)} under {later}")


def _unattach(ids: list[int]) -> None:
    """Take the generated sign-up away from these demo families: their episodes too (the
    generator's families file attached them; a council would never have signed them up)."""
    for where in one_of_chunks(m.Episode.family_id, ids):
        db.session.execute(delete(m.Episode).where(where))
    for where in one_of_chunks(m.Family.id, ids):
        db.session.execute(update(m.Family).where(where).values(attached_on=None,
                                                                 closed_on=None))
    store.mark_stale(ids)


def _demo_caseloads(seed: int) -> str:
    """Allocate attached families to the demo workers in order of attachment, within the
    caseload limits, closing each case some months later; log contacts while it is open
    (every week or two for some families, every month or so for most). A family no worker
    has room for is not attached: it waits."""
    from .caseloads.service import allocate, close
    from .evaluation.service import current_ruleset
    from .rules.dates import months_after, months_before

    rules = current_ruleset()
    rng = random.Random(seed)
    today = clock.today()
    workers = list(db.session.scalars(select(m.User).where(m.User.role == "worker").order_by(m.User.id)))
    lead = db.session.scalar(select(m.User).where(m.User.role == "team_lead"))
    manager = db.session.scalar(select(m.User).where(m.User.role == "manager"))
    attached = list(db.session.scalars(
        select(m.Family).where(m.Family.attached_on.is_not(None)).order_by(m.Family.attached_on,
                                                                            m.Family.id)))
    open_cases: dict[int, list[tuple[dt.date, m.Family]]] = {w.id: [] for w in workers}
    started: dict[int, list[dt.date]] = {w.id: [] for w in workers}
    allocated = closed = 0
    waiting: list[int] = []
    signed = set(db.session.scalars(select(m.SignUp.family_id).where(m.SignUp.outcome == "signed_up")))
    latest = {f.id for f in [f for f in attached if f.id in signed][-2:]}
    for family in attached:
        on = family.attached_on
        if family.id in latest:  # the two signed up last are waiting for a worker
            waiting.append(family.id)
            continue
        for worker in workers:  # close the cases that ended before this attachment
            for ends, case in [c for c in open_cases[worker.id] if c[0] <= on]:
                close(case, ends, lead if worker.team_id == lead.team_id else manager,
                      "Demo: the family's plan was completed", "stepped_down")
                open_cases[worker.id].remove((ends, case))
                closed += 1
        since = months_before(on, rules.caseload_rolling_months)
        free = [w for w in workers if len(open_cases[w.id]) < rules.caseload_max_active - 2
                and sum(1 for d in started[w.id] if d > since) < rules.caseload_max_rolling]
        if not free:  # no worker has room: a family that signed up waits for a worker; one
            # the generator attached is taken back (a council would not have signed it up)
            if not db.session.scalar(select(m.SignUp.id).where(m.SignUp.family_id == family.id)):
                with transaction():
                    _unattach([family.id])
            waiting.append(family.id)
            continue
        worker = min(free, key=lambda w: (len(open_cases[w.id]), w.id))
        allocate(family, worker, on, lead if worker.team_id == lead.team_id else manager)
        allocated += 1
        started[worker.id].append(on)
        ends = months_after(on, rng.randrange(5, 13))
        open_cases[worker.id].append((ends, family))
        _contacts(rng, family, worker, on, min(ends, today))
    for worker in workers:
        for ends, case in open_cases[worker.id]:
            if ends <= today:
                close(case, ends, lead if worker.team_id == lead.team_id else manager,
                      "Demo: the family's plan was completed", "stepped_down")
                closed += 1
    # Two families of the 2012-15 programme come back: each signs up again (a new episode,
    # in the programme that takes families now) and is allocated in one step.
    returning = list(db.session.scalars(
        select(m.Family).join(m.Episode).where(m.Episode.closed_on.is_not(None),
                                               m.Episode.programme == "phase1")
        .order_by(m.Family.family_ref).limit(2)))
    back = months_before(today, 2)
    for family in returning:
        worker = min(workers, key=lambda w: len([c for c in open_cases[w.id] if c[0] > today]))
        adult = min(family.people, key=lambda p: p.date_of_birth)
        allocate(family, worker, back, manager, override_reason="Demo: the family came back",
                 reason="Returned to the programme", consent_by=f"{adult.given_name} {adult.family_name}")
        _contacts(rng, family, worker, back, today)
    with transaction():
        store.mark_stale(waiting)
    store.refresh_pending()
    return (f"caseloads: {allocated} families attached and allocated to {len(workers)} "
            f"workers, {closed} cases closed, {len(returning)} families back for a new episode, "
            f"{plural(len(waiting), 'signed-up family', 'signed-up families')} waiting")


def _contacts(rng: random.Random, family: m.Family, worker: m.User, start: dt.date,
              end: dt.date) -> None:
    gap = rng.choice([7, 14, 21, 30, 30, 45, 45])
    at = dt.datetime.combine(start, dt.time(10, 0)) + dt.timedelta(days=rng.randrange(2, 8))
    with transaction():
        while at.date() <= end and at <= clock.now():
            db.session.add(m.Contact(
                family_id=family.id, author_id=worker.id, contact_at=at + dt.timedelta(
                    hours=rng.randrange(0, 6)),
                kind=rng.choice(list(m.CONTACT_KINDS)),
                duration_minutes=rng.choice([20, 45, 60, 90]),
                present=[], notes="Demo contact: discussed the family plan.", status="final"))
            at += dt.timedelta(days=gap + rng.randrange(0, 4))


# The later programmes: needs, practitioners' assessments and child statuses ---------------

# Per frame, the shipped plan's indicators the demo judges by records it writes itself:
# assessments (each with its practitioner) and a child's protection plan.
LATER_ASSESSED = {
    "phase2": [("health", "health_improved", "Dr Anita Kaur (GP)"),
               ("worklessness", "work_ready", "Dean Morris (Jobcentre work coach)")],
    "supporting_families": [("health", "health_managed", "Dr Anita Kaur (GP)"),
                            ("housing", "housing_secure", "Lisa Ford (housing officer)"),
                            ("financial_stability", "finances_stable",
                             "Tom Reid (money adviser)"),
                            ("family_relationships", "relationships",
                             "Sam Patel (key worker)")],
}
LATER_STATUS = {"phase2": ("children_need_help", "child_plan"),
                "supporting_families": ("safe_from_exploitation", "child_plan")}
# Each scenario: its needs as (slot, pattern, days after attachment it was identified), and
# whether it wants a family attached long ago (its outcomes sustained by now). A slot is an
# index into LATER_ASSESSED or "status" (the child protection plan).
LATER_SCENARIOS = [
    ("every need met", True, [(0, "met", -20), (1, "met", -20), (2, "met", -10)]),
    ("still sustaining", False, [(0, "sustaining", -20), ("status", "ended_recently", -30),
                                 (1, "met", -10)]),
    ("child protection plan open", True, [("status", "open", -30), (0, "met", -20),
                                          (1, "met", -10)]),
    ("a need added mid-intervention", True, [(0, "met", -20), (1, "met", 120),
                                             (2, "met", -10)]),
    ("three needs, one not met", True, [(0, "met", -20), (1, "not_met", -20),
                                        ("status", "ended", -30), (2, "met", -10)]),
    ("equivalent progress", True, [(0, "met", -20), (1, "discretion", -20), (2, "met", -10)]),
    ("one need only", False, [(0, "met", -20)]),
]
# The needs of the programme's other signed-up families: identified before the sign-up,
# being worked on (the first assessment only, not yet positive).
LATER_STARTED = [(0, "started", -20), (1, "started", -15), (2, "started", -10)]
NOTES = {"positive": ["Engaging well and the plan's goals are met",
                      "Sustained improvement confirmed at review",
                      "Progress confirmed with the family and partners"],
         "negative": ["Not yet engaging with the support offered",
                      "Setback since the last review", "Missed the agreed appointments"]}


def _later_ruleset() -> str:
    """The later programme the demo writes needs and claims for: the council's
    OUTCOME_RULESET, else the programme that takes families today (Supporting Families, whose
    families the demo signs up today), else 2015-20's."""
    today = programme_of(clock.today())
    return current_app.config["OUTCOME_RULESET"] or (
        today if today in LATER_ASSESSED else "phase2")


def _later_programme(seed: int) -> str:
    """Needs under the council's later programme (_later_ruleset) for the families signed up
    to the programme that takes families now: for some, in a spread the family pages and
    claims show (every need met, still sustaining, a child protection plan still open, a need
    added mid-intervention, a need not met, equivalent progress approved by the programme
    manager (phase2), and a family with one need only, not eligible); for the others, three
    needs being worked on. Written through the importer like any file."""

    from .outcomes.service import record_discretion
    from .rules.dates import months_after, months_before

    ruleset = _later_ruleset()
    assessed, status_problem = LATER_ASSESSED[ruleset], LATER_STATUS[ruleset]
    rng = random.Random(seed + 2)
    today = clock.today()
    long_ago, lately = months_before(today, 11), months_before(today, 3)
    closed_by = months_before(today, 7)  # supporting_families sustains from the closure
    # The families of the programme that takes families now (the earlier programmes'
    # families have their own years' records, not today's).
    current = RULESETS[programme_of(today)].first_attachment
    attached = list(db.session.scalars(select(m.Family).where(m.Family.attached_on >= current)
                                       .order_by(m.Family.family_ref)))
    rng.shuffle(attached)
    rows: dict[str, list[dict]] = {"child-status": [], "needs": [], "assessments": []}
    discretions, chosen, n = [], [], 0
    # Each scenario takes the next family (in the shuffled order) signed up long ago (and
    # closed, where the programme sustains from the closure) or lately: two queues, taken
    # from the front (a family is in one at most).
    queues = {
        True: iter([f for f in attached if f.attached_on <= long_ago and (
            ruleset == "phase2" or (f.closed_on is not None and f.closed_on <= closed_by))]),
        False: iter([f for f in attached if lately >= f.attached_on > long_ago]),
    }
    for number in range(max(len(LATER_SCENARIOS), len(attached) // 3)):
        name, old, needs = LATER_SCENARIOS[number % len(LATER_SCENARIOS)]
        if name == "equivalent progress" and ruleset != "phase2":
            name, needs = "three needs, one not met", LATER_SCENARIOS[4][2]
        family = next(queues[bool(old)], None)
        if family is not None:
            chosen.append((family, needs))
    # Every other family signed up to the programme was identified with its needs too (a
    # family is eligible under a later programme by its needs: signed up without them it
    # would be neither eligible nor counted as signed up there): three, being worked on,
    # their first assessment not yet positive.
    used = {family.id for family, _ in chosen}
    chosen += [(f, LATER_STARTED) for f in attached if f.id not in used]
    for family, needs in chosen:
        born = sorted(family.people, key=lambda p: p.date_of_birth)
        adult, child = born[0], born[-1]
        start = family.attached_on
        for slot, pattern, offset in needs:
            if slot != "status" and slot >= len(assessed):
                continue  # phase2 has two assessed problems; the frame decides eligibility
            n += 1
            identified = start + dt.timedelta(days=offset)
            problem, indicator = status_problem if slot == "status" else assessed[slot][:2]
            need_ref = f"DN{n:06d}"
            rows["needs"].append({
                "need_ref": need_ref, "family_ref": family.family_ref,
                "person_ref": (child if slot == "status" else adult).person_ref,
                "problem": problem, "indicator": indicator,
                "identified_on": identified.isoformat()})
            if slot == "status":
                began = identified - dt.timedelta(days=rng.randrange(30, 120))
                ended = {"open": None, "ended": start + dt.timedelta(days=90),
                         "ended_recently": today - dt.timedelta(days=45)}[pattern]
                rows["child-status"].append({
                    "status_ref": f"DC{n:06d}", "person_ref": child.person_ref,
                    "status": "child_protection_plan", "start_date": began.isoformat(),
                    "end_date": ended.isoformat() if ended else ""})
                continue
            by = assessed[slot][2]
            outcomes = [("negative", identified + dt.timedelta(days=21))]
            if pattern == "met":
                outcomes.append(("positive", months_after(identified, 3)))
                outcomes.append(("positive", months_after(identified, 7)))
            elif pattern == "sustaining":
                outcomes.append(("positive", today - dt.timedelta(days=70)))
            elif pattern == "not_met":
                outcomes.append(("positive", months_after(identified, 3)))
                outcomes.append(("negative", months_after(identified, 6)))
            elif pattern == "started":  # the first assessment only: being worked on
                pass
            else:  # discretion: never positive by the indicator; the manager judges it
                outcomes.append(("negative", months_after(identified, 4)))
                discretions.append((need_ref, months_after(identified, 6)))
            for k, (outcome, on) in enumerate(o for o in outcomes if o[1] <= today):
                rows["assessments"].append({
                    "assessment_ref": f"DS{n:06d}{k}", "need_ref": need_ref,
                    "date": on.isoformat(), "outcome": outcome, "assessed_by": by,
                    "note": rng.choice(NOTES[outcome])})
    for kind in ("child-status", "needs", "assessments"):
        import_csv(kind, _csv(rows[kind], KINDS[kind].column_names), f"demo-{kind}.csv")
    manager = db.session.scalar(select(m.User).where(m.User.role == "manager")
                                .order_by(m.User.id))
    for need_ref, on in discretions:
        record_discretion(need_ref, manager, on, "Demo: completed a pre-employment course and "
                          "volunteers weekly; the work coach judges the progress equivalent",
                          ruleset)
    return (f"later programme ({ruleset}): {len(rows['needs'])} needs for {len(chosen)} "
            f"families, {len(rows['assessments'])} assessments, "
            f"{len(rows['child-status'])} child protection plans, "
            f"{len(discretions)} equivalent progress approvals")
