"""The importer reads every kind of file from its one declaration, casework/evidence/kinds.py."""

from ..evidence.kinds import KINDS, Column, Kind

__all__ = ["KINDS", "Column", "Kind"]
