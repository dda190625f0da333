"""The audit log: who viewed or changed which record, when, and from where."""

from __future__ import annotations

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.orm import Session

from . import models as m
from .extensions import db
from .rules.wording import words
from .transaction import transaction

# What an audit row says, in the words every page that shows one uses (the audit log, the
# family page's "Who viewed this family"): declared here once. A name not listed is put in
# words from itself ("programme_dashboard" -> "Programme dashboard").
ACTION_WORDS = {
    "view": "Viewed", "view_list": "Viewed a list", "export": "Exported", "create": "Added",
    "update": "Changed", "edit": "Changed", "sign_in": "Signed in",
    "sign_in_failed": "Sign-in failed", "sign_in_refused": "Sign-in refused",
    "sign_out": "Signed out", "sign_up": "Signed up", "start_job": "Started a job",
    "job_done": "Job finished", "job_failed": "Job failed", "api": "Read through the API",
    "api_refused": "Refused through the API", "load_plan": "Loaded an Outcome Plan",
    "load_plan_refused": "Outcome Plan refused", "remove_results": "Removed a job's file",
    "not_duplicate": "Marked not a duplicate", "unmerge": "Undid a merge",
    "contact_attempt": "Recorded a contact attempt",
    "reset_password": "Reset a password",  # nosec B105: an action's words, not a password
}
OBJECT_WORDS = {
    "family": "Family", "person": "Person", "timeline": "Timeline", "plan": "Family plan",
    "families": "Families list", "my_families": "My families", "contact": "Contact",
    "new_contact": "New contact", "follow_up": "Follow-up", "first_contact": "First contact",
    "taf": "Team Around the Family", "taf_member": "Team Around the Family member",
    "taf_meeting": "Team Around the Family meeting",
    "taf_action": "Team Around the Family action", "sharing_consent": "Consent to share",
    "lead_professional": "Lead professional", "claim_batch": "Claim batch",
    "claim_batch_pdf": "Claim batch PDF", "board_report": "Partnership Board report",
    "programme_dashboard": "Programme dashboard", "money": "Money page",
    "cost_analysis": "Cost analysis", "high_contact": "High-contact families",
    "match_review": "Matching review", "match_reviews": "Matching reviews",
    "match_model": "Matching model", "match_models": "Matching models",
    "match_funding": "Match funding", "match_contribution": "Match funding pledge",
    "import_errors": "Import problems file", "import_example": "Example import file",
    "outcome_plan": "Outcome Plan", "partner_home": "Partner's home page",
    "audit": "Audit log", "tasks": "Task list",
    "api_token": "API token",  # nosec B105: a record's words, not a token
    "allocate": "Allocation page", "close": "Case closure page", "deactivate": "Deactivation page",
}


def action_words(action: str | None) -> str:
    """An audit row's action as a page says it: "view" -> "Viewed"."""
    return ACTION_WORDS.get(action) or words(action) if action else ""


def object_words(object_type: str | None) -> str:
    """What an audit row is about, as a page says it: "taf_meeting" -> "Team Around the Family
    meeting", "plan" -> "Family plan"."""
    return OBJECT_WORDS.get(object_type) or words(object_type) if object_type else ""


def record_event(
    action: str,
    object_type: str | None = None,
    object_ref: str | None = None,
    *,
    user: m.User | None = None,
    detail: str | None = None,
) -> None:
    """Add an audit row to the current transaction (the caller commits)."""
    ip = None
    if has_request_context():
        ip = request.remote_addr
        if user is None and current_user.is_authenticated:
            user = current_user._get_current_object()
    db.session.add(
        m.AuditEvent(
            user_id=user.id if user else None,
            user_email=user.email if user else None,
            action=action,
            object_type=object_type,
            object_ref=object_ref,
            detail=detail[:500] if detail else None,
            ip=ip,
        )
    )


@event.listens_for(Session, "before_flush")
def _audit_rows_are_append_only(session, _context, _instances):
    """The audit log is written, never edited or deleted, through the app."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, m.AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise PermissionError("audit entries cannot be changed or deleted")



def shown(action: str, object_type: str | None = None, object_ref: str | None = None, *,
          page, user: m.User | None = None, detail: str | None = None):
    """Record that `page` was shown and return it. The page is rendered before this is
    called (every query of it done), so the audit row is written in a short transaction of
    its own: no page holds the database's write lock while it computes."""
    with transaction():
        record_event(action, object_type, object_ref, user=user, detail=detail)
    return page
