"""A council's Outcome Plan: a JSON document read and checked against its national frame.

Every problem is a headline problem of the frame, and every indicator one of a small
catalogue of types over evidence casework holds. A plan with any problem is refused whole,
each problem named as `FILE:LINE: FIELD: message`.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import hashlib
import json
import json.decoder
import json.scanner
from fractions import Fraction
from typing import Any

from .refused import FileRefused
from .ruleset import OutcomeFrame
from .wording import words

# The catalogue of indicator types, each with the fields it takes.
INDICATOR_FIELDS = {
    # Records of a kind in a window: at most a number, or down by a share from before.
    "count": {"type", "evidence", "kinds", "window_months", "at_most", "reduction",
              "sustain_months", "description"},
    # Unauthorised absence (and fixed exclusions) over the last complete school terms.
    "school_rate": {"type", "terms", "unauthorised_at_most", "fixed_exclusions_at_most",
                    "sustain_months", "description"},
    # An open or closed status, such as a child protection plan: positive once closed.
    "status": {"type", "status", "sustain_months", "description"},
    # A practitioner's assessment of the need, with its author and note.
    "assessment": {"type", "sustain_months", "description"},
}
COUNT_EVIDENCE = ("asb", "offences", "domestic-abuse", "housing")
# The kinds of housing event a housing count may name (models.HOUSING_KIND_LABELS).
HOUSING_KINDS = ("tenancy_change", "rent_arrears", "notice_seeking_possession", "eviction",
                 "temporary_accommodation")
EVIDENCE_WORDS = {"asb": "ASB records", "offences": "offences", "housing": "housing events",
                  "domestic-abuse": "domestic abuse incidents"}
INDICATOR_TYPE_WORDS = {"count": "A count of records", "school_rate": "School attendance",
                        "status": "A status closed", "assessment": "A practitioner's assessment"}
CHILD_STATUSES = ("child_in_need", "child_protection_plan", "looked_after")
PLAN_FIELDS = {"title", "ruleset", "version", "effective_from", "sustain_months", "problems"}
PROBLEM_FIELDS = {"description", "sustain_months", "indicators"}


# The plan was refused: the one class of a file refused whole (the importer's ImportRefused).
PlanError = FileRefused


@dataclasses.dataclass(frozen=True)
class Indicator:
    name: str
    problem: str
    type: str
    sustain_months: int
    description: str = ""
    # count
    evidence: str | None = None
    kinds: tuple[str, ...] = ()
    window_months: int = 6
    at_most: int | None = None
    reduction: Fraction | None = None
    # school_rate
    terms: int = 3
    unauthorised_at_most: Fraction | None = None
    fixed_exclusions_at_most: int | None = None
    # status
    statuses: tuple[str, ...] = ()

    def describe(self) -> str:
        return self.description or self.threshold()

    def threshold(self) -> str:
        """What the indicator asks for, in words, from its settings (not its description)."""
        if self.type == "count":
            what = EVIDENCE_WORDS.get(self.evidence, words(self.evidence, capital=False))
            if self.kinds:
                what += f" ({' or '.join(words(k, capital=False) for k in self.kinds)})"
            if self.reduction is not None:
                return (f"{what} in {self.window_months} months down at least "
                        f"{round(self.reduction * 100)}% on the {self.window_months} months "
                        "before the need was identified")
            most = "no" if self.at_most == 0 else f"at most {self.at_most}"
            return f"{most} {what} in {self.window_months} months"
        if self.type == "school_rate":
            text = (f"unauthorised absence at most {round(self.unauthorised_at_most * 100)}% "
                    f"over the last {self.terms} complete terms")
            if self.fixed_exclusions_at_most is not None:
                most = self.fixed_exclusions_at_most
                text += ", no fixed exclusions" if most == 0 else f", at most {most} fixed exclusions"
            return text
        if self.type == "status":
            return f"no open {' or '.join(words(s, capital=False) for s in self.statuses)}"
        return "a practitioner's positive assessment"


@dataclasses.dataclass(frozen=True)
class OutcomePlan:
    title: str
    ruleset: str
    version: str
    effective_from: dt.date
    sustain_months: int
    problems: dict[str, dict[str, Indicator]]
    source: str
    sha256: str

    def indicator(self, problem: str, name: str) -> Indicator | None:
        return self.problems.get(problem, {}).get(name)

    def stamp(self) -> dict[str, str]:
        """What every evaluation and claim under the plan records of it."""
        return {"title": self.title, "version": self.version,
                "effective_from": self.effective_from.isoformat(), "sha256": self.sha256}


# Reading JSON with the line of every object and key -------------------------------------


class _Object(dict):
    line: int
    key_lines: dict[str, int]


# An Outcome Plan is a few kilobytes (the examples are 2 KB, five levels deep). Anything far
# beyond is refused before it is parsed: reading it grows with its size times its depth.
MAX_PLAN_BYTES = 200_000
MAX_DEPTH = 20
MAX_NUMBER_LENGTH = 30


def _limits(text: str, filename: str) -> list[str]:
    """The problems of a text too large, too deeply nested or with absurdly long numbers to be
    a plan, found in one pass over it (strings skipped); none for a plan-like text."""
    if len(text) > MAX_PLAN_BYTES:
        return [f"{filename}:1: file: is {len(text):,} characters long; an Outcome Plan is at "
                f"most {MAX_PLAN_BYTES:,}"]
    problems: list[str] = []
    depth, line, number = 0, 1, 0
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            # Skip the string: to its closing quote, past escaped characters.
            i += 1
            while i < n and text[i] != '"':
                if text[i] == "\\":
                    i += 1
                elif text[i] == "\n":
                    line += 1
                i += 1
            number = 0
        elif c in "{[":
            depth += 1
            if depth > MAX_DEPTH:
                return problems + [f"{filename}:{line}: file: nests deeper than {MAX_DEPTH} "
                                   "levels; an Outcome Plan is a few levels deep"]
        elif c in "}]":
            depth -= 1
        elif c == "\n":
            line += 1
        if c in "0123456789+-.eE":
            number += 1
            if number == MAX_NUMBER_LENGTH + 1:
                problems.append(f"{filename}:{line}: file: has a number more than "
                                f"{MAX_NUMBER_LENGTH} characters long")
        else:
            number = 0
        i += 1
    return problems


def _decode(text: str) -> Any:
    decoder = json.JSONDecoder()
    # The line of a position, by a binary search of where each line starts (counting the
    # line breaks before every object would grow with the square of the file).
    starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]

    def parse_object(s_and_end, strict, scan_once, object_hook, object_pairs_hook, memo=None):
        s, start = s_and_end
        pairs, end = json.decoder.JSONObject(
            s_and_end, strict, scan_once, object_hook, object_pairs_hook, memo)
        obj = _Object(pairs)
        obj.line = bisect.bisect_right(starts, start)
        obj.key_lines = _key_lines(s, start, end, starts)
        return obj, end

    decoder.parse_object = parse_object
    decoder.scan_once = json.scanner.py_make_scanner(decoder)
    return decoder.decode(text)


def field_line(text: str, key: str) -> int:
    """The line of a top-level field of a plan's JSON text (1 when it has none)."""
    try:
        doc = _decode(text)
    except (json.JSONDecodeError, RecursionError, ValueError):
        return 1
    return doc.key_lines.get(key, 1) if isinstance(doc, _Object) else 1


def _key_lines(s: str, start: int, end: int, starts: list[int]) -> dict[str, int]:
    """The line of each key of the object between start (just after its `{`) and end."""
    lines: dict[str, int] = {}
    depth, i = 0, start
    while i < end:
        c = s[i]
        if c == '"':
            key, after = json.decoder.scanstring(s, i + 1)
            rest = s[after:end].lstrip()
            if depth == 0 and rest.startswith(":"):
                lines.setdefault(key, bisect.bisect_right(starts, i))
            i = after
            continue
        if c in "{[":
            depth += 1
        elif c in "}]":
            depth -= 1
        i += 1
    return lines


# Checking ---------------------------------------------------------------------------------


class _Checker:
    def __init__(self, filename: str):
        self.filename = filename
        self.errors: list[tuple[int, str]] = []

    def error(self, obj: _Object, field: str, message: str) -> None:
        key = field.rsplit(".", 1)[-1]
        line = obj.key_lines.get(key, obj.line)
        self.errors.append((line, f"{self.filename}:{line}: {field}: {message}"))

    def fields(self, obj: _Object, path: str, allowed: set[str], required: set[str]) -> None:
        for key in obj:
            if key not in allowed:
                self.error(obj, f"{path}{key}",
                           f"is not a field here; use {', '.join(sorted(allowed))}")
        for key in sorted(required - obj.keys()):
            self.errors.append(
                (obj.line, f"{self.filename}:{obj.line}: {path}{key}: is required"))

    def text(self, obj, path, key, default=None):
        value = obj.get(key, default)
        if key in obj and not (isinstance(value, str) and value.strip()):
            self.error(obj, path + key, "must be some text in quotes")
            return default
        return value

    def whole(self, obj, path, key, default, least):
        value = obj.get(key, default)
        if key in obj and (isinstance(value, bool) or not isinstance(value, int) or value < least):
            self.error(obj, path + key, f"must be a whole number, {least} or more")
            return default
        return value

    def share(self, obj, path, key):
        value = obj.get(key)
        if value is None:
            return None
        try:
            if isinstance(value, bool):
                raise ValueError
            share = Fraction(str(value))
        except (ValueError, ZeroDivisionError):
            share = None
        if share is None or not 0 <= share <= 1:
            self.error(obj, path + key, f"{json.dumps(value)} is not a share from 0 to 1 "
                                        "(write 0.6 or \"3/5\")")
            return None
        return share


def load_plan(text: str, filename: str, frame: OutcomeFrame) -> OutcomePlan:
    """Read and check an Outcome Plan for the frame, or raise PlanError naming every
    problem."""
    if limits := _limits(text, filename):
        raise PlanError(limits)
    try:
        doc = _decode(text)
    except json.JSONDecodeError as error:
        raise PlanError([f"{filename}:{error.lineno}: file: is not valid JSON ({error.msg})"])
    except (RecursionError, ValueError) as error:  # beyond what the limits catch: never a 500
        raise PlanError([f"{filename}:1: file: cannot be read as an Outcome Plan ({error})"])
    if not isinstance(doc, _Object):
        raise PlanError([f"{filename}:1: file: must be a JSON object {{...}}"])
    check = _Checker(filename)
    check.fields(doc, "", PLAN_FIELDS, {"title", "ruleset", "version", "effective_from",
                                         "problems"})
    title = check.text(doc, "", "title", "")
    version = check.text(doc, "", "version", "")
    ruleset = doc.get("ruleset")
    if "ruleset" in doc and ruleset != frame.name:
        check.error(doc, "ruleset", f"{json.dumps(ruleset)} is not {frame.name!r}, the ruleset "
                                    "this plan is read for")
    effective_from = dt.date.min
    if "effective_from" in doc:
        try:
            effective_from = dt.date.fromisoformat(doc["effective_from"])
        except (TypeError, ValueError):
            check.error(doc, "effective_from",
                        f"{json.dumps(doc['effective_from'])} is not a date \"YYYY-MM-DD\"")
    sustain = check.whole(doc, "", "sustain_months", frame.sustain_months, frame.sustain_months)
    problems: dict[str, dict[str, Indicator]] = {}
    raw_problems = doc.get("problems")
    if "problems" in doc and not (isinstance(raw_problems, _Object) and raw_problems):
        check.error(doc, "problems", "must be an object naming at least one headline problem")
        raw_problems = None
    for problem, body in (raw_problems or {}).items():
        path = f"problems.{problem}"
        if problem not in frame.headline_problems:
            check.error(raw_problems, path, f"is not a headline problem of {frame.name}; use "
                                            f"{', '.join(frame.headline_problems)}")
            continue
        if not isinstance(body, _Object):
            check.error(raw_problems, path, "must be an object with indicators")
            continue
        check.fields(body, path + ".", PROBLEM_FIELDS, {"indicators"})
        problem_sustain = check.whole(body, path + ".", "sustain_months", sustain,
                                      frame.sustain_months)
        indicators = body.get("indicators")
        if "indicators" in body and not (isinstance(indicators, _Object) and indicators):
            check.error(body, path + ".indicators", "must be an object naming at least one "
                                                    "indicator")
            continue
        problems[problem] = {}
        for name, spec in (indicators or {}).items():
            ipath = f"{path}.indicators.{name}"
            if not isinstance(spec, _Object):
                check.error(indicators, ipath, "must be an object with a type")
                continue
            indicator = _indicator(check, spec, ipath + ".", name, problem, problem_sustain,
                                   frame)
            if indicator is not None:
                problems[problem][name] = indicator
    if check.errors:
        check.errors.sort(key=lambda e: e[0])
        raise PlanError([message for _, message in check.errors])
    return OutcomePlan(title, frame.name, version, effective_from, sustain, problems, filename,
                       hashlib.sha256(text.encode("utf-8")).hexdigest())


def _indicator(check: _Checker, spec: _Object, path: str, name: str, problem: str,
               sustain: int, frame: OutcomeFrame) -> Indicator | None:
    kind = spec.get("type")
    if kind not in INDICATOR_FIELDS:
        if "type" not in spec:
            check.fields(spec, path, set(spec), {"type"})
        else:
            check.error(spec, path + "type", f"{json.dumps(kind)} is not an indicator type; use "
                                             f"{', '.join(INDICATOR_FIELDS)}")
        return None
    before = len(check.errors)
    check.fields(spec, path, INDICATOR_FIELDS[kind], {"type"})
    values: dict[str, Any] = {
        "sustain_months": check.whole(spec, path, "sustain_months", sustain,
                                      frame.sustain_months),
        "description": check.text(spec, path, "description", ""),
    }
    if kind == "count":
        evidence = spec.get("evidence")
        if evidence not in COUNT_EVIDENCE:
            check.error(spec, path + "evidence",
                        f"{json.dumps(evidence)} is not an evidence kind to count; use "
                        f"{', '.join(COUNT_EVIDENCE)}")
        kinds = spec.get("kinds", [])
        # The records of a kind that a count may narrow to some of their kinds.
        of_kinds = {"asb": ("ASB kinds", (frame.asb_incident_kind, *frame.asb_order_kinds)),
                    "housing": ("housing event kinds", HOUSING_KINDS)}
        if "kinds" in spec and (evidence not in of_kinds or not isinstance(kinds, list)
                                or not kinds or not set(kinds) <= set(of_kinds[evidence][1])):
            check.error(spec, path + "kinds", "; ".join(
                f"is a list of {what} for evidence {name}: {', '.join(options)}"
                for name, (what, options) in of_kinds.items()
                if evidence == name or evidence not in of_kinds))
        values.update(evidence=evidence, kinds=tuple(kinds) if isinstance(kinds, list) else (),
                      window_months=check.whole(spec, path, "window_months", 6, 1),
                      at_most=check.whole(spec, path, "at_most", None, 0),
                      reduction=check.share(spec, path, "reduction"))
        if ("at_most" in spec) == ("reduction" in spec):
            check.error(spec, path + "type", "a count indicator needs at_most or reduction "
                                             "(one of the two)")
    elif kind == "school_rate":
        values.update(terms=check.whole(spec, path, "terms", 3, 1),
                      unauthorised_at_most=check.share(spec, path, "unauthorised_at_most"),
                      fixed_exclusions_at_most=check.whole(spec, path,
                                                           "fixed_exclusions_at_most", None, 0))
        if "unauthorised_at_most" not in spec:
            check.error(spec, path + "unauthorised_at_most", "is required")
    elif kind == "status":
        statuses = spec.get("status")
        if isinstance(statuses, str):
            statuses = [statuses]
        if not (isinstance(statuses, list) and statuses and set(statuses) <= set(CHILD_STATUSES)):
            check.error(spec, path + "status", f"{json.dumps(spec.get('status'))} is not a "
                                               f"child status; use {', '.join(CHILD_STATUSES)}")
            statuses = []
        values["statuses"] = tuple(statuses)
    if len(check.errors) > before:
        return None
    return Indicator(name=name, problem=problem, type=kind, **values)
