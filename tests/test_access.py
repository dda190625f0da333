"""casework/access.py is the one answer to "who may see and change what": this walks the
source and fails when another module builds a family-visibility or allocation-scoping query
itself, or defines its own copy of an access check."""

from __future__ import annotations

import ast
from pathlib import Path

import casework
from casework import access
from casework.permissions import PERMISSIONS

SOURCE = Path(casework.__file__).resolve().parent

# The columns that decide whose a family is: comparing them is building a scoping query.
SCOPING_COLUMNS = {"Allocation": {"worker_id"},
                   "SelectionDecision": {"lead_worker_id", "decided_by_id"},
                   # A partner practitioner's families: their Team Around the Family
                   # memberships, under the family's consent, and the families they lead.
                   "TafMember": {"user_id", "from_on", "to_on"},
                   "SharingConsent": {"given_on", "withdrawn_on"},
                   "LeadProfessional": {"user_id", "from_on", "to_on"}}

# Queries on those columns that count or label, not choose what a user may see.
NOT_ACCESS = {
    ("caseloads/service.py", "_active_counts"): "counts open allocations against the limits",
    ("caseloads/service.py", "caseloads"): "counts the rolling window against the limits",
    ("caseloads/service.py", "_rolling_families"): "the rolling window for the limit",
    ("claims/service.py", "_worklist"): "the claims worklist's 'worker' filter (managers see all)",
    ("claims/service.py", "worklist_page"): "the claims worklist's worker-name column",
    ("partners/service.py", "add_member"): "refuses a second membership of the same person",
}

ACCESS_FUNCTIONS = {"visible_families", "get_family_or_404", "open_allocation", "allocated_to",
                    "can_write", "can_edit_contact", "may_allocate",
                    "allocatable_family_or_404", "_allocatable", "may_see_meeting",
                    "may_record_first_contact", "may_load_outcome_plan", "may_approve_discretion",
                    "partner_sections", "taf_action_or_404", "taf_meeting_or_404",
                    "may_manage_taf", "consent_standing", "led_by", "taf_actions_owned"}


def _modules():
    for path in sorted(SOURCE.rglob("*.py")):
        name = path.relative_to(SOURCE).as_posix()
        if name != "access.py":
            yield name, ast.parse(path.read_text(), filename=str(path))


def _scoping_comparisons(tree: ast.AST):
    """(line, function, column) of every comparison or in_() on a scoping column."""
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    aliases = {target.id: node.value.attr for node in ast.walk(tree)
               if isinstance(node, ast.Assign) and isinstance(node.value, ast.Attribute)
               and node.value.attr in SCOPING_COLUMNS
               for target in node.targets if isinstance(target, ast.Name)}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        parent = parents.get(node)
        compared = isinstance(parent, ast.Compare) or (
            isinstance(parent, ast.Attribute) and parent.attr in ("in_", "not_in"))
        owner = node.value
        model = (owner.attr if isinstance(owner, ast.Attribute)
                 else aliases.get(owner.id) if isinstance(owner, ast.Name) else None)
        if compared and node.attr in SCOPING_COLUMNS.get(model, ()):
            function = parent
            while function is not None and not isinstance(function, ast.FunctionDef):
                function = parents.get(function)
            yield node.lineno, function.name if function else "<module>", f"{model}.{node.attr}"


def test_no_module_but_access_builds_a_family_visibility_or_allocation_scoping_query():
    found = [f"{name}:{line} {function}() compares {column}"
             for name, tree in _modules()
             for line, function, column in _scoping_comparisons(tree)
             if (name, function) not in NOT_ACCESS]
    assert found == [], "scope families through casework.access:\n" + "\n".join(found)


def test_the_walk_would_catch_a_worker_scoped_query_written_elsewhere():
    tree = ast.parse("def mine(user):\n"
                     "    return select(m.Family).join(m.Allocation).where(\n"
                     "        m.Allocation.worker_id == user.id)\n")
    assert list(_scoping_comparisons(tree)) == [(3, "mine", "Allocation.worker_id")]


def test_no_module_but_access_defines_an_access_check():
    found = [f"{name}:{node.lineno} {node.name}" for name, tree in _modules()
             for node in ast.walk(tree)
             if isinstance(node, ast.FunctionDef) and node.name in ACCESS_FUNCTIONS]
    assert found == []


def test_the_allocate_right_is_the_permission_tables_own():
    class User:
        is_authenticated = True

        def __init__(self, role):
            self.role = role

    assert {role for role in ("worker", "team_lead", "manager", "auditor", "admin")
            if access.may_allocate(User(role))} == PERMISSIONS["allocate"]
