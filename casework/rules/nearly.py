"""'Nearly there': results a little short of met, so a worker can act before a claim window."""

from __future__ import annotations

from fractions import Fraction

from .dates import fmt
from .evidence import Evaluation

# How far below the reduction threshold still counts as nearly there.
NEARLY_MARGIN = Fraction(20, 100)


def nearly_there(evaluation: Evaluation) -> list[str]:
    """Return a plain-English note for each result that is close to met."""
    notes = []
    labels = {"asb": "ASB", "offending": "Youth offending"}
    for result, label in labels.items():
        finding = evaluation.results.get(result)
        if finding is None or finding.value != "not_met" or not finding.get("baseline"):
            continue
        b, a, threshold = finding.get("baseline"), finding.get("recent"), finding.get("threshold")
        fall = Fraction(b - a, b)
        if fall > 0 and fall >= threshold - NEARLY_MARGIN:
            notes.append(f"{label} down {round(fall * 100)}% where {round(threshold * 100)}% is needed")
    education = evaluation.results.get("education")
    if education is not None and education.value == "insufficient_data":
        for child, good in education.get("good_so_far", ()):
            if good:
                notes.append(f"Education: {child} has {good} of {education.get('terms')} terms "
                             "good, waiting for the rest")
    employment = evaluation.results.get("continuous_employment")
    if employment is not None and employment.get("in_work_until"):
        notes.append(f"Continuous employment: in work, met on {fmt(employment.get('in_work_until'))} "
                     "if the job continues")
    return notes
