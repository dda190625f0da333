"""Pure domain rules: plain data and a Ruleset in, findings with their evidence out.

Nothing here imports Flask or SQLAlchemy, so the web pages, the command line, claims and
batch evaluation all share one implementation that is fast to test.
"""

from .claims import Claimable, PriorClaim, build_order, claimable
from .engine import STATUSES, evaluate, identification
from .evidence import (
    AsbData,
    Evaluation,
    FamilyData,
    Finding,
    Identification,
    OffenceData,
    PersonData,
    TermData,
    WorkData,
)
from .ruleset import CLAIMABLE_RESULTS, RESULTS, Ruleset, get_ruleset

__all__ = [
    "CLAIMABLE_RESULTS",
    "RESULTS",
    "STATUSES",
    "AsbData",
    "Claimable",
    "Evaluation",
    "FamilyData",
    "Finding",
    "Identification",
    "OffenceData",
    "PersonData",
    "PriorClaim",
    "Ruleset",
    "TermData",
    "WorkData",
    "build_order",
    "claimable",
    "evaluate",
    "identification",
    "get_ruleset",
]
