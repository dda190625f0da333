"""Template filters and globals shared by every page."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app, url_for

from . import audit, clock
from . import models as m
from .dates_input import date_example
from .history import RECORD_WORDS, describe, fields_words, record_words, value_words
from .rules.dates import age_on, dates_in_text, govdate, govdatetime
from .rules.ruleset import PROGRAMME_LABELS
from .rules.wording import plural, share, words

# Service navigation: shown to users whose role has the permission.
NAV_ITEMS = [
    {"text": "Tasks", "endpoint": "home.index", "permission": "log_contact", "area": "home."},
    {"text": "Your families", "endpoint": "partners.home", "permission": "partner_home", "area": "partners.home"},
    {"text": "My families", "endpoint": "caseloads.my_families", "permission": "log_contact", "area": "caseloads.my_families"},
    {"text": "Families", "endpoint": "families.index", "permission": "view_families", "area": "families."},
    {"text": "Referrals", "endpoint": "referrals.index", "permission": "answer_referrals", "area": "referrals."},
    {"text": "Team", "endpoint": "caseloads.team", "permission": "view_caseloads", "area": "caseloads.team"},
    {"text": "High contact", "endpoint": "casefile.high_contact", "permission": "view_caseloads", "area": "casefile.high_contact"},
    {"text": "Results", "endpoint": "evaluation.results", "permission": "view_results", "area": "evaluation.results"},
    {"text": "Selection", "endpoint": "selection.index", "permission": "run_selection", "area": "selection."},
    {"text": "Screening", "endpoint": "evaluation.screening", "permission": "manage_claims", "area": "evaluation.screening"},
    {"text": "Claims", "endpoint": "claims.index", "permission": "view_claims", "area": "claims.index"},
    {"text": "Money", "endpoint": "claims.money", "permission": "manage_claims", "area": "claims.money"},
    {"text": "Programme", "endpoint": "programme.dashboard", "permission": "view_programme", "area": "programme."},
    {"text": "Unit costs", "endpoint": "programme.unit_costs", "permission": "manage_unit_costs", "area": "programme.unit_costs"},
    {"text": "Training", "endpoint": "partnership.training", "permission": "manage_training", "area": "partnership.training"},
    {"text": "Outcome Plans", "endpoint": "outcomes.index", "permission": "view_outcome_plans", "area": "outcomes."},
    {"text": "Users", "endpoint": "admin.users", "permission": "manage_users", "area": "admin.users"},
    {"text": "Teams", "endpoint": "admin.teams", "permission": "manage_users", "area": "admin.teams"},
    {"text": "Organisations", "endpoint": "partners.organisations", "permission": "manage_organisations", "area": "partners.organisation"},
    {"text": "Audit log", "endpoint": "admin.audit", "permission": "view_audit", "area": "admin.audit"},
    {"text": "API tokens", "endpoint": "admin.tokens", "permission": "manage_api_tokens", "area": "admin.tokens"},
    {"text": "Import data", "endpoint": "imports.upload", "permission": "import_data", "area": "imports."},
    {"text": "Jobs", "endpoint": "jobs.index", "permission": "view_jobs", "area": "jobs."},
    {"text": "Matching", "endpoint": "matching.reviews_waiting", "permission": "review_matches", "area": "matching."},
]


def pounds(pence) -> str:
    """Pence (an int or a Fraction) as whole pounds: £1,235 (negative: -£20)."""
    whole = round(pence / 100)
    return f"-£{-whole:,}" if whole < 0 else f"£{whole:,}"


def lookup(keys, table: dict) -> list:
    """The values of `table` for those of `keys` it has: references to names."""
    return [table[key] for key in keys or [] if key in table]


def error_item(message: str) -> dict:
    return {"text": message}


def pagination_items(result, endpoint: str, args: dict, param: str = "page") -> list[dict]:
    """GOV.UK pagination items: first, last and the pages around the current one (the page
    number in the query argument `param`)."""
    items, last = [], None
    for number in range(1, result.pages + 1):
        if number in (1, result.pages) or abs(number - result.page) <= 2:
            if last is not None and number - last > 1:
                items.append({"ellipsis": True})
            items.append(
                {
                    "number": number,
                    "href": url_for(endpoint, **{**args, param: number}),
                    "current": number == result.page,
                }
            )
            last = number
    return items


_REF = "CASEWORKFAMILYREF"  # no family reference (letters, digits, '-', '_') is this long


def family_links(endpoint: str, **args) -> Callable[[str], str]:
    """url_for(endpoint, family_ref=ref, **args) for the many families of one table: the
    address is built once and each reference put into it (a screening page's 400 links
    took 40 µs each to build one by one, a third of the page's time)."""
    template = url_for(endpoint, family_ref=_REF, **args)
    to_url = current_app.url_map.converters["default"](current_app.url_map).to_url
    return lambda ref: template.replace(_REF, to_url(ref), 1)


def init_templating(app: Flask) -> None:
    from .flashes import get_flashed_messages
    from .security import link_args

    app.add_template_global(link_args)
    # The messages kept in the database (casework/flashes.py), not Flask's in the cookie.
    app.add_template_global(get_flashed_messages)
    app.add_template_filter(govdate)
    app.add_template_filter(govdatetime)  # a wall-clock time typed in England (a contact's)
    app.add_template_filter(clock.local_time)  # a timestamp kept in UTC, shown in England's time
    app.add_template_filter(error_item)
    app.add_template_filter(pounds)
    app.add_template_filter(plural)
    app.add_template_filter(lookup)
    app.add_template_filter(words)
    app.add_template_filter(share)
    app.add_template_filter(dates_in_text)
    app.add_template_filter(record_words)
    app.add_template_filter(value_words, "in_words")
    app.add_template_filter(audit.action_words, "audited_action")  # one set of words for
    app.add_template_filter(audit.object_words, "audited_object")  # an audit row's names
    app.add_template_global(describe, "change_lines")
    app.add_template_global(fields_words, "fields_in_words")
    app.add_template_global(RECORD_WORDS, "record_kinds")
    app.add_template_global(age_on)
    app.add_template_global(date_example)
    app.add_template_global(pagination_items)
    app.add_template_global(family_links)
    app.add_template_global(m.ASB_KIND_LABELS, "asb_kind_labels")
    app.add_template_global(m.RESULT_LABELS, "result_labels")
    app.add_template_global(PROGRAMME_LABELS, "programme_labels")
    app.add_template_global(m.WORK_KIND_LABELS, "work_kind_labels")
    app.add_template_global(NAV_ITEMS, "nav_items")
    from .caseloads.service import NO_CONTACT_DAYS

    app.add_template_global(NO_CONTACT_DAYS, "no_contact_days")

    app.add_template_global(m.CONTACT_KINDS, "contact_kinds")
    app.add_template_global(m.PLAN_PROBLEMS, "plan_problems")
    app.add_template_global(m.REFERRAL_KINDS, "referral_kinds")
    app.add_template_global(m.REFERRAL_STATUSES, "referral_statuses")
    app.add_template_global(m.MATCH_SOURCE_KINDS, "match_kinds")
