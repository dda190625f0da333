"""One of each thing, not two: a refused file is one class whether a CSV or an Outcome Plan,
counts in words come from rules/wording.py, and no comment cites a reference the repository
does not hold."""

from __future__ import annotations

import re
from pathlib import Path

import casework
from casework.importer.service import ImportRefused
from casework.rules import engine, plan
from casework.rules.refused import FileRefused

ROOT = Path(casework.__file__).resolve().parent.parent


def test_a_refused_csv_and_a_refused_plan_are_one_class():
    assert ImportRefused is plan.PlanError is FileRefused
    refused = FileRefused(["a.csv:2: kind: is required", "a.csv:3: date: is required"])
    assert refused.errors == ["a.csv:2: kind: is required", "a.csv:3: date: is required"]
    assert str(refused) == "a.csv:2: kind: is required\na.csv:3: date: is required"


def test_the_rules_say_counts_in_words_one_way():
    assert not hasattr(engine, "_plural")
    assert engine.plural(1, "ASB order") == "1 ASB order"
    assert engine.plural(2, "proven youth offence") == "2 proven youth offences"


def test_no_comment_cites_a_document_the_repository_does_not_hold():
    """Issues and the domain reference's sections live outside the repository: a comment
    points to docs/ instead. (bench/README.md is a log of measurements, each dated by the
    issue that asked for it, and keeps them.)"""
    cited = re.compile(r"domain reference|\bissue #?\d|\bsection \d", re.IGNORECASE)
    found = [f"{path.relative_to(ROOT)}:{n}"
             for folder in ("casework", "tests", "docs", "templates", "migrations", "bench")
             for path in sorted((ROOT / folder).rglob("*"))
             if path.suffix in (".py", ".md", ".html") and path.name != Path(__file__).name
             and path.relative_to(ROOT).as_posix() != "bench/README.md"
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if cited.search(line)]
    assert found == []


def test_a_view_audits_what_it_shows_one_way():
    """A page or download ends `return shown(..., page=...)` (casework/audit.py); no view
    opens a transaction to audit and render. The two left are not pages: the API's refusal
    of a call without a token, and the refresh after a request that changed evidence."""
    import ast

    opened = []
    for path in sorted((ROOT / "casework").glob("*/views.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.With) and any(
                    isinstance(item.context_expr, ast.Call)
                    and getattr(item.context_expr.func, "id", None) == "transaction"
                    for item in node.items):
                opened.append(path.parent.name)
    assert opened == ["api", "evaluation"]


def test_only_the_job_queue_is_called_a_queue():
    """The stale families, the auditor's worklist and the rows waiting for review are not
    queues, and their code says so (docs/architecture.md)."""
    import ast

    named = []
    for path in sorted((ROOT / "casework").rglob("*.py")):
        if path.name == "queue.py" or path.parent.name == "jobs":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and "queue" in node.name.lower():
                named.append(f"{path.relative_to(ROOT)}:{node.name}")
    assert named == []
