"""The same household recorded twice inside casework (one family under two references): likely
duplicate families found by a job whose result the pages read, a pair side by side with the
records each holds, merging one into the other (every row that points at the family
re-pointed, the other's reference kept as an alias), and undoing a merge.

Which rows point at a family is declared here once (REPOINTED, DERIVED, PLAN);
tests/test_family_merge.py fails when a table with a foreign key to families is added
without being placed in one of them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import heapq
import json
import re
from collections import defaultdict

from flask import abort
from sqlalchemy import delete, func, select

from .. import clock, search
from .. import models as m
from ..access import visible_families
from ..episodes import follow_latest_episode
from ..evaluation import store
from ..evidence.kinds import EVIDENCE
from ..extensions import db
from ..history import write_history
from ..locking import lock_rows
from ..rules.dates import govdate
from ..transaction import transactional
from . import duplicates, merging

FamilyMergeRefused = merging.MergeRefused  # the name tests/test_family_merge.py knows it by

# Every (model, column) pointing at a family that a merge re-points to the family kept, with
# what the pages call its rows. Members certainly one person are then merged as people with
# the family (_merge_certain_people); others who may be one person become two people of the
# kept family: the likely duplicate people (duplicates.py) find them, a manager merges them.
REPOINTED: tuple[tuple[type, str, str], ...] = (
    (m.Person, "family_id", "Members"),
    (m.AsbRecord, "family_id", "Anti-social behaviour recorded against the family"),
    (m.DomesticAbuseIncident, "family_id", "Domestic abuse incidents of the family"),
    (m.HousingEvent, "family_id", "Housing events of the family"),
    (m.Need, "family_id", "Needs"),
    (m.Episode, "family_id", "Episodes"),
    (m.SignUp, "family_id", "Sign-ups"),
    (m.SelectionDecision, "family_id", "Selection decisions"),
    (m.ContactAttempt, "family_id", "Contact attempts"),
    (m.Allocation, "family_id", "Allocations to workers"),
    (m.Contact, "family_id", "Contacts"),
    (m.FollowUp, "family_id", "Follow-ups"),
    (m.PlanGoal, "family_id", "Plan goals"),
    (m.Referral, "family_id", "Referrals"),
    (m.Claim, "family_id", "Claims"),
    (m.SharingConsent, "family_id", "Information-sharing consents"),
    (m.TafMember, "family_id", "Team Around the Family members"),
    (m.LeadProfessional, "family_id", "Lead professionals"),
    (m.TafMeeting, "family_id", "Team Around the Family meetings"),
    (m.TafAction, "family_id", "Team Around the Family actions"),
    (m.Job, "family_id", "Jobs (documents made for the family)"),
    (m.FamilyAlias, "family_id", "Aliases (references merged into it before)"),
    (m.FamilyMerge, "kept_id", "Earlier merges into it"),
)
# The family's plan: one a family. The other's is re-pointed when the kept family has none;
# when both have one, the other's is removed and kept in the merge to put back on undo. Its
# goals and referrals are the family's rows and move; the lead professional is not the plan's
# (its old free text is no longer shown or kept up: access.lead_professional is the one
# source, whose periods `_lead_clashes` compares), so two plans never refuse a merge.
PLAN = (m.FamilyPlan, "family_id")
_MOVED = (*[(model, column) for model, column, _ in REPOINTED], PLAN)  # what a merge re-points
# Rows worked out from the others, not records: the stored evaluation, the stale mark and
# the search document. The merged family's are deleted and the kept family's worked out again.
DERIVED: tuple[tuple[type, str], ...] = (
    (m.StoredEvaluation, "family_id"), (m.StaleFamily, "family_id"),
    (m.FamilySearch, "family_id"),
)
# Pairs said to be different households that involve the merged family are removed (kept in
# the merge record, put back by undo: merging.set_aside_dismissed, put_back_dismissed).
FORGOTTEN = ((m.NotDuplicateFamily, "low_id"), (m.NotDuplicateFamily, "high_id"))

FAMILIES = merging.Subject(
    noun="family", plural="families", model=m.Family, ref="family_ref", record=m.FamilyMerge,
    alias=m.FamilyAlias, alias_column="family_id", dismissed=m.NotDuplicateFamily,
    permission="merge_families", history_type="families", source="family merge",
    search_kind="find_family_duplicates", search_title="Likely duplicate families",
    different="are different households",
    taken="The merged family's record number is now family {taken}'s: {merged} cannot be put "
          "back as it was")
SEARCH_KIND = FAMILIES.search_kind  # the name tests/test_family_merge.py knows it by
STORED = 5_000  # pairs a search keeps, the likeliest first (the pages show merging.SHOWN)
# Families (or people) sharing one key compared pair by pair at most: a larger group (every
# family at one postcode with a common name) would take quadratic time and is skipped.
GROUP_CAP = 50


# Finding likely duplicates (the job) -----------------------------------------------------------


@functools.lru_cache(maxsize=200_000)  # names repeat: each worked out once a search
def _words(value: str | None) -> str:
    """A name or address compared: case, punctuation and spacing aside."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", (value or "").lower()).split())


def _postcode(value: str | None) -> str:
    return re.sub(r"\s+", "", (value or "").upper())


def _pairs_within(groups, cap: int, add) -> tuple[int, int]:
    """Call add(a, b) for every two items of each group of at most `cap`; a larger group
    (a block of flats, a common name at one postcode, say) is skipped rather than compared
    pair by pair, which is quadratic in its size. Returns the groups and items skipped."""
    skipped = items = 0
    for group in groups:
        if len(group) > cap:
            skipped, items = skipped + 1, items + len(group)
            continue
        for i, a in enumerate(group):
            for b in group[i + 1:]:
                add(a, b)
    return skipped, items


def find(progress=None) -> tuple[str, bytes]:
    """The job's work: every pair of families that may be one household, because they have
    members in common (the same given name, family name and date of birth; or a pair the
    newest search for duplicate people found), the same address and postcode, or the same
    family name at the same postcode. Families are compared only within a group sharing one
    of those keys, and a group of more than GROUP_CAP is skipped (the summary says how many);
    only the likeliest STORED pairs are kept. Returns the summary and the result (JSON, the
    pairs by family id, the likeliest first) the pages read; nothing else is written."""
    F, P = m.Family, m.Person
    if progress:
        progress(0, 3, "steps")
    members: dict[tuple[int, int], set[tuple[int, int]]] = defaultdict(set)

    def common(a: tuple[int, int], b: tuple[int, int]) -> None:  # (family id, person id)
        if a[0] != b[0]:
            (fa, pa), (fb, pb) = sorted((a, b))
            members[(fa, fb)].add((pa, pb))

    described: dict[tuple, list[tuple[int, int]]] = defaultdict(list)
    for pid, fid, given, family, born in db.session.execute(
            select(P.id, P.family_id, P.given_name, P.family_name, P.date_of_birth)
            .where(P.date_of_birth.is_not(None))):
        described[(_words(given), _words(family), born)].append((fid, pid))
    skipped = [_pairs_within(described.values(), GROUP_CAP, common)]
    del described
    _job, people_result = merging.latest(duplicates.PEOPLE)
    if people_result is not None:
        ids = sorted({i for p in people_result["pairs"] for i in p[:2]})
        family_of: dict[int, int] = {}
        for chunk in range(0, len(ids), 5_000):
            family_of.update(db.session.execute(
                select(P.id, P.family_id).where(P.id.in_(ids[chunk:chunk + 5_000]))).all())
        for low, high, _probability in people_result["pairs"]:
            if low in family_of and high in family_of:
                common((family_of[low], low), (family_of[high], high))
    if progress:
        progress(1, 3, "steps")
    by_address: dict[tuple[str, str], list[int]] = defaultdict(list)
    by_name: dict[tuple[str, str], list[int]] = defaultdict(list)
    families = 0
    for fid, name, address, postcode in db.session.execute(
            select(F.id, F.family_name, F.address, F.postcode)):
        families += 1
        code = _postcode(postcode)
        if code:
            if _words(address):
                by_address[(code, _words(address))].append(fid)
            if _words(name):
                by_name[(code, _words(name))].append(fid)
    address: set[tuple[int, int]] = set()
    name: set[tuple[int, int]] = set()
    skipped.append(_pairs_within(by_address.values(), GROUP_CAP,
                                 lambda a, b: address.add((min(a, b), max(a, b)))))
    skipped.append(_pairs_within(by_name.values(), GROUP_CAP,
                                 lambda a, b: name.add((min(a, b), max(a, b)))))
    del by_address, by_name
    if progress:
        progress(2, 3, "steps")
    found = set(members) | address | name
    likeliest = heapq.nsmallest(
        STORED, found, key=lambda p: (-len(members.get(p, ())), p not in address,
                                      p not in name, p[0], p[1]))
    pairs = [[low, high, sorted(map(list, members.get((low, high), ()))),
              (low, high) in address, (low, high) in name] for low, high in likeliest]
    if progress:
        progress(3, 3, "steps")
    groups, items = sum(g for g, _ in skipped), sum(i for _, i in skipped)
    body = json.dumps({"families": families, "people_search": (
        people_result["job"].id if people_result else None), "pairs": pairs,
        "found": len(found), "skipped_groups": groups}).encode()
    summary = (f"{len(found):,} likely duplicate family pair{'s' if len(found) != 1 else ''} "
               f"found among {families:,} families.")
    if len(found) > len(pairs):
        summary += f" The likeliest {len(pairs):,} are kept."
    if groups:
        summary += (f" {groups:,} group{'s' if groups != 1 else ''} of more than {GROUP_CAP} "
                    f"families (or people) sharing an address, a family name at one postcode, "
                    f"or a name and date of birth ({items:,} in all) "
                    f"{'were' if groups != 1 else 'was'} too large to compare and skipped.")
    return summary, body


start_search = functools.partial(merging.start_search, FAMILIES)
not_the_same = functools.partial(merging.not_the_same, FAMILIES)
merge_or_404 = functools.partial(merging.merge_or_404, FAMILIES)


@dataclasses.dataclass(frozen=True)
class FamilyPair:
    first: m.Family
    second: m.Family
    members: list[tuple[int, int]]  # (person id of first, of second) who may be one person
    same_address: bool
    same_name: bool

    @property
    def reasons(self) -> list[str]:
        out = []
        if self.members:
            count = len(self.members)
            out.append(f"{count} member{'s' if count != 1 else ''} in common")
        if self.same_address:
            out.append("the same address")
        if self.same_name:
            out.append("the same family name at the same postcode")
        return out


def _pair(first: m.Family, second: m.Family, found: list) -> FamilyPair:
    flipped = first.id > second.id
    members = [(b, a) if flipped else (a, b) for a, b in found[2]]
    return FamilyPair(first, second, members, found[3], found[4])


def likely_duplicates(user: m.User) -> merging.Search:
    """What the newest finished search found that the user may see (merging.likely)."""
    return merging.likely(FAMILIES, user, visible_families, _pair, "families")


def found_pair(first: m.Family, second: m.Family) -> tuple[FamilyPair | None, m.Job | None]:
    """Why the newest finished search proposed the two, and that search (None, None: no
    search has finished; None, job: it did not find them)."""
    found, job = merging.found(FAMILIES, first, second)
    return (_pair(first, second, found) if found else None), job


# The records each holds ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Held:
    members: list[m.Person]
    episodes: list[m.Episode]
    claims: list[m.Claim]
    evidence: int  # partner records about the family or its members
    counts: list[tuple[str, int]]  # every kind of row re-pointed by a merge, by label


def held(family: m.Family) -> Held:
    members = list(db.session.scalars(select(m.Person).where(m.Person.family_id == family.id)
                                      .order_by(m.Person.date_of_birth, m.Person.id)))
    ids = [p.id for p in members]
    evidence = 0
    for kind in EVIDENCE:
        model = kind.model
        where = model.person_id.in_(ids) if ids else None
        if hasattr(model, "family_id"):
            own = model.family_id == family.id
            where = own if where is None else (where | own)
        if where is not None:
            evidence += db.session.scalar(select(func.count()).select_from(model).where(where))
    counts = [(label, db.session.scalar(select(func.count()).select_from(model)
                                        .where(getattr(model, column) == family.id)))
              for model, column, label in REPOINTED]
    counts.append(("Family plan", db.session.scalar(select(func.count()).select_from(
        m.FamilyPlan).where(m.FamilyPlan.family_id == family.id))))
    return Held(
        members,
        list(db.session.scalars(select(m.Episode).where(m.Episode.family_id == family.id)
                                .order_by(m.Episode.signed_up_on, m.Episode.id))),
        list(db.session.scalars(select(m.Claim).where(m.Claim.family_id == family.id)
                                .order_by(m.Claim.id))),
        evidence, counts)


def same_people(first: Held, second: Held) -> list[tuple[m.Person, m.Person, bool]]:
    """Members of the two who look like one person (the same given name, family name and
    date of birth). A merge merges those certainly one person itself (merged_with_family);
    the others become two people of one family, for a manager's person merge. Each pair
    with whether the merge merges it."""
    key = lambda p: (_words(p.given_name), _words(p.family_name), p.date_of_birth)  # noqa: E731
    theirs = defaultdict(list)
    for person in second.members:
        theirs[key(person)].append(person)
    return [(a, b, merged_with_family(a, b)) for a in first.members if a.date_of_birth
            for b in theirs.get(key(a), [])]


def _certainly_one(a: m.Person, b: m.Person) -> bool:
    """Two members of one household who are certainly one person: the same given name,
    family name and date of birth (case, punctuation and spacing aside), and nothing that
    tells them apart (sex, NHS number, unique pupil number, date of death: equal where both
    give one); twins differ in given name."""
    if a.date_of_birth is None or a.date_of_birth != b.date_of_birth:
        return False
    if (_words(a.given_name), _words(a.family_name)) != (_words(b.given_name),
                                                          _words(b.family_name)):
        return False
    return all(getattr(a, f) is None or getattr(b, f) is None or getattr(a, f) == getattr(b, f)
               for f in ("sex", "nhs_number", "upn", "date_of_death"))


def merged_with_family(a: m.Person, b: m.Person) -> bool:
    """Whether a family merge merges the two members as people itself (certainly one
    person, and no school term held by both)."""
    return _certainly_one(a, b) and not _terms_clash(a, b)


def _terms_clash(a: m.Person, b: m.Person) -> bool:
    T = m.SchoolTerm
    return bool(db.session.execute(
        select(T.academic_year, T.term).where(T.person_id == a.id)
        .intersect(select(T.academic_year, T.term).where(T.person_id == b.id))).first())


def _merge_certain_people(kept_people: list[int], moved_people: list[int],
                          user: m.User) -> list[int]:
    """Merge each moved member who is certainly one of the kept family's own members into
    them (duplicates.merge, in this transaction); returns the person merges' ids. A pair
    whose school terms clash is left for a manager (the person merge would refuse it)."""
    done = []
    kept = list(db.session.scalars(select(m.Person).where(m.Person.id.in_(kept_people))
                                   .order_by(m.Person.id))) if kept_people else []
    moved = list(db.session.scalars(select(m.Person).where(m.Person.id.in_(moved_people))
                                    .order_by(m.Person.id))) if moved_people else []
    used: set[int] = set()
    for b in moved:
        a = next((a for a in kept if a.id not in used and _certainly_one(a, b)), None)
        if a is None or not merged_with_family(a, b):
            continue
        used.add(a.id)
        done.append(duplicates.merge(a, b, user).id)
    return done


# What must not be merged -----------------------------------------------------------------------

TURN_AROUND_RESULTS = ("continuous_employment", "crime_asb_education")


def _claim_words(claim: m.Claim) -> str:
    return f"claim {claim.id} ({claim.result.replace('_', ' ')}, {claim.state})"


def _overlap(a: m.Episode, b: m.Episode) -> bool:
    """Whether two episodes were open at once (docs/episodes.md: a family signs up again no
    earlier than its last episode closed, so one closing on the day the other was signed up
    for does not overlap it; an open episode runs on without end)."""
    return ((b.closed_on is None or a.signed_up_on < b.closed_on)
            and (a.closed_on is None or b.signed_up_on < a.closed_on))


def _episode_words(episode: m.Episode) -> str:
    return (f"{episode.programme} from {govdate(episode.signed_up_on)} "
            + (f"to {govdate(episode.closed_on)}" if episode.closed_on else "still open"))


def refusals(kept: m.Family, other: m.Family) -> list[str]:
    """Every reason the two may not be merged as they stand (none: they may), in words. The
    rules: a family has at most one open episode and one open allocation, is decided on once
    at a selection meeting, has at most one claim of each kind bar rejected ones (one
    turn-around claim, one progress-to-work claim, one results claim of a later programme),
    never a progress-to-work claim beside a continuous-employment claim made without its
    deduction. Two references that both hold a submitted claim were both
    paid: that is for the claims team to correct, not a merge. Episodes of the two must not
    overlap in time (a family's follow one another), nor their lead professional periods
    (access.lead_professional's one source)."""
    pair = f"{kept.family_ref} and {other.family_ref}"
    problems = []
    if kept.id == other.id:
        return ["Choose two different families"]
    E = m.Episode
    episodes = [list(db.session.scalars(select(E).where(E.family_id == f.id)
                                        .order_by(E.signed_up_on, E.id)))
                for f in (kept, other)]
    open_episodes = [next((e for e in mine if e.closed_on is None), None) for mine in episodes]
    if all(open_episodes):
        problems.append(
            f"{pair} both have an open episode ({open_episodes[0].programme} from "
            f"{govdate(open_episodes[0].signed_up_on)}, {open_episodes[1].programme} from "
            f"{govdate(open_episodes[1].signed_up_on)}): a family has at most one open "
            "episode, so close the one opened under the duplicate reference first")
    overlapping = [(a, b) for a in episodes[0] for b in episodes[1] if _overlap(a, b)
                   and not (a.closed_on is None and b.closed_on is None)]
    if overlapping:
        problems.append(
            f"{pair} have episodes that overlap in time ("
            + "; ".join(f"{_episode_words(a)} and {_episode_words(b)}" for a, b in overlapping)
            + "): a family's episodes follow one another (a new one signed up no earlier "
            "than the last closed), so correct the dates of the one under the duplicate "
            "reference first")
    A = m.Allocation
    if all(db.session.scalar(select(A.id).where(A.family_id == f.id, A.end_on.is_(None)))
           for f in (kept, other)):
        problems.append(f"{pair} are both allocated to a worker now: end one of the "
                        "allocations first (a family is held by one worker at a time)")
    S = m.SelectionDecision
    meetings = db.session.execute(
        select(S.meeting_id).where(S.family_id == kept.id)
        .intersect(select(S.meeting_id).where(S.family_id == other.id))).scalars().all()
    if meetings:
        problems.append(f"{pair} were both decided on at the same selection meeting "
                        f"(meeting {', '.join(map(str, sorted(meetings)))}): a meeting "
                        "decides once about a family")
    claims = {f.id: list(db.session.scalars(select(m.Claim).where(
        m.Claim.family_id == f.id, m.Claim.state != "rejected").order_by(m.Claim.id)))
        for f in (kept, other)}
    mine, theirs = claims[kept.id], claims[other.id]
    for kind in sorted({c.claim_kind for c in mine} & {c.claim_kind for c in theirs}):
        both = [c for c in mine + theirs if c.claim_kind == kind]
        problems.append(
            f"{pair} both have a {kind.replace('_', '-')} claim ("
            + ", ".join(_claim_words(c) for c in both) + "): a family is paid at most one, "
            "so reject the duplicate claim first (a submitted claim is never changed: "
            "correct it with the claims team)")
    results = ({c.result for c in mine}, {c.result for c in theirs})
    if any("continuous_employment" in a and "progress_to_work" in b
           for a, b in (results, results[::-1])):
        problems.append(
            f"{pair} hold a continuous employment claim and a progress to work claim between "
            "them: one family's continuous employment claim is paid less what progress to "
            "work paid, which these claims were not, so reject one of them first")
    submitted = [[c for c in claims[f.id] if c.state == "submitted"] for f in (kept, other)]
    if all(submitted):
        problems.append(
            f"{pair} both have a claim already submitted for payment ("
            + ", ".join(_claim_words(c) for c in submitted[0] + submitted[1])
            + "): one household was paid under two references, which the claims team "
            "corrects; a merge cannot")
    problems.extend(_lead_clashes(pair, kept, other))
    return problems


def _lead_words(lead: m.LeadProfessional) -> str:
    return (f"{lead.user.name} from {govdate(lead.from_on)}"
            + (f" to {govdate(lead.to_on)}" if lead.to_on else ""))


def _lead_clashes(pair: str, kept: m.Family, other: m.Family) -> list[str]:
    """A family has one lead professional at a time (periods inclusive, a hand-over ending
    one the day before the next begins): two current ones, or periods overlapping, refuse."""
    L = m.LeadProfessional
    leads = [list(db.session.scalars(select(L).where(L.family_id == f.id)
                                     .order_by(L.from_on, L.id))) for f in (kept, other)]
    today = clock.today()
    current = [[p for p in mine if p.to_on is None or p.current_on(today)] for mine in leads]
    if all(current):
        return [f"{pair} both have a current lead professional ("
                + "; ".join(_lead_words(p) for p in current[0] + current[1])
                + "): a family has one at a time, so hand over or end the one under the "
                "duplicate reference first"]
    overlapping = [(a, b) for a in leads[0] for b in leads[1]
                   if (b.to_on is None or a.from_on <= b.to_on)
                   and (a.to_on is None or b.from_on <= a.to_on)]
    if overlapping:
        return [f"{pair} have lead professional periods that overlap ("
                + "; ".join(f"{_lead_words(a)} and {_lead_words(b)}" for a, b in overlapping)
                + "): a family has one at a time, so correct the periods first"]
    return []


# Merging and undoing ---------------------------------------------------------------------------


def _locked(user: m.User, ids: list[int]) -> dict[int, m.Family]:
    """Lock the families (PostgreSQL: their rows; SQLite: the one write lock) before anything
    is read, so two managers merging the same families at once are served one after the
    other and the second sees the first's merge; then read them again."""
    merging.check(FAMILIES, user)
    lock_rows((m.Family, ids))
    return {f.id: f for f in db.session.scalars(
        select(m.Family).where(m.Family.id.in_(ids)).execution_options(populate_existing=True))}


@transactional
def merge(kept: m.Family, other: m.Family, user: m.User) -> m.FamilyMerge:
    """Merge `other` into `kept`: every row pointing at other re-pointed to kept (REPOINTED,
    PLAN), other's derived rows removed (DERIVED), its family_ref kept as an alias of kept
    (a later file naming it imports to kept), other removed; with history, an audit row, the
    search document and stored evaluation worked out again. Refused, changing nothing, with
    every reason at once (refusals). Undone by `undo`."""
    kept_id, other_id, kept_ref, other_ref = kept.id, other.id, kept.family_ref, other.family_ref
    found = _locked(user, [kept_id, other_id])
    if kept_id == other_id:
        raise merging.MergeRefused("Choose two different families")
    gone = [ref for fid, ref in ((kept_id, kept_ref), (other_id, other_ref)) if fid not in found]
    if gone:
        raise merging.MergeRefused([f"Family {ref} no longer exists: it has just been merged "
                                    "into another" for ref in gone])
    kept, other = found[kept_id], found[other_id]
    problems = refusals(kept, other)
    if problems:
        raise merging.MergeRefused(problems)
    snapshot = merging.snapshot(other, m.Family)
    # The kept family's own dates, for undo when no episode of its own is left to follow.
    snapshot["kept_dates"] = {k: getattr(kept, k) and getattr(kept, k).isoformat()
                              for k in ("attached_on", "closed_on")}
    kept_people = list(db.session.scalars(select(m.Person.id).where(
        m.Person.family_id == kept.id)))
    plans = {f.id: db.session.scalar(select(m.FamilyPlan).where(m.FamilyPlan.family_id == f.id))
             for f in (kept, other)}
    if plans[other.id] is not None and plans[kept.id] is not None:
        snapshot["plan"] = merging.snapshot(plans[other.id], m.FamilyPlan)
        db.session.delete(plans[other.id])
        db.session.flush()
    moved = merging.repoint(_MOVED, other.id, kept.id)
    merging.set_aside_dismissed(FAMILIES, snapshot, other.id)
    for model, column in DERIVED:
        db.session.execute(delete(model).where(getattr(model, column) == other.id),
                           execution_options={"synchronize_session": False})
    # A person merged before from the family merged away is put back, if that merge is
    # undone, into the family kept (and into their own again if this one is undone).
    retargeted = []
    for person_merge in db.session.scalars(select(m.PersonMerge).where(
            m.PersonMerge.undone_at.is_(None)).order_by(m.PersonMerge.id)):
        if person_merge.merged.get("family_id") == other.id:
            person_merge.merged = {**person_merge.merged, "family_id": kept.id}
            retargeted.append(person_merge.id)
    if retargeted:
        snapshot["person_merges_retargeted"] = retargeted
    record = merging.keep_alias(FAMILIES, kept, other, snapshot, moved, user)
    db.session.expire_all()
    db.session.execute(delete(m.Family).where(m.Family.id == other_id),
                       execution_options={"synchronize_session": False})
    kept = db.session.get(m.Family, kept_id)
    people = _merge_certain_people(kept_people, moved.get("people.family_id", []), user)
    if people:
        record.merged = {**record.merged, "person_merges": people}
    follow_latest_episode(kept, user, f"family merge {record.id}")
    search.rewrite([kept_id])
    store.mark_stale([kept_id])
    merging.record_merged(
        FAMILIES, record, kept_ref, user, kept_family_ref=kept_ref, other_family_ref=other_ref,
        also=(", its plan removed in favour of the kept family's" if "plan" in snapshot else "")
        + (f", {len(people)} member{'s' if len(people) != 1 else ''} certainly one person "
           "merged (person merge " + ", ".join(map(str, people)) + ")" if people else ""))
    return record


def merge_kept_or_404(user: m.User, record: m.FamilyMerge) -> m.Family:
    """The family a merge kept, if the user may see it; 404 otherwise."""
    family = db.session.scalar(visible_families(user).where(m.Family.id == record.kept_id))
    if family is None:
        abort(404)
    return family


def moved_counts(record: m.FamilyMerge) -> list[tuple[str, int]]:
    """What a merge re-pointed, by kind, in words."""
    labels = {f"{model.__tablename__}.{column}": label for model, column, label in REPOINTED}
    labels["family_plans.family_id"] = "Family plan"
    return merging.moved_counts(record, labels)


def person_merges(record: m.FamilyMerge) -> list[m.PersonMerge]:
    """The person merges the family merge made (members certainly one person)."""
    ids = record.merged.get("person_merges", [])
    return list(db.session.scalars(select(m.PersonMerge).where(m.PersonMerge.id.in_(ids))
                                   .order_by(m.PersonMerge.id))) if ids else []


# Rows of a family that point at another of its rows, with what the pages call each: an undo
# must not leave one with the family kept pointing at one going back, or the other way.
LINKS: tuple[tuple[type, str, str, type, str], ...] = (
    (m.Referral, "episode_id", "referral", m.Episode, "episode"),
    (m.SharingConsent, "episode_id", "information-sharing consent", m.Episode, "episode"),
    (m.Allocation, "episode_id", "allocation", m.Episode, "episode"),
    (m.Claim, "episode_id", "claim", m.Episode, "episode"),
    (m.FollowUp, "contact_id", "follow-up", m.Contact, "contact"),
    (m.TafAction, "owner_id", "Team Around the Family action", m.TafMember, "team member"),
    (m.TafAction, "meeting_id", "Team Around the Family action", m.TafMeeting, "meeting"),
)


def _links_across(record: m.FamilyMerge, kept: m.Family) -> list[str]:
    """Rows added to (or changed in) the family kept since the merge that point at rows the
    undo takes back, or rows going back that point at rows staying: each named, in words
    (undoing would leave them linking the two families)."""
    going: dict[type, set[int]] = {}

    def back(model: type) -> set[int]:  # the model's rows the undo takes back
        if model not in going:
            moved = record.moved.get(f"{model.__tablename__}.family_id", [])
            going[model] = {i for chunk in range(0, len(moved), 5_000)
                            for i in db.session.scalars(select(model.id).where(
                                model.id.in_(moved[chunk:chunk + 5_000]),
                                model.family_id == kept.id))}
        return going[model]

    merged, kept_ref = record.merged_ref, kept.family_ref
    problems = []
    for model, column, label, target, target_label in LINKS:
        col = getattr(model, column)
        for row_id, target_id in db.session.execute(
                select(model.id, col).where(model.family_id == kept.id, col.is_not(None))
                .order_by(model.id)):
            row_back, target_back = row_id in back(model), target_id in back(target)
            if row_back != target_back:
                problems.append(
                    f"{label.capitalize()} {row_id} "
                    + (f"goes back to {merged} but points at {target_label} {target_id}, "
                       f"which stays with {kept_ref}" if row_back else
                       f"stays with {kept_ref} (added since the merge) but points at "
                       f"{target_label} {target_id}, which goes back to {merged}"))
    A = m.TafAttendance
    meetings, members = back(m.TafMeeting), back(m.TafMember)
    for _row_id, meeting_id, member_id in db.session.execute(
            select(A.id, A.meeting_id, A.member_id)
            .join(m.TafMeeting, A.meeting_id == m.TafMeeting.id)
            .where(m.TafMeeting.family_id == kept.id).order_by(A.id)):
        if (meeting_id in meetings) != (member_id in members):
            problems.append(
                f"The attendance of team member {member_id} at meeting {meeting_id} would "
                f"link {merged} and {kept_ref} (one goes back, the other stays)")
    if problems:
        problems.append(f"Undoing would leave these linking {merged} and {kept_ref}: move or "
                        "remove them first")
    return problems


@transactional
def undo(record: m.FamilyMerge, user: m.User) -> m.Family:
    """Put a merged family back as it was, with every row the merge moved (rows added to the
    family kept since, through the alias or on its pages, stay with it)."""
    record_id = record.id
    merging.check(FAMILIES, user)
    # Lock (PostgreSQL: the rows; SQLite: the one write lock) the family the record names as
    # kept, then the merge record itself (families first, as a merge locks them before it
    # moves a record's kept_id, so the two never wait on each other), and read the record
    # again: a merge of the kept family into a third committed meanwhile moved its kept_id.
    seen_kept = record.kept_id
    lock_rows((m.Family, [seen_kept]), (m.FamilyMerge, [record_id]))
    record = db.session.scalar(select(m.FamilyMerge).where(m.FamilyMerge.id == record_id)
                               .execution_options(populate_existing=True))
    if record.kept_id != seen_kept:
        raise merging.MergeRefused("The family kept has just been merged into another: "
                                   "open this merge again and undo it from there")
    merging.refuse_undone(record)
    # Never None: a later merge of the kept family moves kept_id on (REPOINTED).
    kept = db.session.get(m.Family, record.kept_id)
    merging.refuse_taken(FAMILIES, record)
    tangled = _links_across(record, kept)
    if tangled:
        raise merging.MergeRefused(tangled)
    snapshot = dict(record.merged)
    for person_merge_id in reversed(snapshot.pop("person_merges", [])):
        person_merge = db.session.get(m.PersonMerge, person_merge_id)
        if person_merge is not None and person_merge.undone_at is None:
            try:
                duplicates.undo(person_merge, user)
            except merging.MergeRefused as refused:
                raise merging.MergeRefused([
                    f"The merge of {person_merge.merged_ref}, a member certainly the same "
                    f"person, cannot be undone: {refused}"]) from refused
    kept = db.session.get(m.Family, record.kept_id)
    for person_merge in db.session.scalars(select(m.PersonMerge).where(m.PersonMerge.id.in_(
            snapshot.pop("person_merges_retargeted", [])))):
        if person_merge.merged.get("family_id") == kept.id:
            person_merge.merged = {**person_merge.merged, "family_id": snapshot["id"]}
    plan = snapshot.pop("plan", None)
    kept_dates = snapshot.pop("kept_dates", {})
    family = merging.put_back(FAMILIES, record, _MOVED, kept.id, snapshot, user)
    if plan is not None:
        db.session.add(merging.restore(plan, m.FamilyPlan))
    merging.put_back_dismissed(FAMILIES, record)
    db.session.flush()
    db.session.expire_all()
    kept, family = db.session.get(m.Family, record.kept_id), db.session.get(m.Family, family.id)
    if not follow_latest_episode(kept, user, f"family merge {record.id} undone"):
        dates = {k: v and dt.date.fromisoformat(v) for k, v in kept_dates.items()}
        if write_history("families", kept.family_ref,
                         {k: getattr(kept, k) for k in dates}, dates, user,
                         f"family merge {record.id} undone", kept.family_ref):
            for k, v in dates.items():
                setattr(kept, k, v)
            kept.version = (kept.version or 0) + 1
    search.rewrite([kept.id, family.id])
    store.mark_stale([kept.id, family.id])
    merging.record_undone(FAMILIES, record, kept.family_ref, family.family_ref, user,
                          kept_family_ref=kept.family_ref, back_family_ref=family.family_ref)
    return family
