"""The claim batch PDF when one family has claims under two programmes: each claim has its
own section, headed with its programme, result and amount, holding the records that decided
it, read from its own frozen snapshot; page 1 sums the batch by programme and result. And
the words of the claim PDF and the claim page: parameters by name and value, dates written
out, the council's name on one line; a warning wherever later-programme claims are made
under the worked-example Outcome Plan shipped with casework."""

import dataclasses
import json
import re
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from casework import models as m
from casework.extensions import db
from casework.reports.claim_evidence import PARAMETER_LABELS
from casework.rules.ruleset import RULESETS

from .factories import create_user
from .parsed import parse

# E01 (attached 16 Jul 2012, crime/ASB/education met on 30 Sep 2013) comes back in 2015: the
# families file signs it up again (a new episode, under the 2015-20 programme), with two
# needs, both met by 30 Sep 2016.
AGAIN = "family_ref,family_name,attached_on\nE01,Taylor household,2015-06-01\n"
NEEDS = ("need_ref,family_ref,person_ref,problem,indicator,identified_on\n"
         "N-E1,E01,P00001,health,health_improved,2015-05-01\n"
         "N-E2,E01,,domestic_abuse,no_incidents,2015-06-01\n")
ASSESSMENTS = ("assessment_ref,need_ref,date,outcome,assessed_by,note\n"
               "AS-E1,N-E1,2016-01-15,positive,Sam Worker (key worker),GP confirms it is managed\n")
PROGRAMMES = ("Troubled Families 2012-15", "Expanded programme 2015-20", "Supporting Families")
CLAIM_HEAD = re.compile(r"^ *Claim (\d+): (" + "|".join(PROGRAMMES) + r"): (.+): £([\d,]+) *$",
                        re.MULTILINE)
LONG_NAME = "Royal Borough of Kensington and Chelsea"
SHIPPED = Path(m.__file__).parent / "outcomes" / "plans"


def pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def flat(text: str) -> str:
    return " ".join(text.split())


def family_sections(text: str) -> dict[str, str]:
    """Each family's evidence file, from its heading to the next family's."""
    heads = list(re.finditer(r"^ *(E\d\d): .+ household *$", text, re.MULTILINE))
    return {h.group(1): text[h.start():heads[i + 1].start() if i + 1 < len(heads) else len(text)]
            for i, h in enumerate(heads)}


def claim_sections(family: str) -> list[dict]:
    """The claims of one family's file, each its heading's fields and its text (to the next
    claim's heading)."""
    heads = list(CLAIM_HEAD.finditer(family))
    return [{"id": int(h.group(1)), "programme": h.group(2), "result": h.group(3),
             "amount": int(h.group(4).replace(",", "")),
             "text": flat(family[h.end():heads[i + 1].start() if i + 1 < len(heads)
                                else len(family)])}
            for i, h in enumerate(heads)]


@pytest.fixture
def two_programme_batch(app, cli, examples, tmp_path):
    """A submitted batch holding E01's 2012-15 claim and its 2015-20 claim (and the other
    families' 2012-15 claims); returns the PDF's path."""
    app.config["COUNCIL_NAME"] = LONG_NAME
    examples()
    assert cli("claims", "build", "--as-of", "2013-09-30").exit_code == 0
    for kind, body in (("families", AGAIN), ("needs", NEEDS), ("assessments", ASSESSMENTS)):
        (tmp_path / f"{kind}.csv").write_text(body)
        result = cli("import", kind, tmp_path / f"{kind}.csv")
        assert result.exit_code == 0, result.output
    result = cli("claims", "build", "--ruleset", "phase2", "--as-of", "2016-09-30")
    assert result.exit_code == 0, result.output
    auditor = create_user("auditor", name="Pat Auditor")
    for claim in db.session.scalars(select(m.Claim)):
        assert cli("claims", "validate", claim.id, "--by", auditor.email).exit_code == 0
    batch_id = cli("claims", "batch", "--window", "October 2016").output.split()[-1]
    out = tmp_path / "batch.pdf"
    result = cli("claims", "pdf", batch_id, "-o", out)
    assert result.exit_code == 0, result.output
    return out


def test_a_family_with_claims_under_two_programmes_shows_each_claims_own_evidence(
        two_programme_batch):
    e01 = family_sections(pdf_text(two_programme_batch))["E01"]
    assert "2 claims in this batch" in flat(e01)
    claims = claim_sections(e01)
    assert [(c["programme"], c["result"], c["amount"]) for c in claims] == [
        ("Troubled Families 2012-15", "Crime, anti-social behaviour and education", 700),
        ("Expanded programme 2015-20", "Family outcome: every need met", 800)]
    phase1, phase2 = (c["text"] for c in claims)
    # The 2012-15 claim: identification with its records, the ASB incidents in both windows,
    # the offences, each child's school terms and the arithmetic, from its own snapshot
    # (attached in 2012, though the family was attached again in 2015).
    assert "Claim dated 30 September 2013." in phase1
    assert "attached 16 July 2012 (programme year 1" in phase1
    assert "Identification window: 3 Jul 2011 to 2 Jul 2012" in phase1
    for record in ("O00005, 14 Feb 2012: proven offence, P00002 (aged 15)",
                   "O00006, 2 Jun 2012: proven offence, P00002 (aged 15)",
                   "W00004: benefit (IS), P00001, from 1 Mar 2010 to continuing",
                   "A00007, 20 Jan 2012: incident, P00002 (aged 15)",
                   "A00013, 9 May 2013: incident, P00002 (aged 16)",
                   "O00015, 15 Jun 2013: proven offence, P00002 (aged 16)",
                   "spring 2011/12: 26 of 130 sessions unauthorised (20.0%), 1 fixed exclusion"):
        assert record in phase1
    assert "(B − A) / B = (6 − 2) / 6 = 66.7%; needs 60%: met." in phase1
    assert "(B − A) / B = (2 − 1) / 2 = 50.0%; needs 33%: met." in phase1
    assert "N-E1" not in phase1 and "AS-E1" not in phase1
    # The 2015-20 claim: its needs, the assessment that met one, the plan, its attachment.
    assert "Claim dated 30 September 2016." in phase2
    assert "Attached 1 June 2015." in phase2
    assert "Eligible: yes. Needs under 2 headline problems" in phase2
    assert "N-E1: Health (health improved, P00001), identified 1 May 2015: met" in phase2
    assert ("15 Jan 2016 N-E1: positive, by Sam Worker (key worker): GP confirms it is "
            "managed (AS-E1)") in phase2
    assert "N-E2: Domestic abuse (no incidents), identified 1 Jun 2015: met" in phase2
    assert 'Outcome Plan "Worked example Outcome Plan for the expanded programme, 2015-20"' \
        in phase2
    assert "this claim was made under the worked-example Outcome Plan" in phase2
    assert "A00007" not in phase2 and "Identification window" not in phase2


def test_page_one_sums_the_batch_by_programme_and_result_to_its_total(two_programme_batch):
    page = pdf_text(two_programme_batch).split("\f")[0]
    by_result, by_programme = (
        [(label.strip(), int(n), int(amount.replace(",", ""))) for label, n, amount in
         re.findall(r"^ *(.+?) {2,}(\d+) {2,}£([\d,]+) *$", part, re.MULTILINE)]
        for part in page.split("Claims by result")[1].split("Claims by programme and result"))
    assert by_result == [("Continuous employment", 1, 800),
                         ("Crime, anti-social behaviour and education", 1, 700),
                         ("Progress to work", 1, 100), ("Family outcome: every need met", 1, 800),
                         ("Total", 4, 2400)]
    table = by_programme
    assert table == [
        ("Continuous employment", 1, 800), ("Crime, anti-social behaviour and education", 1, 700),
        ("Progress to work", 1, 100), ("Troubled Families 2012-15: all results", 3, 1600),
        ("Family outcome: every need met", 1, 800),
        ("Expanded programme 2015-20: all results", 1, 800), ("Total", 4, 2400)]
    subtotals = [r for r in table if r[0].endswith("all results")]
    assert sum(n for _, n, _ in subtotals) == 4 and sum(a for _, _, a in subtotals) == 2400
    assert sum(a for label, _, a in table if label not in ("Total",) and "all results" not in
               label) == 2400
    claims = db.session.scalars(select(m.Claim)).all()
    assert sum(c.amount for c in claims) == 2400
    assert ("Warning: 1 claim in this batch was made under the worked-example Outcome Plan "
            "shipped with casework") in flat(page)


def test_the_pdf_names_every_parameter_writes_dates_out_and_keeps_the_council_on_one_line(
        two_programme_batch):
    text = pdf_text(two_programme_batch)
    body = flat(text)
    for name in dataclasses.fields(RULESETS["phase2"]):  # no ruleset key is printed raw
        assert not re.search(rf"\b{name.name}\b", body), name.name
    assert ("School terms end on autumn 31 December; spring 31 March; summer 31 July"
            in body)
    assert "Attachment fee, by programme year £3,200, £2,400, £1,600" in body
    assert "Results paid, by programme year of attachment Continuous employment £800, " \
           "£1,600, £2,400; Crime, ASB and education £700" in body
    assert "Programme years start on 1 April 2015" in body
    assert not re.search(r"\b\d{4}-\d\d-\d\d\b", body)  # no ISO date anywhere
    pages = [p for p in text.split("\f") if p.strip()]
    for number, page in enumerate(pages, start=1):
        header = next(line for line in page.splitlines() if line.strip())
        assert f"{LONG_NAME} — Troubled Families claim, October 2016" in header, (number, header)


def test_every_ruleset_parameter_has_a_label():
    for ruleset in RULESETS.values():
        missing = [f.name for f in dataclasses.fields(ruleset)
                   if f.name != "name" and f.name not in PARAMETER_LABELS]
        assert missing == []


# The worked-example Outcome Plan: a warning on every page and file about such claims -------


def _own_plan(tmp_path) -> Path:
    plan = json.loads((SHIPPED / "phase2.json").read_text())
    plan.update(title="Kensington and Chelsea Outcome Plan", version="2016.1")
    path = tmp_path / "our-plan.json"
    path.write_text(json.dumps(plan, indent=1))
    return path


def _warnings(html: str) -> list[str]:
    return [n.text() for n in parse(html).find_all(data_warning="example-plan")]


def _rows(node) -> dict[str, str]:
    """The key and value of each summary list row under the node."""
    out = {}
    for row in node.find_all(cls="govuk-summary-list__row"):
        key, value = row.find("dt"), row.find("dd")
        if key and value:
            out[key.text()] = value.text()
    return out


def test_the_cli_warns_on_stderr_while_the_worked_example_is_in_force_and_exits_0(
        cli, frame_examples, tmp_path):
    frame_examples("phase2")
    result = cli("claims", "build", "--ruleset", "phase2", "--as-of", "2016-09-30")
    assert result.exit_code == 0
    assert result.stdout.strip() == "2 draft claims created"
    assert result.stderr.startswith("Warning: The Outcome Plan in force for Expanded "
                                    "programme 2015-20 is the worked example shipped with "
                                    "casework")
    assert cli("claims", "build", "--as-of", "2016-09-30").stderr == ""  # 2012-15: no plan
    admin = create_user("admin")
    assert cli("plans", "load", "phase2", _own_plan(tmp_path), "--by", admin.email).exit_code == 0
    after = cli("claims", "build", "--ruleset", "phase2", "--as-of", "2016-12-31")
    assert after.exit_code == 0 and after.stderr == ""
    assert after.stdout.strip() == "1 draft claims created"


def test_the_build_page_the_claim_page_and_the_confirm_page_warn_of_the_worked_example(
        app, client, cli, frame_examples, sign_in, tmp_path):
    frame_examples("phase2")
    app.config["OUTCOME_RULESET"] = "phase2"
    cli("claims", "build", "--ruleset", "phase2", "--as-of", "2016-09-30")
    first = db.session.scalars(select(m.Claim).order_by(m.Claim.id)).first()
    auditor = create_user("auditor")
    assert cli("claims", "validate", first.id, "--by", auditor.email).exit_code == 0
    sign_in("manager")
    build = _warnings(client.get("/claims/").text)
    assert len(build) == 1 and "The Outcome Plan in force for Expanded programme 2015-20 is the " \
        "worked example shipped with casework: the council has not loaded its own." in build[0]
    claim_page = _warnings(client.get(f"/claims/{first.id}").text)
    assert claim_page == ["! Warning This claim was made under the worked-example Outcome Plan "
                          "shipped with casework (Expanded programme 2015-20), not an Outcome "
                          "Plan the council loaded."]
    confirm = _warnings(client.get("/claims/batches/new?window=October+2016").text)
    assert confirm == ["! Warning 1 of these claims was made under the worked-example Outcome "
                       "Plan shipped with casework (Expanded programme 2015-20), not an Outcome "
                       "Plan the council loaded."]
    # The council loads its own plan: building says nothing more; a claim made under the
    # example still says so, and one made under the council's plan does not.
    admin = create_user("admin")
    assert cli("plans", "load", "phase2", _own_plan(tmp_path), "--by", admin.email).exit_code == 0
    assert _warnings(client.get("/claims/").text) == []
    assert len(_warnings(client.get(f"/claims/{first.id}").text)) == 1
    cli("claims", "build", "--ruleset", "phase2", "--as-of", "2016-12-31")
    later = db.session.scalars(select(m.Claim).order_by(m.Claim.id.desc())).first()
    assert later.snapshot["outcome_plan"]["version"] == "2016.1"
    assert _warnings(client.get(f"/claims/{later.id}").text) == []


def test_the_claim_page_names_the_programme_and_each_parameter_and_writes_dates_out(
        client, cli, examples, sign_in):
    examples()
    cli("claims", "build", "--as-of", "2013-09-30")
    claim = db.session.scalars(select(m.Claim).order_by(m.Claim.id)).first()
    sign_in("auditor")
    page = parse(client.get(f"/claims/{claim.id}").text)
    main = page.find("main")
    assert _rows(main)["Programme"] == "Troubled Families 2012-15 (phase1)"
    rules = _rows(main.find(cls="app-rules"))
    assert rules["School terms end on"] == "autumn 31 December; spring 31 March; summer 31 July"
    assert rules["Fall in anti-social behaviour needed"] == "60%"
    assert rules["Programme years start on"] == "1 April 2012, 1 April 2013, 1 April 2014"
    assert rules["Most paid for one family"] == "£4,000"
    main = main.text()
    assert "term_ends" not in main and "asb_reduction" not in main
    assert not re.search(r"\b\d{4}-\d\d-\d\d\b", main)



def test_each_claim_page_shows_the_attachment_and_programme_year_it_was_made_on(
        client, sign_in, two_programme_batch):
    sign_in("auditor")
    seen = {}
    for claim in db.session.scalars(select(m.Claim).join(m.Family)
                                    .where(m.Family.family_ref == "E01")):
        rows = _rows(parse(client.get(f"/claims/{claim.id}").text))
        seen[claim.ruleset] = (rows["Programme"], rows["Family attached"])
    assert seen == {
        "phase1": ("Troubled Families 2012-15 (phase1)",
                   "16 July 2012 (programme year 1: results are paid at that year's amounts)"),
        "phase2": ("Expanded programme 2015-20 (phase2)",
                   "1 June 2015 (programme year 1: results are paid at that year's amounts)")}
