"""A file refused whole, whether a partner's CSV file (the importer) or a council's Outcome
Plan (rules/plan.py): one class, so every caller reads its problems the same way. Pure."""

from __future__ import annotations


class FileRefused(Exception):
    """The file was refused and nothing from it written; `errors` holds every problem, one
    `FILE:LINE: FIELD: message` each."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors
