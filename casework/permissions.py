"""Who may do what. Every view names its permission; a test walks the URL map to check."""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import abort
from flask_login import current_user

from .models import ROLES, STAFF_ROLES

ALL_ROLES = frozenset(ROLES)
# The council's staff; a partner practitioner (role "partner") sees only the families whose
# Team Around the Family they are in, under consent (casework/access.py).
STAFF = frozenset(STAFF_ROLES)

PERMISSIONS: dict[str, frozenset[str]] = {
    "view_families": ALL_ROLES,
    "import_data": frozenset({"manager", "admin"}),
    "allocate": frozenset({"team_lead", "manager"}),
    "view_caseloads": frozenset({"team_lead", "manager"}),
    "log_contact": frozenset({"worker", "team_lead"}),
    "view_results": frozenset({"team_lead", "manager", "auditor"}),
    "manage_claims": frozenset({"manager"}),
    "audit_claims": frozenset({"auditor"}),
    "view_claims": frozenset({"manager", "auditor"}),
    "edit_records": frozenset({"manager"}),
    "subject_access": frozenset({"manager"}),
    "view_programme": frozenset({"manager"}),
    "manage_unit_costs": frozenset({"admin"}),
    "manage_users": frozenset({"admin"}),
    "view_audit": frozenset({"admin"}),
    "run_selection": frozenset({"team_lead", "manager"}),
    "set_agreed_number": frozenset({"manager"}),
    "first_contact": frozenset({"worker", "team_lead", "manager"}),
    # The jobs pages; each job is shown only to those with its own kind's permission.
    "view_jobs": frozenset({"manager", "auditor", "admin"}),
    "review_matches": frozenset({"manager"}),
    # Likely duplicate people inside casework: see them side by side, merge, undo a merge.
    "merge_people": frozenset({"manager"}),
    # Likely duplicate families (one household under two references): merge, undo.
    "merge_families": frozenset({"manager"}),
    # The council's Outcome Plans for the later programmes (casework/outcomes).
    "view_outcome_plans": frozenset({"manager", "admin"}),
    "manage_outcome_plans": frozenset({"admin"}),
    # Equivalent progress on a need (phase2's local discretion).
    "approve_discretion": frozenset({"manager"}),
    # Tokens for the read API (casework/api): made and revoked by an administrator.
    "manage_api_tokens": frozenset({"admin"}),
    # Training for initial contact organisations: courses and who completed them.
    "manage_training": frozenset({"manager", "admin"}),
    # Match funding pledged and received, beside the government's money.
    "manage_match_funding": frozenset({"manager"}),
    # Referrals between agencies (casework/referrals): sent from the family's page by those who
    # write its plan; seen by staff of the family and the organisation referred to; answered
    # (accepted or declined, the outcome recorded) by the organisation's practitioner.
    "refer": frozenset({"worker", "team_lead"}),
    "view_referrals": frozenset({"worker", "team_lead", "manager", "auditor", "partner"}),
    "answer_referrals": frozenset({"partner"}),
    # Partner organisations and their practitioners (casework/partners): an administrator
    # records them.
    "manage_organisations": frozenset({"admin"}),
    # A family's Team Around the Family, its consent to share, its lead professional, its
    # meetings and actions: seen by staff who see the family, kept by those who write its
    # case file and programme managers (access.may_manage_taf).
    "view_taf": frozenset({"worker", "team_lead", "manager", "auditor"}),
    "manage_taf": frozenset({"worker", "team_lead", "manager"}),
    # A partner practitioner's own page: the families they lead and their actions.
    "partner_home": frozenset({"partner"}),
    # Opening and completing a Team Around the Family action: its owner, staff or partner.
    "taf_actions": frozenset({"worker", "team_lead", "manager", "auditor", "partner"}),
}


def can(user, permission: str) -> bool:
    return bool(user and user.is_authenticated and user.role in PERMISSIONS[permission])


def requires(permission: str) -> Callable:
    """Allow the view to signed-in users whose role has `permission`; others get 403."""
    if permission not in PERMISSIONS:
        raise KeyError(permission)

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                from .extensions import login_manager

                return login_manager.unauthorized()
            if current_user.role not in PERMISSIONS[permission]:
                abort(403)
            return view(*args, **kwargs)

        wrapped.permission = permission  # type: ignore[attr-defined]
        return wrapped

    return decorate


def public(view: Callable) -> Callable:
    """Mark a view as open to anyone (sign-in, health check)."""
    view.permission = None  # type: ignore[attr-defined]
    return view
