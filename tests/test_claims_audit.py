"""Internal audit at scale: the queue paged and filtered with family names and totals, a
reproducible random sample, the next claim after a decision, and confirming what cannot be
undone."""

import random
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from casework import models as m
from casework.claims import service
from casework.extensions import db

from .conftest import post_form
from .factories import create_user
from .parsed import Page
from .test_claims_pages import fingerprint


@pytest.fixture
def built(app, cli, examples):
    """The worked examples' three draft claims: E01 £700, E03 £800, E07 £100, with E01
    allocated to a FIP worker."""
    examples()
    cli("claims", "build", "--as-of", "2013-09-30")
    claims = {c.family.family_ref: c for c in db.session.scalars(select(m.Claim))}
    worker = create_user("worker", name="Wendy Worker")
    db.session.add(m.Allocation(family_id=claims["E01"].family_id, worker_id=worker.id,
                                start_on=claims["E01"].as_of))
    db.session.commit()
    return claims, worker


def claim_ids(html: str) -> list[int]:
    """The claims the worklist lists, in order: its Claims table's first column."""
    page = Page(html)
    return [int(cell.removeprefix("Claim ")) for cell in page.table("Claims").column("Claim")
            if cell.startswith("Claim ")]


def _totals(html: str) -> str:
    """The line under the claims filter that counts and totals what it selects."""
    return Page(html).main.find("p", **{"aria-live": "polite"}).text()


def test_the_queue_shows_family_names_workers_and_the_totals_of_what_it_selects(client, sign_in, built):
    claims, worker = built
    sign_in("auditor")
    page = Page(client.get("/claims/").text)
    queue = page.table("Claims")
    assert queue.column("Family")[:2] == ["E01 Taylor household", "E03 Smith household"]
    assert queue.column("FIP worker")[:2] == ["Wendy Worker", "Not allocated"]
    totals = next(p for p in page.main.find_all("p") if p.text().startswith("3 claims"))
    assert totals.find("strong").text() == "3 claims, £1,600"
    assert totals.text().startswith("3 claims, £1,600: 3 draft (£1,600)")
    by_result = client.get("/claims/?result=continuous_employment").text
    assert claim_ids(by_result) == [claims["E03"].id]
    assert _totals(by_result).startswith("1 claim, £800")
    assert claim_ids(client.get("/claims/?ward=Fant").text) == [claims["E03"].id]
    assert claim_ids(client.get(f"/claims/?worker={worker.id}").text) == [claims["E01"].id]
    assert claim_ids(client.get("/claims/?amount_min=700&amount_max=700").text) == [claims["E01"].id]
    assert claim_ids(client.get("/claims/?amount_min=701").text) == [claims["E03"].id]
    assert len(claim_ids(client.get("/claims/?date_from=2013-09-30&date_to=2013-09-30").text)) == 3
    assert claim_ids(client.get("/claims/?date_from=2013-10-01").text) == []
    assert claim_ids(client.get("/claims/?date_to=2013-09-29").text) == []


def test_the_queue_is_paged_and_the_pages_keep_the_filters(client, sign_in, built, monkeypatch):
    claims, _ = built
    monkeypatch.setattr(service, "WORKLIST_PAGE_SIZE", 2)
    sign_in("auditor")
    first = client.get("/claims/?state=draft").text
    ids = sorted(c.id for c in claims.values())
    assert claim_ids(first) == ids[:2] and _totals(first).startswith("3 claims, £1,600")
    pages = {a.text(): parse_qs(urlsplit(a.attrs["href"]).query)
             for a in Page(first).root.find("nav", cls="govuk-pagination").find_all("a")}
    assert pages["2"] == {"state": ["draft"], "page": ["2"]}
    assert claim_ids(client.get("/claims/?state=draft&page=2").text) == ids[2:]


def test_a_filter_that_is_not_a_number_or_date_is_named_and_left_out(client, sign_in, built):
    sign_in("auditor")
    page = client.get("/claims/?amount_min=lots&date_from=30/09/2013")
    assert page.status_code == 200
    assert Page(page.text).errors == ["Smallest amount must be a whole number, like 700",
                                      "Claim date from must be a real date, like 30 9 2013"]
    assert len(claim_ids(page.text)) == 3


def test_a_sample_is_drawn_at_random_with_its_seed_recorded_and_can_be_drawn_again(client, sign_in, built):
    claims, _ = built
    auditor = sign_in("auditor")
    response = post_form(client, "/claims/samples?state=draft", {"sample-percent": "50", "sample-seed": "4242",
                                                                 "sample-draw": "1"}, page_url="/claims/")
    sample = db.session.scalar(select(m.ClaimSample))
    population = sorted(c.id for c in claims.values())
    # 50% of 3 claims, rounded up: 2, drawn by random.Random(seed).sample over the ids in order.
    assert sample.seed == 4242 and sample.population == 3 and sample.filters == {"state": "draft"}
    assert sample.claim_ids == sorted(random.Random(4242).sample(population, 2))
    assert sample.created_by_id == auditor.id
    assert response.headers["Location"].endswith(f"/claims/?sample={sample.id}")
    page = client.get(response.headers["Location"]).text
    assert claim_ids(page) == sample.claim_ids
    read = Page(page)
    assert read.banners == ["Sample 1: 2 of 3 claims (50%), seed 4242."]
    inset = read.main.find(cls="govuk-inset-text")
    assert inset.text().startswith("Sample 1: 2 of 3 claims (50%), seed 4242, drawn ")
    assert [s.text() for s in inset.find_all("strong")][:2] == ["Sample 1", "4242"]
    event = db.session.scalar(select(m.AuditEvent).where(m.AuditEvent.action == "sample"))
    assert "seed 4242" in event.detail and "50% of 3 claims = 2" in event.detail
    # The same seed over the same claims draws the same sample; no seed given, one is chosen.
    post_form(client, "/claims/samples?state=draft", {"sample-percent": "50", "sample-seed": "4242",
                                                      "sample-draw": "1"}, page_url="/claims/")
    post_form(client, "/claims/samples", {"sample-percent": "34", "sample-draw": "1"}, page_url="/claims/")
    again, chosen = db.session.scalars(select(m.ClaimSample).order_by(m.ClaimSample.id)).all()[1:]
    assert again.claim_ids == sample.claim_ids
    assert chosen.seed is not None and len(chosen.claim_ids) == 2  # 34% of 3, rounded up


def test_only_auditors_draw_samples(client, sign_in, built):
    sign_in("manager")
    response = post_form(client, "/claims/samples", {"sample-percent": "10", "sample-draw": "1"},
                         page_url="/claims/")
    assert response.status_code == 403 and db.session.scalar(select(m.ClaimSample)) is None


def test_after_a_decision_the_next_draft_claim_of_the_filtered_queue_opens(client, sign_in, built):
    claims, _ = built
    sign_in("auditor")
    first, second = sorted(c.id for r, c in claims.items() if r != "E07")
    url = f"/claims/{first}?amount_min=500"
    response = post_form(client, url, {"validate_claim": "1", "checked": "y"})
    assert response.headers["Location"] == f"/claims/{second}?amount_min=500"
    assert Page(client.get(response.headers["Location"]).text).banners == [
        f"Claim {first} validated. This is the next draft claim in the worklist."]
    response = post_form(client, f"/claims/{second}?amount_min=500",
                         {"reject_claim": "1", "reason": "No payslip", "checked": "y"})
    # The last draft over £500: back to the queue, its filter kept.
    assert response.headers["Location"] == "/claims/?amount_min=500"
    assert any(b.endswith("No more draft claims in this worklist.")
               for b in Page(client.get(response.headers["Location"]).text).banners)


def test_a_decision_needs_the_auditor_to_confirm_it_cannot_be_undone(client, sign_in, built):
    claims, _ = built
    sign_in("auditor")
    response = post_form(client, f"/claims/{claims['E01'].id}", {"validate_claim": "1"})
    assert response.status_code == 200
    page = Page(response.text)
    assert page.errors == ["Confirm that you have checked the claim's evidence: a decision cannot "
                           "be undone"]
    assert page.field_errors["checked"] == page.errors[0]
    db.session.expire_all()
    assert db.session.get(m.Claim, claims["E01"].id).state == "draft"


def test_submitting_a_batch_shows_what_it_holds_and_asks_to_confirm(client, sign_in, built, cli):
    claims, _ = built
    auditor = create_user("auditor")
    for ref in ("E01", "E03"):
        cli("claims", "validate", claims[ref].id, "--by", auditor.email)
    sign_in("manager")
    response = post_form(client, "/claims/", {"batch-window": "October 2013", "batch-submit_batch": "1"})
    assert db.session.scalar(select(m.ClaimBatch)) is None  # nothing submitted yet
    page = client.get(response.headers["Location"]).text
    read = Page(page)
    assert read.h1 == "Check the batch before submitting it"
    assert read.main.find(cls="govuk-caption-l").text() == "Claim window: October 2013"
    assert read.summary["Claim dates"] == "30 September 2013"
    waiting = read.table("The 2 validated claims not yet in a batch")
    assert {r["Result"]: (r["Claims"], r["Amount"]) for r in waiting.rows} == {
        "Continuous employment": ("1", "£800"), "Crime, ASB and education": ("1", "£700"),
        "Progress to work": ("0", "£0"), "Total": ("2", "£1,500")}
    token = fingerprint(page)
    # Another claim validated meanwhile: the batch shown is no longer the one that would go.
    cli("claims", "validate", claims["E07"].id, "--by", auditor.email)
    refused = post_form(client, response.headers["Location"],
                        {"window": "October 2013", "fingerprint": token, "confirm": "1"})
    assert any("have changed since you checked them" in e for e in Page(refused.text).errors)
    assert db.session.scalar(select(m.ClaimBatch)) is None
    confirmed = post_form(client, response.headers["Location"],
                          {"window": "October 2013", "fingerprint": fingerprint(refused.text), "confirm": "1"})
    batch = db.session.scalar(select(m.ClaimBatch))
    assert confirmed.headers["Location"] == f"/claims/batches/{batch.id}"
    assert batch.window == "October 2013" and len(batch.claims) == 3
