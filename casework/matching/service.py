"""Matching rows that describe a person (name, date of birth, postcode, sex) to the people
in the register: the stored model versions, remembered decisions and the rows waiting for review."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select

from .. import models as m
from ..audit import record_event
from ..extensions import db
from ..lookups import one_of_chunks
from ..transaction import transactional
from . import engine, normalise

STARTING_MODEL = Path(__file__).parent / "starting_model.json"


class MatchRefused(Exception):
    """Matching cannot be done: the message says why."""


@dataclasses.dataclass(frozen=True)
class Described:
    """A person as a partner row describes them."""

    given_name: str
    family_name: str
    date_of_birth: dt.date
    postcode: str | None = None
    sex: str | None = None

    @property
    def identity_key(self) -> str:
        parts = (normalise.given_name(self.given_name), normalise.family_name(self.family_name),
                 self.date_of_birth.isoformat(), normalise.postcode(self.postcode),
                 (self.sex or "").lower() or None)
        return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


@dataclasses.dataclass(frozen=True)
class Candidate:
    person_id: int
    person_ref: str
    match_probability: float
    match_weight: float
    waterfall: list[dict] | None = None


@dataclasses.dataclass(frozen=True)
class Match:
    """The outcome for one described person."""

    decision: str  # linked, review or unmatched
    person_id: int | None
    person_ref: str | None
    match_probability: float
    candidates: tuple[Candidate, ...] = ()
    remembered: m.MatchReview | None = None  # the person's decision that settled it


def thresholds() -> tuple[float, float]:
    """(link above, review above): match probabilities from the instance configuration."""
    config = current_app.config
    return config["MATCH_LINK_PROBABILITY"], config["MATCH_REVIEW_PROBABILITY"]


# Model versions ---------------------------------------------------------------------------


def latest_model() -> m.MatchModel | None:
    """The newest version in use (a refused version is never used)."""
    return db.session.scalar(select(m.MatchModel).where(m.MatchModel.status == "in use")
                             .order_by(m.MatchModel.id.desc()).limit(1))


def starting_model() -> m.MatchModel:
    """The model casework ships with (trained without labels on generated data, see
    docs/matching.md), as an unsaved version."""
    shipped = json.loads(STARTING_MODEL.read_text(encoding="utf-8"))
    return m.MatchModel(source=shipped["source"], register_size=shipped["register_size"],
                        model=shipped["model"])


def model_for_use(*, store: bool) -> m.MatchModel:
    """The newest stored model; with none stored, the starting model, stored as version 1
    when `store` (a link must name the version that made it)."""
    model = latest_model()
    if model is None:
        model = starting_model()
        if store:
            db.session.add(model)
            db.session.flush()
    return model


def _scaled(model: m.MatchModel, register_size: int) -> dict[str, Any]:
    """The Splink model with its prior for today's register: the chance that a row and a
    random person match falls as the register grows (the same share of rows, spread over
    more people)."""
    settings = copy.deepcopy(model.model)
    prior = settings["probability_two_random_records_match"]
    settings["probability_two_random_records_match"] = min(
        0.5, prior * model.register_size / max(register_size, 1))
    return settings


# The check before a trained version goes into use: on the rows already decided when there
# are at least this many, otherwise on the file it was trained on.
MIN_DECIDED = 20
DECIDED_CHECKED = 5000  # the newest decided rows the check scores


@transactional
def train(described: Sequence[Described], source: str, user: m.User | None = None
          ) -> m.MatchModel:
    """Train a new model version on these rows against the register (and on the rows people
    have decided), check it against the version in use and store it: in use when it is no
    worse, "refused" (stored, never used) when it is. The check is kept on the version."""
    register, refs = _register()
    if len(described) < 100 or len(register["unique_id"]) < 100:
        raise MatchRefused("training needs at least 100 rows and 100 people in the register; "
                           "the current model is kept")
    in_use = model_for_use(store=True)
    decided = _decided_rows()
    accepted = [(d, truth) for d, truth, _ in decided if truth in refs]
    file_rows = _prepared(described)
    in_use_on_file = _decisions(in_use, file_rows, register)
    incoming = _prepared([*described, *(d for d, _ in accepted)])
    labels = [(len(described) + i, truth) for i, (_, truth) in enumerate(accepted)]
    trained = engine.train(incoming, register, labels, fallback=in_use.model,
                           recall=engine.exact_recall(file_rows, register, in_use_on_file))
    model = m.MatchModel(source=source[:300], register_size=len(register["unique_id"]),
                         model=trained, trained_by_id=user.id if user else None)
    model.check = _check(in_use, model, described, decided, register)
    model.status = "refused" if model.check["worse"] else "in use"
    db.session.add(model)
    db.session.flush()
    record_event("train", "match_model", str(model.id), user=user,
                 detail=f"{model.status}: {model.check['verdict']}")
    return model


def _decided_rows() -> list[tuple[Described, int | None, set[int]]]:
    """The newest rows people have decided: (the described person, the person they chose or
    None, the people they rejected)."""
    out = []
    for review in db.session.scalars(
        select(m.MatchReview).where(m.MatchReview.status != "waiting")
        .order_by(m.MatchReview.id.desc()).limit(DECIDED_CHECKED)
    ):
        described = Described(review.given_name, review.family_name, review.date_of_birth,
                              review.postcode, review.sex)
        if review.status == "accepted":
            out.append((described, review.person_id, set()))
        else:
            out.append((described, None, {c["person_id"] for c in review.candidates}))
    return out


def _decisions(model: m.MatchModel, incoming: dict[str, list], register: dict[str, list]
               ) -> dict[int, engine.Outcome]:
    link_above, review_above = thresholds()
    settings = _scaled(model, len(register["unique_id"]))
    with engine.Scoring(incoming, register, settings) as scoring:
        return engine.decide(scoring.candidates, register, link_above, review_above,
                             engine.nobody_share(settings, len(register["unique_id"])))


def _check(in_use: m.MatchModel, new: m.MatchModel, described: Sequence[Described],
           decided: list, register: dict[str, list]) -> dict[str, Any]:
    """Both versions side by side: on the rows already decided (right and wrong links, rows
    sent to review, rows left unmatched) and on the training file (linked, review,
    unmatched); and whether the new one is worse."""
    out: dict[str, Any] = {"compared_with": in_use.id, "decided_rows": len(decided),
                           "file_rows": len(described)}
    file_rows = _prepared(described)
    decided_rows = _prepared([d for d, _, _ in decided]) if decided else None
    for name, model in (("in_use", in_use), ("new", new)):
        outcomes = _decisions(model, file_rows, register)
        tally = {"linked": 0, "review": 0, "unmatched": len(described)}
        for outcome in outcomes.values():
            tally[outcome.decision] += 1
            tally["unmatched"] -= 1
        out[f"file_{name}"] = tally
        right = wrong = review = 0
        if decided_rows is not None:
            outcomes = _decisions(model, decided_rows, register)
            for i, (_d, truth, rejected) in enumerate(decided):
                outcome = outcomes.get(i)
                decision = outcome.decision if outcome else "unmatched"
                if decision == "review":
                    review += 1
                elif truth is not None:
                    right += decision == "linked" and outcome.register_id == truth
                    wrong += decision == "linked" and outcome.register_id != truth
                else:  # "none of these": right unless linked to one of them
                    linked_rejected = decision == "linked" and outcome.register_id in rejected
                    wrong += linked_rejected
                    right += not linked_rejected
        out[f"decided_{name}"] = {"right": right, "wrong": wrong, "review": review,
                                  "missed": len(decided) - right - wrong - review}
    old, new_ = out["decided_in_use"], out["decided_new"]
    if len(decided) >= MIN_DECIDED:
        worse = new_["wrong"] > old["wrong"] or new_["right"] < old["right"]
        out["verdict"] = (
            f"on the {len(decided)} rows already decided, version {in_use.id} in use "
            f"{old['right']} right and {old['wrong']} wrong, the new version {new_['right']} "
            f"right and {new_['wrong']} wrong: " + ("worse, kept out of use" if worse
                                                    else "no worse, now in use"))
    else:
        old, new_ = out["file_in_use"], out["file_new"]
        # No truth to go by: worse when it links no more rows and sends no fewer to review,
        # and differs (the case: as many linked, four times as many sent to review).
        worse = (new_["linked"] <= old["linked"] and new_["review"] >= old["review"]
                 and (new_["linked"], new_["review"]) != (old["linked"], old["review"]))
        out["verdict"] = (
            f"fewer than {MIN_DECIDED} rows decided, so checked on the file: version "
            f"{in_use.id} in use links {old['linked']} and sends {old['review']} to review, "
            f"the new version links {new_['linked']} and sends {new_['review']}: "
            + ("worse, kept out of use" if worse else "no worse, now in use"))
    out["worse"] = worse
    return out


# Matching ---------------------------------------------------------------------------------


def _prepared(described: Sequence[Described]) -> dict[str, list]:
    return engine.prepare([
        {"unique_id": i, "given_name": d.given_name, "family_name": d.family_name,
         "date_of_birth": d.date_of_birth, "postcode": d.postcode, "sex": d.sex}
        for i, d in enumerate(described)])


def _register() -> tuple[dict[str, list], dict[int, str]]:
    """Every person with their family's postcode, as the model's columns; and person_refs."""
    rows = db.session.execute(
        select(m.Person.id, m.Person.person_ref, m.Person.given_name, m.Person.family_name,
               m.Person.date_of_birth, m.Person.sex, m.Family.postcode)
        .join(m.Family, m.Person.family_id == m.Family.id)
        .where(m.Person.date_of_birth.is_not(None))  # an unborn child is matched by no one
    ).all()
    prepared = engine.prepare([
        {"unique_id": pid, "given_name": given, "family_name": family, "date_of_birth": born,
         "sex": sex, "postcode": postcode}
        for pid, _ref, given, family, born, sex, postcode in rows
    ])
    return prepared, {row[0]: row[1] for row in rows}


def remembered(keys: set[str]) -> dict[str, list[m.MatchReview]]:
    """The decisions already made about these described people, oldest first."""
    found: dict[str, list[m.MatchReview]] = {}
    for where in one_of_chunks(m.MatchReview.identity_key, sorted(keys)):
        for review in db.session.scalars(
            select(m.MatchReview).where(where, m.MatchReview.status != "waiting")
            .order_by(m.MatchReview.decided_at, m.MatchReview.id)
        ):
            found.setdefault(review.identity_key, []).append(review)
    return found


def match(described: Sequence[Described], model: m.MatchModel) -> list[Match]:
    """The outcome for each described person, in order, with the match weights of the
    candidates of every row that goes to review."""
    if not described:
        return []
    register, refs = _register()
    if not register["unique_id"]:
        return [Match("unmatched", None, None, 0.0) for _ in described]
    keys = [d.identity_key for d in described]
    decided = remembered(set(keys))
    incoming = _prepared(described)
    link_above, review_above = thresholds()
    settings = _scaled(model, len(refs))
    with engine.Scoring(incoming, register, settings) as scoring:
        rejected = {(i, c["person_id"]) for i, key in enumerate(keys)
                    for r in decided.get(key, ()) if r.status == "rejected"
                    for c in r.candidates}
        pairs = [c for c in scoring.candidates if (c.incoming_id, c.register_id) not in rejected]
        outcomes = engine.decide(pairs, register, link_above, review_above,
                                 engine.nobody_share(settings, len(refs)))
        review_pairs = {(i, cand[0]) for i, o in outcomes.items() if o.decision == "review"
                        for cand in o.candidates}
        explained = scoring.waterfalls(review_pairs)
    results = []
    for i, key in enumerate(keys):
        accepted = [r for r in decided.get(key, ()) if r.status == "accepted"]
        outcome = outcomes.get(i)
        if accepted:  # a person said who this is: that stands
            chosen = accepted[-1]
            probability = next((p for pid, p, _ in (outcome.candidates if outcome else ())
                                if pid == chosen.person_id), None)
            if probability is None:
                probability = next(c["match_probability"] for c in chosen.candidates
                                   if c["person_id"] == chosen.person_id)
            results.append(Match("linked", chosen.person_id, refs.get(chosen.person_id),
                                 probability, remembered=chosen))
            continue
        if outcome is None:
            results.append(Match("unmatched", None, None, 0.0))
            continue
        candidates = tuple(
            Candidate(pid, refs[pid], p, w, explained.get((i, pid)))
            for pid, p, w in outcome.candidates
        )
        person = outcome.register_id if outcome.decision != "unmatched" else None
        results.append(Match(outcome.decision, person, refs.get(person),
                             outcome.match_probability, candidates))
    return results
