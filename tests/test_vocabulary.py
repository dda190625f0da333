"""Each vocabulary (roles, ASB and work kinds, contact kinds, claim states) is defined once,
in casework/models.py (the school terms in casework/rules/dates.py, which the pure rules
share), and imported everywhere else; dates are formatted and moved by
month through casework/rules/dates.py alone."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest

import casework
from casework import models as m
from casework.programme.service import Quarter
from casework.rules.dates import TERM_ORDER, fmt, govdate, govdatetime, months_after, months_before

SOURCE = Path(casework.__file__).resolve().parent
VOCABULARIES = {"ROLES": m.ROLES, "ASB_KINDS": m.ASB_KINDS, "WORK_KINDS": m.WORK_KINDS,
                "CONTACT_KINDS": tuple(m.CONTACT_KINDS), "CLAIM_STATES": m.CLAIM_STATES}
HOMES = {"models.py": set(VOCABULARIES), "rules/dates.py": {"TERM_ORDER"}}
VOCABULARIES["TERM_ORDER"] = TERM_ORDER


def _string_collections(tree):
    for node in ast.walk(tree):
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            items = node.elts
        elif isinstance(node, ast.Dict) and all(
                isinstance(v, ast.Constant) and isinstance(v.value, str) for v in node.values):
            items = node.keys  # a table of labels
        else:
            continue
        if items and all(isinstance(i, ast.Constant) and isinstance(i.value, str) for i in items):
            yield node.lineno, {i.value for i in items}


def test_no_module_but_models_spells_out_a_whole_vocabulary():
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        name = path.relative_to(SOURCE).as_posix()
        for line, values in _string_collections(ast.parse(path.read_text())):
            found += [f"{name}:{line} repeats {vocabulary}" for vocabulary, words in
                      VOCABULARIES.items()
                      if values == set(words) and vocabulary not in HOMES.get(name, ())]
    assert found == [], "import the vocabulary from its home:\n" + "\n".join(found)


def test_every_vocabulary_with_labels_has_a_label_for_each_word():
    assert tuple(m.ROLE_LABELS) == m.ROLES
    assert tuple(m.ASB_KIND_LABELS) == m.ASB_KINDS
    assert tuple(m.WORK_KIND_LABELS) == m.WORK_KINDS


@pytest.mark.parametrize("day, quarter", [
    (dt.date(2013, 3, 31), Quarter(2012, 4)),  # the day before the financial year
    (dt.date(2013, 4, 1), Quarter(2013, 1)),   # its first day
    (dt.date(2013, 4, 2), Quarter(2013, 1)),
    (dt.date(2013, 6, 30), Quarter(2013, 1)),
    (dt.date(2013, 7, 1), Quarter(2013, 2)),
    (dt.date(2013, 12, 31), Quarter(2013, 3)),
    (dt.date(2014, 1, 1), Quarter(2013, 4)),
])
def test_a_quarter_is_found_by_the_financial_year_rule(day, quarter):
    assert Quarter.containing(day) == quarter
    assert quarter.first <= day <= quarter.last


def test_months_move_on_the_calendar_with_the_day_clamped_to_the_months_end():
    assert months_after(dt.date(2013, 1, 30), 1) == dt.date(2013, 2, 28)
    assert months_after(dt.date(2013, 1, 31), 1) == dt.date(2013, 2, 28)
    assert months_after(dt.date(2013, 2, 1), 1) == dt.date(2013, 3, 1)
    assert months_before(dt.date(2012, 2, 29), 12) == dt.date(2011, 2, 28)
    assert months_before(dt.date(2013, 4, 1), 12) == dt.date(2012, 4, 1)


def test_one_formatter_writes_dates_for_pages_pdfs_and_evidence():
    assert govdate(dt.date(2013, 1, 5)) == "5 January 2013"
    assert govdate(None, "Not given") == "Not given"
    assert govdatetime(dt.datetime(2013, 1, 5, 9, 5)) == "5 January 2013 at 09:05"
    assert fmt(dt.date(2013, 1, 5)) == "5 Jan 2013"
    assert fmt(None) == "none"


def test_no_module_but_rules_dates_formats_a_whole_date_itself():
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        name = path.relative_to(SOURCE).as_posix()
        if name == "rules/dates.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            text = (node.value if isinstance(node, ast.Constant) and isinstance(node.value, str)
                    else None)
            if text is not None and "%B %Y" in text and "%d" in text.replace("%-d", "%d"):
                found.append(f"{name}:{node.lineno}")
    assert found == [], "format dates with casework.rules.dates.govdate:\n" + "\n".join(found)
