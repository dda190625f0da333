"""Generated registers of people and partner files describing them with the errors real
partner data has (typos, nicknames, swapped day and month, moved house, twins and
namesakes), with the truth kept: for tests, the benchmark and the starting model."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import random
import string

from .normalise import NICKNAMES

GIVEN_F = (
    "Olivia Amelia Isla Ava Emily Sophia Grace Mia Poppy Ella Lily Evie Isabella Sophie Ivy "
    "Freya Harper Willow Charlotte Jessica Rosie Daisy Alice Florence Sienna Millie Phoebe "
    "Matilda Elsie Ruby Scarlett Evelyn Eva Imogen Esme Sofia Chloe Lucy Emma Holly Megan "
    "Lauren Hannah Bethany Abigail Rebecca Amy Leah Paige Jade Katie Shannon Courtney Chelsea "
    "Danielle Kayleigh Stacey Gemma Natalie Samantha Victoria Rachel Nicola Kelly Michelle "
    "Claire Lisa Sarah Joanne Emma Helen Louise Donna Tracey Julie Karen Susan Deborah Angela "
    "Elizabeth Margaret Catherine Patricia Jennifer Christine Jacqueline Caroline Zoe Kirsty "
    "Tia Demi Jasmine Keira Niamh Aimee Laura Amber Georgia Molly Summer Erin Maisie Layla "
    "Aaliyah Zara Maryam Aisha Fatima Amira Priya Anjali Chantelle Precious Blessing Joy"
).split()
GIVEN_M = (
    "Oliver George Noah Arthur Harry Leo Muhammad Jack Charlie Oscar Jacob Henry Thomas "
    "Freddie Alfie Theo William Theodore Archie Joshua Alexander James Isaac Edward Lucas "
    "Tommy Finley Max Logan Ethan Mason Harrison Joseph Samuel Daniel Benjamin Dylan Riley "
    "Jayden Callum Connor Kyle Liam Ryan Tyler Jordan Lewis Dean Lee Wayne Jamie Harvey "
    "Bradley Nathan Ashley Craig Darren Gary Paul Mark Stephen Andrew David Michael "
    "Christopher Matthew Richard Robert John Peter Anthony Kevin Simon Jason Neil Martin "
    "Philip Ian Stuart Scott Adam Luke Aaron Kieran Reece Declan Owen Aiden Elliot Louis "
    "Zachary Frederick Patrick Dominic Nicholas Jonathan Gregory Kenneth Raymond Ronald "
    "Mohammed Ahmed Omar Ali Hassan Yusuf Ibrahim Arjun Rohan Kwame Kofi Tomasz Jakub"
).split()
SURNAMES = (
    "Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson "
    "Thompson Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson "
    "Wood Turner Martin Cooper Hill Ward Morris Moore Clark Lee King Baker Harrison Morgan "
    "Allen James Scott Phillips Watson Davis Parker Price Bennett Young Griffiths Mitchell "
    "Kelly Cook Carter Richardson Bailey Collins Bell Shaw Murphy Miller Cox Richards Khan "
    "Marshall Anderson Simpson Ellis Adams Singh Begum Wilkinson Foster Chapman Powell Webb "
    "Rogers Gray Mason Ali Hunt Hussain Campbell Matthews Owen Palmer Holmes Mills Barnes "
    "Knight Lloyd Butler Russell Barker Fisher Stevens Jenkins Murray Dixon Harvey Graham "
    "Pearson Ahmed Fletcher Walsh Kaur Gibson Howard Andrews Stewart Elliott Reynolds "
    "Saunders Payne Fox Ford Pearce Day Brooks West Lawrence Cole Atkinson Bradley Spencer "
    "Gill Dawson Ball Burton O'Brien Watts Rose Booth Perry Ryan Grant Wells Armstrong "
    "Francis Rees Hayes Hart Hudson Newman Barrett Webster Hunter Gregory Carr Lowe Page "
    "Marsh Riley Dunn Woods Parsons Berry Stone Reid Holland Hawkins Harding Porter Robertson "
    "Newton Oliver Reed Kennedy Williamson Bird Gardner Shah Dean Lane Cooke Bates Henderson "
    "Parry Burgess Bishop Walton Burns Nicholson Shepherd Ross Cross Long Freeman Warren "
    "Nicholls Hamilton Byrne Sutton McDonald Yates Hodgson Robson Curtis Hopkins O'Connor "
    "Harper Coleman Watkins Moss McCarthy Chambers O'Neill Griffin Sharp Hardy Wheeler "
    "Potter Osborne Johnston Gordon Doyle Wallace George Jordan Hutchinson Rowe Burke May "
    "Pritchard Gilbert Willis Higgins Read Miles Stevenson Stephenson Hammond Arnold Buckley "
    "Walters Hewitt Barber Nelson Slater Austin Sullivan Whitehead Mann Frost Lambert "
    "Stephens Blake Akhtar Lynch Goodwin Barton Woodward Thomson Cunningham Quinn Barnett "
    "Baxter Bibi Clayton Nash Greenwood Jennings Holt Kemp Poole Gallagher Bond Stokes "
    "Tucker Davidson Fowler Heath Norman Middleton Lucas Banks Nowak Kowalski Okafor Mensah"
).split()
# A real register's family names have a long tail: most are shared by few families.
_STEMS = ("Ash Black Brad Brook Chad Clay Cran Dal Eld Fair Fen Gold Green Hart Hay Holl "
          "Kings Lang Lid Marl Mid New North Oak Pen Red Rad Ridge Shel Stan Stock Sud "
          "Thorn Wal War Wes Whit Wick Win Wood Ald Bram Bur Craw Dun Farn Hal Ling").split()
_ENDS = ("ley ton worth ford field well wood by ham more combe wick stead bury land dale "
         "hurst sey cott shaw ridge brook lock").split()
TAIL_SURNAMES = [stem + end for stem in _STEMS for end in _ENDS]
AREAS = ("ME", "CT", "TN", "DA", "BR", "SE", "RH", "BN")


def _cumulative(count: int) -> list[float]:
    """Zipf-like weights, cumulated: a few names are very common and most are rare, as in a
    real register."""
    return list(itertools.accumulate(1 / (rank + 2) ** 0.9 for rank in range(count)))


@dataclasses.dataclass
class RegisteredPerson:
    person_ref: str
    family_ref: str
    given_name: str
    family_name: str
    date_of_birth: dt.date
    sex: str
    postcode: str


@dataclasses.dataclass
class Register:
    people: list[RegisteredPerson]
    families: dict[str, str]  # family_ref -> postcode
    family_names: dict[str, str]


class _Names:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.f, self.m = _cumulative(len(GIVEN_F)), _cumulative(len(GIVEN_M))
        self.s = _cumulative(len(SURNAMES))

    def given(self, sex: str) -> str:
        names, weights = (GIVEN_F, self.f) if sex == "f" else (GIVEN_M, self.m)
        return self.rng.choices(names, cum_weights=weights)[0]

    def surname(self) -> str:
        if self.rng.random() < 0.5:
            return self.rng.choice(TAIL_SURNAMES)
        return self.rng.choices(SURNAMES, cum_weights=self.s)[0]


_UNIT = "ABDEFGHJLNPQRSTUWXYZ"


def _postcode(rng: random.Random) -> str:
    return (f"{rng.choice(AREAS)}{rng.randint(1, 20)} {rng.randint(0, 9)}"
            f"{rng.choice(_UNIT)}{rng.choice(_UNIT)}")


def _moved(rng: random.Random, postcode: str) -> str:
    """A new address: most families who move stay in the same district."""
    if rng.random() < 0.4:
        return _postcode(rng)
    district = postcode.split(" ")[0]
    return f"{district} {rng.randint(0, 9)}{rng.choice(_UNIT)}{rng.choice(_UNIT)}"


def _born(rng: random.Random, adult: bool, today: dt.date) -> dt.date:
    years = rng.uniform(18, 60) if adult else rng.uniform(0, 17.9)
    return today - dt.timedelta(days=int(years * 365.25))


def make_register(people: int, seed: int = 1, today: dt.date = dt.date(2026, 1, 1),
                  namesakes: float = 0.004) -> Register:
    """Families of one to six people sharing a family name and postcode; some twins, and a
    few namesakes (same name and date of birth as someone in another family)."""
    rng = random.Random(seed)
    names = _Names(rng)
    out: list[RegisteredPerson] = []
    families: dict[str, str] = {}
    family_names: dict[str, str] = {}
    number = 0
    while len(out) < people:
        number += 1
        family_ref = f"F{number:07d}"
        surname, postcode = names.surname(), _postcode(rng)
        families[family_ref], family_names[family_ref] = postcode, surname
        members = []
        for adult in range(rng.choice((1, 1, 2, 2, 2))):
            members.append((rng.choice("fm") if adult else "f", _born(rng, True, today)))
        for _ in range(rng.choice((0, 1, 2, 2, 3, 4))):
            members.append((rng.choice("fm"), _born(rng, False, today)))
        if rng.random() < 0.03 and len(members) > 1:  # twins: same birthday, other names
            members.append((rng.choice("fm"), members[-1][1]))
        used = set()
        for sex, born in members:
            given = names.given(sex)
            while given in used:
                given = names.given(sex)
            used.add(given)
            out.append(RegisteredPerson(f"P{len(out) + 1:07d}", family_ref, given, surname,
                                        born, sex, postcode))
    del out[people:]
    for i in rng.sample(range(len(out)), int(len(out) * namesakes)):
        other = out[rng.randrange(len(out))]
        if other.family_ref != out[i].family_ref:
            out[i].given_name, out[i].family_name = other.given_name, other.family_name
            out[i].date_of_birth, out[i].sex = other.date_of_birth, other.sex
    return Register(out, families, family_names)


@dataclasses.dataclass
class PartnerRow:
    source_ref: str
    given_name: str
    family_name: str
    date_of_birth: str
    postcode: str
    sex: str
    true_person_ref: str | None  # None: nobody in the register
    errors: tuple[str, ...]


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 3:
        return word + rng.choice(string.ascii_lowercase)
    i = rng.randrange(1, len(word))
    kind = rng.choice(("swap", "drop", "double", "change"))
    if kind == "swap" and i < len(word) - 1:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == "drop":
        return word[:i] + word[i + 1:]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    return word[:i] + rng.choice(string.ascii_lowercase) + word[i + 1:]


_VARIANTS: dict[str, list[str]] = {}
for _name, _group in NICKNAMES.items():
    _VARIANTS.setdefault(_group, []).append(_name)


def _nickname(rng: random.Random, given: str) -> str | None:
    group = NICKNAMES.get(given.lower())
    others = [n for n in _VARIANTS.get(group, []) if n != given.lower()]
    return rng.choice(others).capitalize() if others else None


def make_partner_file(register: Register, rows: int, seed: int = 2, known: float = 0.8,
                      prefix: str = "S") -> list[PartnerRow]:
    """Rows about people in the register (share `known`) and people who are not, each with
    the errors partner agencies make, at rates seen in council matching exercises."""
    rng = random.Random(seed)
    names = _Names(rng)
    chosen = rng.sample(register.people, min(len(register.people), int(rows * known)))
    out = []
    for n in range(rows):
        if n < len(chosen):
            p = chosen[n]
            given, family, born, sex, postcode = (p.given_name, p.family_name,
                                                  p.date_of_birth, p.sex, p.postcode)
            truth = p.person_ref
        else:  # someone the council has never recorded
            sex = rng.choice("fm")
            given, family = names.given(sex), names.surname()
            born, postcode = _born(rng, rng.random() < 0.5, dt.date(2026, 1, 1)), _postcode(rng)
            truth = None
        errors = []
        roll = rng.random
        if roll() < 0.08 and (nick := _nickname(rng, given)):
            given = nick
            errors.append("nickname")
        elif roll() < 0.05:
            given = _typo(rng, given)
            errors.append("given_name typo")
        if roll() < 0.05:
            family = _typo(rng, family)
            errors.append("family_name typo")
        if roll() < 0.03 and born.day <= 12 and born.day != born.month:
            born = dt.date(born.year, born.day, born.month)
            errors.append("day and month swapped")
        elif roll() < 0.02:
            born = born + dt.timedelta(days=rng.choice((-10, -1, 1, 10)))
            errors.append("date of birth typo")
        if roll() < 0.15:
            postcode = _moved(rng, postcode)
            errors.append("moved house")
        if roll() < 0.10:
            postcode = ""
            errors.append("no postcode")
        elif roll() < 0.3:
            postcode = postcode.replace(" ", "").lower()
        if roll() < 0.2:
            sex = ""
        if roll() < 0.1:
            given, family = given.upper(), family.upper()
        out.append(PartnerRow(f"{prefix}{n + 1:07d}", given, family, born.isoformat(),
                              postcode, sex, truth, tuple(errors)))
    rng.shuffle(out)
    return out


# The harder benchmark (bench/README.md) -------------------------------------------------------

# Each row about someone in the register carries one of these, so that precision, recall and
# the share sent to review can be told apart by what went wrong in the row.
HARD_CORRUPTIONS = (
    "none",
    "name typo and a wrong digit in the date of birth",
    "name typo, wrong digit in the date of birth and blank postcode",
    "blank postcode",
    "given and family names swapped",
    "family name given as the given name",
    "double-barrelled name cut short",
    "double-barrelled name given as one half",
    "transposed digits in the date of birth",
    "day off by one",
    "month off by one",
    "missing values (postcode, sex)",
    "nickname and moved house",
    "typo in both names",
)

# Corruptions the starting model is also trained on (not in the harder benchmark's file,
# whose figures stay comparable): one field replaced outright, as in FEBRL's public
# benchmark (another given name, family name or date of birth: a name the person is also
# known by, a step-parent's family name, a wrong record's date), and a postcode typed with
# one character wrong. Without them the model learnt that a true match never has a
# different name (-8.6 bits for a different family name) and could not link such a row
# however well the rest agreed.
REPLACED_CORRUPTIONS = (
    "given name replaced",
    "family name replaced",
    "date of birth replaced",
    "postcode typo",
)


def make_hard_register(people: int, seed: int = 21, today: dt.date = dt.date(2026, 1, 1)
                       ) -> Register:
    """A register that stresses blocking and precision: the common family names far more
    common (no long tail), families packed into few postcodes (blocks of flats: about
    eight families a postcode), a tenth of the family names double-barrelled, and the
    namesakes and twins of `make_register`."""
    rng = random.Random(seed)
    register = make_register(people, seed=seed, today=today, namesakes=0.006)
    pool = [_postcode(rng) for _ in range(max(1, len(register.families) // 8))]
    common = _cumulative(len(SURNAMES))
    new_names: dict[str, str] = {}
    for ref in register.families:
        register.families[ref] = rng.choice(pool)
        roll = rng.random()
        if roll < 0.1:
            first, second = rng.choices(SURNAMES, cum_weights=common, k=2)
            if first != second:
                new_names[ref] = f"{first}-{second}"
        elif roll < 0.7:
            new_names[ref] = rng.choices(SURNAMES, cum_weights=common)[0]
    for ref, name in new_names.items():
        register.family_names[ref] = name
    for person in register.people:
        person.family_name = register.family_names[person.family_ref]
        person.postcode = register.families[person.family_ref]
    return register


def _typos(rng: random.Random, word: str) -> str:
    """Typing errors as the public benchmarks make them: mostly one, sometimes two, and now
    and then a space typed inside the name."""
    roll = rng.random()
    if roll < 0.1 and len(word) > 3:
        i = rng.randrange(2, len(word) - 1)
        return word[:i] + " " + word[i:]
    word = _typo(rng, word)
    return _typo(rng, word) if roll > 0.75 else word


def _digit_changed(rng: random.Random, born: dt.date) -> dt.date:
    """The date with one digit of its ISO form written wrong (still a real date)."""
    text = born.isoformat()
    for _ in range(50):
        i = rng.choice((2, 3, 5, 6, 8, 9))
        changed = text[:i] + rng.choice([d for d in "0123456789" if d != text[i]]) + text[i + 1:]
        if found := _real_date(changed):
            return found
    return born + dt.timedelta(days=1)


def _digits_transposed(rng: random.Random, born: dt.date) -> dt.date:
    """Two neighbouring digits of the day, month or year written the wrong way round."""
    text = born.isoformat()
    for _ in range(50):
        i = rng.choice((2, 5, 8))
        if text[i] == text[i + 1]:
            continue
        changed = text[:i] + text[i + 1] + text[i] + text[i + 2:]
        if found := _real_date(changed):
            return found
    return _digit_changed(rng, born)


def _real_date(text: str) -> dt.date | None:
    """The date an ISO text written wrong now names, if it is a real one no later than the
    registers' day (2026-01-01)."""
    try:
        found = dt.date.fromisoformat(text)
    except ValueError:
        return None
    return found if found <= dt.date(2026, 1, 1) else None


def _month_off(rng: random.Random, born: dt.date) -> dt.date:
    for step in rng.sample((-1, 1), 2):
        month = born.month + step
        if 1 <= month <= 12:
            try:
                return born.replace(month=month)
            except ValueError:
                continue
    return born + dt.timedelta(days=31)


def _postcode_typo(rng: random.Random, postcode: str) -> str:
    """One character of the postcode typed wrong (a letter for a letter, a digit for a
    digit), or two neighbouring characters swapped."""
    chars = list(postcode)
    places = [i for i, c in enumerate(chars) if c != " "]
    i = rng.choice(places)
    if rng.random() < 0.3 and i + 1 in places and chars[i] != chars[i + 1]:
        chars[i], chars[i + 1] = chars[i + 1], chars[i]
    else:
        pool = string.digits if chars[i].isdigit() else string.ascii_uppercase
        chars[i] = rng.choice([c for c in pool if c != chars[i]])
    return "".join(chars)


def _cut_short(rng: random.Random, family: str) -> tuple[str, str]:
    """A double-barrelled name cut short (the second half truncated), or one half of it."""
    first, second = family.split("-", 1)
    if rng.random() < 0.5:
        return first + "-" + second[:rng.randint(1, max(1, len(second) - 2))], "cut"
    return rng.choice((first, second)), "half"


def make_hard_partner_file(register: Register, rows: int, seed: int = 22, known: float = 0.8,
                           prefix: str = "H", kinds: tuple[str, ...] = HARD_CORRUPTIONS
                           ) -> list[PartnerRow]:
    """Rows about people in the register (share `known`), each with one kind of corruption
    from `kinds` (HARD_CORRUPTIONS, and REPLACED_CORRUPTIONS for the starting model) in
    about equal numbers (the errors field names it), and rows about
    people who are not there. Matched on name, date of birth and postcode only: sex is
    always blank, as in the public benchmark the issue was found on."""
    rng = random.Random(seed)
    names = _Names(rng)
    chosen = rng.sample(register.people, min(len(register.people), int(rows * known)))
    barrelled = [p for p in register.people if "-" in p.family_name]
    out = []
    for n in range(rows):
        if n < len(chosen):
            kind = kinds[n % len(kinds)]
            p = chosen[n]
            if kind.startswith("double-barrelled") and barrelled:
                p = rng.choice(barrelled)
            given, family, born, postcode = (p.given_name, p.family_name, p.date_of_birth,
                                             p.postcode)
            truth = p.person_ref
        else:
            kind = "not in the register"
            sex = rng.choice("fm")
            given, family = names.given(sex), names.surname()
            born = _born(rng, rng.random() < 0.5, dt.date(2026, 1, 1))
            postcode = rng.choice(list(register.families.values()))
            truth = None
        if kind.startswith("name typo"):
            if rng.random() < 0.5:
                given = _typos(rng, given)
            else:
                family = _typos(rng, family)
            born = _digit_changed(rng, born)
            if "blank postcode" in kind:
                postcode = ""
        elif kind in ("blank postcode", "missing values (postcode, sex)"):
            postcode = ""
        elif kind == "given and family names swapped":
            given, family = family, given
        elif kind == "family name given as the given name":
            given = family
        elif kind.startswith("double-barrelled"):
            if "-" in family:
                family = _cut_short(rng, family)[0] if kind.endswith("short") else \
                    rng.choice(family.split("-"))
        elif kind == "transposed digits in the date of birth":
            born = _digits_transposed(rng, born)
        elif kind == "day off by one":
            born = born + dt.timedelta(days=rng.choice((-1, 1)))
        elif kind == "month off by one":
            born = _month_off(rng, born)
        elif kind == "nickname and moved house":
            given = _nickname(rng, given) or _typos(rng, given)
            postcode = _moved(rng, postcode)
        elif kind == "typo in both names":
            given, family = _typos(rng, given), _typos(rng, family)
        elif kind == "given name replaced":
            given = names.given(p.sex or rng.choice("fm"))
        elif kind == "family name replaced":
            family = names.surname()
        elif kind == "date of birth replaced":
            born = _born(rng, born.year < 2008, dt.date(2026, 1, 1))
        elif kind == "postcode typo":
            postcode = _postcode_typo(rng, postcode)
        if rng.random() < 0.3:
            postcode = postcode.replace(" ", "").lower()
        out.append(PartnerRow(f"{prefix}{n + 1:07d}", given, family, born.isoformat(),
                              postcode, "", truth, (kind,)))
    rng.shuffle(out)
    return out
