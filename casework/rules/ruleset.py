"""The Ruleset: every threshold, window, list and amount the rules use, in one place."""

from __future__ import annotations

import dataclasses
import datetime as dt
from fractions import Fraction
from typing import Any

RESULTS = (
    "asb",
    "offending",
    "education",
    "crime_asb_education",
    "progress_to_work",
    "continuous_employment",
)
# Order of the contract's `claimable` list and of `claims build`.
CLAIMABLE_RESULTS = ("continuous_employment", "crime_asb_education", "progress_to_work")
TURN_AROUND_RESULTS = ("continuous_employment", "crime_asb_education")


@dataclasses.dataclass(frozen=True)
class Ruleset:
    name: str = "phase1"
    # Windows, in calendar months.
    baseline_months: int = 6
    recent_months: int = 6
    results_after_months: int = 6  # a reduction is judged only this long after attachment
    identification_months: int = 12
    # Ages, in whole years on the day.
    adult_age: int = 18
    youth_age_below: int = 18
    school_age_min: int = 5
    school_age_max: int = 15
    # School terms: (month, day, years after the academic year's first calendar year).
    term_ends: tuple[tuple[str, int, int, int], ...] = (
        ("autumn", 12, 31, 0),
        ("spring", 3, 31, 1),
        ("summer", 7, 31, 1),
    )
    terms_counted: int = 3
    fixed_exclusions_threshold: int = 3
    unauthorised_absence_threshold: Fraction = Fraction(15, 100)
    # Evidence kinds.
    asb_order_kinds: tuple[str, ...] = ("asbo", "injunction", "contract", "housing")
    asb_incident_kind: str = "incident"
    out_of_work_benefits: tuple[str, ...] = ("JSA", "ESA", "IB", "IS", "CA", "SDA")
    work_provider_kinds: tuple[str, ...] = ("work_programme", "esf")
    # Results.
    asb_reduction: Fraction = Fraction(60, 100)
    offending_reduction: Fraction = Fraction(33, 100)
    long_benefit: str = "JSA"
    employment_weeks_long_benefit: int = 26
    employment_weeks_other: int = 13
    # Money: programme years start on these dates; amounts in whole pounds per year.
    programme_year_starts: tuple[dt.date, ...] = (
        dt.date(2012, 4, 1),
        dt.date(2013, 4, 1),
        dt.date(2014, 4, 1),
    )
    result_amounts: tuple[tuple[str, tuple[int, ...]], ...] = (
        ("continuous_employment", (800, 1600, 2400)),
        ("crime_asb_education", (700, 1400, 2100)),
        ("progress_to_work", (100, 200, 300)),
    )
    attachment_fees: tuple[int, ...] = (3200, 2400, 1600)
    # The programme takes attachments from its first to its last attachment date (None: no
    # end yet). A family attached outside them has nothing claimable under the programme.
    first_attachment: dt.date = dt.date(2012, 4, 1)
    last_attachment: dt.date | None = dt.date(2015, 3, 31)
    funded_share: Fraction = Fraction(5, 6)
    # The government department the council claims from and that funds that share, by the
    # date from which it went by that name (it was renamed while programmes ran).
    funders: tuple[tuple[dt.date, str], ...] = ((dt.date(2012, 4, 1), "DCLG"),)
    max_payment_per_family: int = 4000
    # Caseloads.
    caseload_max_active: int = 10
    caseload_spare_below: int = 5
    caseload_max_rolling: int = 30
    caseload_rolling_months: int = 12

    def funder(self, on: dt.date) -> str:
        """The funding department's name on that date (its first name before it)."""
        named = self.funders[0][1]
        for since, name in self.funders:
            if on >= since:
                named = name
        return named

    def programme_year(self, d: dt.date) -> int | None:
        """Return 1, 2, 3 ... for the programme year holding d, or None before it starts."""
        year = None
        for number, start in enumerate(self.programme_year_starts, start=1):
            if d >= start:
                year = number
        return year

    def attachment_year(self, attached_on: dt.date) -> int | None:
        """The programme year of an attachment, or None when the programme does not take it:
        before its first payment date or outside its first and last attachment dates."""
        if not self.takes_attachment(attached_on):
            return None
        return self.programme_year(attached_on)

    def takes_attachment(self, attached_on: dt.date) -> bool:
        """Whether the programme takes a family attached on that date."""
        return self.first_attachment <= attached_on and (
            self.last_attachment is None or attached_on <= self.last_attachment)

    def result_amount(self, result: str, attached_on: dt.date) -> int | None:
        """Return the result's amount for a family attached on that date (docs/rules.md,
        "Payments and claims": results are paid by the programme year of attachment, the same year as the fee); None when
        the programme does not take that attachment."""
        year = self.attachment_year(attached_on)
        if year is None:
            return None
        amounts = dict(self.result_amounts)[result]
        return amounts[min(year, len(amounts)) - 1]

    def attachment_fee(self, attached_on: dt.date) -> int | None:
        year = self.attachment_year(attached_on)
        if year is None:
            return None
        return self.attachment_fees[min(year, len(self.attachment_fees)) - 1]

    def with_overrides(self, overrides: dict[str, Any]) -> Ruleset:
        """Return a copy with parameters replaced, values coerced to each field's type."""
        changes = {}
        fields = {f.name: f for f in dataclasses.fields(self)}
        for key, value in overrides.items():
            if key not in fields:
                raise ValueError(f"unknown ruleset parameter {key!r}")
            changes[key] = _coerce(getattr(self, key), value, str(fields[key].type))
        return dataclasses.replace(self, **changes)

    def parameters(self) -> dict[str, Any]:
        """Return the parameters as JSON-ready values (frozen into every claim)."""
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}


def _coerce(current: Any, value: Any, annotation: str = "") -> Any:
    if annotation.startswith("dt.date"):  # a single date, or None where the type allows it
        if value is None and "None" in annotation:
            return None
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
    if isinstance(current, Fraction):
        return Fraction(str(value))
    if isinstance(current, bool):
        return bool(value)
    if isinstance(current, int):
        return int(value)
    if isinstance(current, tuple) and current and isinstance(current[0], dt.date):
        return tuple(v if isinstance(v, dt.date) else dt.date.fromisoformat(v) for v in value)
    if (isinstance(current, tuple) and current and isinstance(current[0], tuple)
            and isinstance(current[0][0], dt.date)):  # (date, value) pairs: funders
        return tuple((d if isinstance(d, dt.date) else dt.date.fromisoformat(d), v)
                     for d, v in value)
    if isinstance(current, tuple):
        return _tuples(value)
    return value


def _tuples(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple((k, _tuples(v)) for k, v in value.items())
    if isinstance(value, list | tuple):
        return tuple(_tuples(v) for v in value)
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, Fraction):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


@dataclasses.dataclass(frozen=True)
class OutcomeFrame(Ruleset):
    """A later programme's national frame around a council's Outcome Plan (docs/outcome-plans.md). The
    dates in programme_year_starts are those from which the amounts hold."""

    headline_problems: tuple[str, ...] = ()
    min_problems: int = 2  # eligible with needs under at least this many headline problems
    sustain_months: int = 6  # the shortest sustainment a plan may set
    sustain_after_closure: bool = False  # sustained for that long after the case closed
    employment_route: bool = True  # continuous employment (docs/rules.md) is a results route
    allows_discretion: bool = True  # "equivalent progress" with a named approver and reason


OUTCOME_RESULTS = ("continuous_employment", "family_outcome")  # claimable order

# Each ruleset is one programme: how pages, CSV and PDFs name it.
PROGRAMME_LABELS = {
    "phase1": "Troubled Families 2012-15",
    "phase2": "Expanded programme 2015-20",
    "supporting_families": "Supporting Families",
}

RULESETS: dict[str, Ruleset] = {
    "phase1": Ruleset(),
    "phase2": OutcomeFrame(
        name="phase2",
        funders=((dt.date(2015, 4, 1), "DCLG"), (dt.date(2018, 1, 8), "MHCLG")),
        programme_year_starts=(dt.date(2015, 4, 1),),
        first_attachment=dt.date(2015, 4, 1),
        last_attachment=dt.date(2020, 3, 31),
        attachment_fees=(1000,),
        result_amounts=(("continuous_employment", (800,)), ("family_outcome", (800,))),
        max_payment_per_family=1800,
        headline_problems=(
            "crime_asb", "education", "children_need_help", "worklessness",
            "domestic_abuse", "health",
        ),
        min_problems=2,
    ),
    "supporting_families": OutcomeFrame(
        name="supporting_families",
        funders=((dt.date(2021, 4, 1), "MHCLG"), (dt.date(2021, 9, 19), "DLUHC"),
                 (dt.date(2024, 7, 8), "MHCLG")),
        programme_year_starts=(dt.date(2022, 10, 1),),
        first_attachment=dt.date(2022, 10, 1),
        last_attachment=None,
        attachment_fees=(0,),
        result_amounts=(("family_outcome", (800,)),),
        max_payment_per_family=800,
        headline_problems=(
            "education", "early_years", "health", "substance_use", "family_relationships",
            "safe_from_exploitation", "crime_prevention", "domestic_abuse", "housing",
            "financial_stability",
        ),
        min_problems=3,
        sustain_after_closure=True,
        employment_route=False,
        allows_discretion=False,
    ),
}


PROGRAMMES = tuple(RULESETS)  # in the order they ran: phase1, phase2, supporting_families


def programme_of(d: dt.date) -> str:
    """The programme a family signed up on d joins: the one that takes attachments on d;
    between two programmes, the latest begun (it pays nothing for that date); before the
    first, the first (which pays nothing either)."""
    begun = [name for name in PROGRAMMES if RULESETS[name].first_attachment <= d]
    taking = [name for name in begun if RULESETS[name].takes_attachment(d)]
    return (taking or begun or [PROGRAMMES[0]])[-1]


def programme_label(name: str) -> str:
    return PROGRAMME_LABELS[name]


def get_ruleset(name: str = "phase1", overrides: dict[str, Any] | None = None) -> Ruleset:
    try:
        ruleset = RULESETS[name]
    except KeyError:
        raise ValueError(f"unknown ruleset {name!r}") from None
    return ruleset.with_overrides(overrides) if overrides else ruleset
