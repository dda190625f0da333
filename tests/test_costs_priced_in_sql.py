"""The cost analysis is priced in the database (programme.service.priced_sql) and must agree,
to the penny and in its order, with the one definition of the estimate (rules.costs): every
family's annual cost before and after, its reduction, rounded as the page and CSV round."""

import csv
import datetime as dt
import io
import random
from decimal import Decimal
from fractions import Fraction

from casework import models as m
from casework.extensions import db
from casework.programme import service
from casework.rules.costs import STORED_COUNTS, annual_cost, cost_weights, rounded, stored_to_counts
from casework.rules.ruleset import get_ruleset

from .conftest import login
from .factories import create_family, create_user

D = dt.date(2013, 9, 30)


def _world(count=40):
    rng = random.Random(36)
    rows = []
    for i in range(count):
        family = create_family(f"C{i:03d}", identified_on=dt.date(2012, 9, 1),
                               attached_on=dt.date(2012, 10, 1))
        before = [rng.choice((0, 1, 3, 7, 50)) for _ in STORED_COUNTS]
        after = [rng.choice((0, 1, 2, 5)) for _ in STORED_COUNTS]
        if i == 0:  # big enough to pass a 32-bit integer once priced: 2,000 offences at £3,000
            before = [0, 2000, 0, 0, 0]
        if i in (1, 2):  # the same reduction: ordered by family reference
            before, after = [2, 0, 0, 0, 0], [1, 0, 0, 0, 0]
        rows.append((family, before, after))
        db.session.add(m.StoredEvaluation(
            family_id=family.id, ruleset="phase1", as_of=D, identification_date=family.identified_on,
            screening=True, crime_asb=True, education=False, work=True, local_discretion=True,
            eligible=True, result_asb="met", result_offending="met", result_education="met",
            result_crime_asb_education="met", result_progress_to_work="not_met",
            result_continuous_employment="not_met",
            cost_status="too_early" if i % 9 == 5 else "estimated",
            **{f"before_{k}": v for k, v in zip(STORED_COUNTS, before, strict=True)},
            **{f"after_{k}": v for k, v in zip(STORED_COUNTS, after, strict=True)}))
    db.session.add(m.EvaluationRun(ruleset="phase1", as_of=D, families=count))
    db.session.commit()
    return rows


def test_the_weights_are_the_estimate_in_whole_numbers():
    rng = random.Random(7)
    pence = {"asb_incident": 67_300, "youth_offence": 300_001, "fixed_exclusion": 60_003,
             "benefit_week": 7_171, "domestic_abuse_incident": 199_999}
    for _ in range(500):
        values = [rng.randrange(0, 400) for _ in STORED_COUNTS]
        for months in (6, 12, 7):
            weights, denominator = cost_weights(pence, months)
            numerator = sum(weights[k] * v for k, v in zip(STORED_COUNTS, values, strict=True))
            assert Fraction(numerator, denominator) == annual_cost(stored_to_counts(values),
                                                                   pence, months)
    # Rounding as Python rounds a Fraction: halves to the even whole number, either sign.
    for n in range(-50, 51):
        for d in (1, 2, 4, 7, 10):
            assert rounded(n, d) == round(Fraction(n, d)), (n, d)


def test_cost_rows_and_the_csv_agree_with_rules_costs(app, client):
    rows = _world()
    manager = create_user("manager")
    pence = {r.key: r.pence for r in service.unit_costs()}
    rules = get_ruleset("phase1")
    expected = {}
    for family, before, after in rows:
        b = annual_cost(stored_to_counts(before), pence, rules.baseline_months)
        a = annual_cost(stored_to_counts(after), pence, rules.recent_months)
        expected[family.family_ref] = (b, a)
    total, _, found = service.cost_rows(manager, pence)
    assert total == len(rows)
    assert {e.family_ref: (e.before_pence, e.after_pence) for e, _, _ in found} == expected
    status = {f.family_ref: ("too_early" if i % 9 == 5 else "estimated")
              for i, (f, _, _) in enumerate(rows)}
    order = sorted(expected, key=lambda ref: (status[ref] != "estimated",
                                              -(expected[ref][0] - expected[ref][1]), ref))
    assert [e.family_ref for e, _, _ in found] == order
    assert order.index("C001") + 1 == order.index("C002")  # a tie: by reference
    # its numerator in the database (over 7 x 6 months) passes 2**31
    assert found[0][0].family_ref == "C000" and found[0][0].before_pence * 42 > 2**31

    # One page of the list is the same slice.
    _, page, second = service.cost_rows(manager, pence, 2, 10)
    assert page == 2 and [e.family_ref for e, _, _ in second] == order[10:20]

    # The CSV: each row's pounds are rules.costs' Fractions rounded to the penny.
    login(client, manager.email)
    got = list(csv.DictReader(io.StringIO(client.get("/programme/costs.csv").text)))
    assert [r["family_ref"] for r in got] == order
    for r in got:
        b, a = expected[r["family_ref"]]
        assert Decimal(r["annual_cost_before"]) == Decimal(round(b)) / 100
        assert Decimal(r["annual_cost_after"]) == Decimal(round(a)) / 100
        assert Decimal(r["reduction"]) == Decimal(round(b - a)) / 100
    first = next(r for r in got if r["family_ref"] == "C000")
    assert first["before_youth_offence"] == "2000" and first["before_benefit_week"] == "0"
    db.session.rollback()
