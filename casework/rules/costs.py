"""Estimated annual cost of a family's problems to agencies, before and after attachment.

Pure: evidence and unit costs in, figures out. The counts use the rules' own windows: the
baseline window [S - 6 months, S) before attachment on S, and the recent window
(D - 6 months, D] at D; each is scaled to a year (12 / 6 months). An estimate, not an
accounting figure: it prices recorded events only, at the unit costs an administrator sets.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from fractions import Fraction

from . import FamilyData, Ruleset
from .dates import age_on, months_after, months_before

ONE_DAY = dt.timedelta(days=1)


@dataclasses.dataclass(frozen=True)
class CostItem:
    """One thing an agency pays for, what is counted, and the shipped default figure."""

    key: str
    label: str
    counted: str  # what one unit is, for the page: "incident", "week"
    default_pence: int
    default_source: str


ILLUSTRATIVE = ("Illustrative default, not a locally agreed figure: agree this cost with the "
                "partner agency (for example from the New Economy unit cost database) and "
                "enter it here.")

COST_ITEMS: tuple[CostItem, ...] = (
    CostItem("asb_incident", "Anti-social behaviour incident recorded by the police",
             "incident", 67_300, ILLUSTRATIVE),
    CostItem("youth_offence", "Proven offence by a young person (under 18 on the day)",
             "offence", 300_000, ILLUSTRATIVE),
    CostItem("fixed_exclusion", "Fixed-term exclusion from school", "exclusion",
             60_000, ILLUSTRATIVE),
    CostItem("benefit_week", "Week of out-of-work benefit (JSA, ESA, IB, IS, CA or SDA)",
             "week", 7_170, "Jobseeker's Allowance personal allowance, aged 25 or over, "
             "2013/14 (DWP benefit rates): £71.70 a week."),
    CostItem("domestic_abuse_incident", "Domestic abuse incident recorded by the police",
             "incident", 200_000, ILLUSTRATIVE),
)
COST_KEYS = tuple(item.key for item in COST_ITEMS)


@dataclasses.dataclass(frozen=True)
class Window:
    """A run of days, first and last included."""

    first: dt.date
    last: dt.date

    def holds(self, day: dt.date) -> bool:
        return self.first <= day <= self.last

    def days_of(self, start: dt.date, end: dt.date | None) -> int:
        """How many of the window's days a spell [start, end] covers (end None: open)."""
        first = max(start, self.first)
        last = min(end or self.last, self.last)
        return max((last - first).days + 1, 0)


def baseline_window(attached_on: dt.date, rules: Ruleset) -> Window:
    return Window(months_before(attached_on, rules.baseline_months), attached_on - ONE_DAY)


def recent_window(as_of: dt.date, rules: Ruleset) -> Window:
    return Window(months_before(as_of, rules.recent_months) + ONE_DAY, as_of)


def term_end(start_year: int, term: str, rules: Ruleset) -> dt.date:
    return _term_end(start_year, term, rules.term_ends)


@functools.lru_cache(maxsize=4096)  # a few terms a year, read for every child's every term
def _term_end(start_year: int, term: str, ends: tuple) -> dt.date:
    for name, month, day, years_after in ends:
        if name == term:
            return dt.date(start_year + years_after, month, day)
    raise ValueError(f"unknown term {term!r}")


def counts(family: FamilyData, abuse_dates: Iterable[dt.date], window: Window,
           rules: Ruleset) -> dict[str, Fraction]:
    """The family's countable events in the window, one figure per cost item."""
    return stored_to_counts(whole_counts(family, abuse_dates, window, rules))


def whole_counts(family: FamilyData, abuse_dates: Iterable[dt.date], window: Window,
                 rules: Ruleset) -> tuple[int, ...]:
    """counts() as the stored evaluation keeps them, in STORED_COUNTS order: whole numbers,
    benefit in days."""
    born = {p.ref: p.date_of_birth for p in family.people}
    return (
        sum(1 for a in family.asb if a.kind == rules.asb_incident_kind and window.holds(a.date)),
        sum(1 for o in family.offences
            if o.proven and window.holds(o.date) and o.person_ref in born
            and age_on(born[o.person_ref], o.date) < rules.youth_age_below),
        sum(t.fixed_exclusions for t in family.terms
            if t.fixed_exclusions and window.holds(term_end(t.start_year, t.term, rules))),
        sum(window.days_of(w.start, w.end) for w in family.work
            if w.kind == "benefit" and w.benefit in rules.out_of_work_benefits),
        sum(1 for d in abuse_dates if window.holds(d)),
    )


def annual_cost(found: Mapping[str, Fraction], pence: Mapping[str, int], months: int) -> Fraction:
    """Pence a year: the window's events at their unit costs, scaled from `months` to 12."""
    return sum((found[key] * pence[key] for key in COST_KEYS), Fraction(0)) * 12 / months


# The stored evaluation keeps the counts as whole numbers: benefit in days, not weeks.
STORED_COUNTS = ("asb_incident", "youth_offence", "fixed_exclusion", "benefit_days",
                 "domestic_abuse_incident")


def stored_to_counts(values: Iterable[int]) -> dict[str, Fraction]:
    """The cost items' counts from the stored whole numbers (in STORED_COUNTS order)."""
    out = {}
    for key, value in zip(STORED_COUNTS, values, strict=True):
        if key == "benefit_days":
            out["benefit_week"] = Fraction(int(value), 7)
        else:
            out[key] = Fraction(int(value))
    return out


def cost_weights(pence: Mapping[str, int], months: int) -> tuple[dict[str, int], int]:
    """annual_cost as whole numbers, for a database to sum: ({stored count: weight},
    denominator), so that annual_cost(stored_to_counts(values), pence, months) ==
    Fraction(sum(weight[k] * value[k]), denominator) exactly. A benefit day is a seventh of
    a week, so every other item is weighted by 7."""
    weights = {key: 12 * (pence["benefit_week"] if key == "benefit_days" else 7 * pence[key])
               for key in STORED_COUNTS}
    return weights, 7 * months


def rounded(numerator: int, denominator: int) -> int:
    """round(Fraction(numerator, denominator)) without the Fraction: to the nearest whole
    number, a half to the even one (Python's rounding of a Fraction)."""
    whole, rest = divmod(numerator, denominator)
    if 2 * rest > denominator or (2 * rest == denominator and whole % 2):
        whole += 1
    return whole


@dataclasses.dataclass(frozen=True)
class CostEstimate:
    family_ref: str
    status: str  # "estimated", "too_early" (recent window still overlaps attachment)
    before: dict[str, Fraction]
    after: dict[str, Fraction]
    before_pence: Fraction
    after_pence: Fraction

    @property
    def reduction_pence(self) -> Fraction:
        return self.before_pence - self.after_pence


def _windowed(count, family: FamilyData, abuse_dates: list[dt.date], as_of: dt.date,
              rules: Ruleset):
    """(status, count(baseline window), count(recent window)) at as_of; None if the family
    is not attached on or before as_of."""
    start = family.attached_on
    if start is None or start > as_of:
        return None
    before = count(family, abuse_dates, baseline_window(start, rules), rules)
    after = count(family, abuse_dates, recent_window(as_of, rules), rules)
    status = ("too_early" if as_of < months_after(start, rules.results_after_months)
              else "estimated")
    return status, before, after


def estimate_counts(family: FamilyData, abuse_dates: list[dt.date], as_of: dt.date,
                    rules: Ruleset) -> tuple[str, dict[str, Fraction], dict[str, Fraction]] | None:
    """(status, events before, events since) at as_of; None if the family is not attached on
    or before as_of. The stored evaluation keeps these counts; pages price them."""
    return _windowed(counts, family, abuse_dates, as_of, rules)


def stored_counts(family: FamilyData, abuse_dates: list[dt.date], as_of: dt.date,
                  rules: Ruleset) -> tuple[str, tuple[int, ...], tuple[int, ...]] | None:
    """estimate_counts() in the stored evaluation's whole numbers (whole_counts): the same
    windows and status, without the fractions the pricing needs."""
    return _windowed(whole_counts, family, abuse_dates, as_of, rules)


def priced(family_ref: str, status: str, before: dict[str, Fraction],
           after: dict[str, Fraction], pence: Mapping[str, int], rules: Ruleset) -> CostEstimate:
    return CostEstimate(family_ref, status, before, after,
                        annual_cost(before, pence, rules.baseline_months),
                        annual_cost(after, pence, rules.recent_months))


def estimate(family: FamilyData, abuse_dates: list[dt.date], as_of: dt.date,
             pence: Mapping[str, int], rules: Ruleset) -> CostEstimate | None:
    """The family's estimate at as_of; None if it is not attached on or before as_of."""
    found = estimate_counts(family, abuse_dates, as_of, rules)
    return None if found is None else priced(family.ref, *found, pence, rules)


@dataclasses.dataclass
class CostTotals:
    families: int = 0
    before_pence: Fraction = Fraction(0)
    after_pence: Fraction = Fraction(0)

    @property
    def reduction_pence(self) -> Fraction:
        return self.before_pence - self.after_pence

    @property
    def reduction_share(self) -> Fraction | None:
        return self.reduction_pence / self.before_pence if self.before_pence else None

    def add(self, item: CostEstimate) -> None:
        self.families += 1
        self.before_pence += item.before_pence
        self.after_pence += item.after_pence
