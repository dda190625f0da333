"""The repository stands alone: a council's clone has nothing beside it, so no test, fixture,
Makefile target, script or document may reach outside the repository root."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEXT_SUFFIXES = {".py", ".md", ".toml", ".cfg", ".ini", ".sh", ".mjs", ".js", ".json", ".html",
                 ".txt", ".yml", ".yaml", ".mako", ".scss", ".csv"}
# `..` that climbs out of the root, a `parents[N]` past it, or an absolute path to this
# machine's work folders.
OUTSIDE = re.compile(r"\.\./shared|\.\./\.\./|/work/|parents\[\d+\]\.parent")
MARKDOWN_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def tracked_files() -> list[Path]:
    names = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                           cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    return [ROOT / n for n in names if (ROOT / n).is_file()]


def texts() -> list[Path]:
    return [p for p in tracked_files()
            if p.suffix in TEXT_SUFFIXES or p.name in {"Makefile", "run"}]


def test_no_file_reaches_outside_the_repository():
    offenders = []
    for path in texts():
        if path == Path(__file__).resolve():
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if OUTSIDE.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}")
    assert offenders == []


@pytest.mark.parametrize("doc", ["README.md", *sorted(
    str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))])
def test_every_link_in_the_documentation_stays_inside_and_exists(doc):
    path = ROOT / doc
    for target in MARKDOWN_LINK.findall(path.read_text()):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue  # a web address or an anchor on the same page
        resolved = (path.parent / target.split("#")[0]).resolve()
        assert resolved.is_relative_to(ROOT), f"{doc} links outside the repository: {target}"
        assert resolved.exists(), f"{doc} links to {target}, which does not exist"


def test_the_readme_sends_readers_to_the_documentation():
    readme = (ROOT / "README.md").read_text()
    for page in ("docs/partner-files.md", "docs/rules.md", "docs/command-line.md",
                 "docs/web-addresses.md"):
        assert f"({page})" in readme


def test_the_worked_examples_are_the_projects_own_test_data():
    from .conftest import EXAMPLES

    assert EXAMPLES.is_relative_to(ROOT / "tests")
    assert {p.name for p in EXAMPLES.glob("*.csv")} >= {
        "families.csv", "people.csv", "school-terms.csv", "asb.csv", "offences.csv", "work.csv"}


def test_models_and_migrations_agree(cli):
    """`casework db check` on the migrated test database: a model changed without a migration
    (or a migration without its model) fails here, on SQLite and on PostgreSQL."""
    result = cli("db", "check")
    assert result.exit_code == 0, result.output
