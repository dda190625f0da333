"""The claim batch PDF as the auditor's evidence file, read back as text: every record that
decided each claimed result is printed with its window and arithmetic, and nothing is cut."""

import re
import subprocess

import pytest

from .factories import create_user

# E01 gets two more school-age children with the three terms counted at 2013-09-30, and its
# out-of-work adult joins the Work Programme: crime/ASB/education and progress to work.
PEOPLE = ("person_ref,family_ref,given_name,family_name,date_of_birth\n"
          "PK1,E01,Ari,Jones,2004-05-05\nPK2,E01,Bo,Jones,2007-02-02\n")
TERMS = ("person_ref,academic_year,term,sessions_possible,sessions_unauthorised,fixed_exclusions,"
         "permanent_exclusion,alternative_provision,on_roll\n"
         "PK1,2012/13,autumn,128,3,0,n,n,y\nPK1,2012/13,spring,126,5,1,n,n,y\n"
         "PK1,2012/13,summer,124,7,0,n,n,y\nPK2,2012/13,autumn,118,2,0,n,n,y\n"
         "PK2,2012/13,spring,116,4,0,n,n,y\nPK2,2012/13,summer,114,6,0,n,n,y\n")
WORK = "work_ref,person_ref,kind,benefit,start_date,end_date\nWP1,P00001,work_programme,,2013-06-03,\n"


def pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


@pytest.fixture
def batch_text(cli, examples, tmp_path):
    """Build, validate and batch the worked examples' claims with E01's extra records; return
    a function giving the batch PDF's text."""
    examples()
    for kind, body in (("people", PEOPLE), ("school-terms", TERMS), ("work", WORK)):
        (tmp_path / f"{kind}.csv").write_text(body)
        assert cli("import", kind, tmp_path / f"{kind}.csv").exit_code == 0
    auditor = create_user("auditor", name="Pat Auditor")

    def make(extra_asb: str = "") -> str:
        if extra_asb:
            (tmp_path / "asb.csv").write_text("asb_ref,person_ref,family_ref,date,kind\n" + extra_asb)
            assert cli("import", "asb", tmp_path / "asb.csv").exit_code == 0
        assert cli("claims", "build", "--as-of", "2013-09-30").exit_code == 0
        from casework import models as m
        from casework.extensions import db

        for claim in db.session.scalars(db.select(m.Claim)):
            assert cli("claims", "validate", claim.id, "--by", auditor.email).exit_code == 0
        batch_id = cli("claims", "batch", "--window", "October 2013").output.split()[-1]
        out = tmp_path / "batch.pdf"
        result = cli("claims", "pdf", batch_id, "-o", out)
        assert result.exit_code == 0, result.output
        return pdf_text(out)

    return make


def flat(text: str) -> str:
    """Text with every run of white space (line and page breaks too) made one space."""
    return " ".join(text.split())


def family_section(text: str, ref: str) -> str:
    """The pages of one family's evidence file: from its heading to the next family's."""
    headings = {m.group(1): m.start() for m in re.finditer(r"^ *(E0\d): ", text, re.MULTILINE)}
    start = headings[ref]
    ends = [i for i in headings.values() if i > start]
    return text[start:min(ends) if ends else len(text)]


def test_the_pdf_prints_every_record_that_decided_crime_asb_education_and_progress_to_work(batch_text):
    text = batch_text()
    e01 = flat(family_section(text, "E01"))
    assert ": Troubled Families 2012-15: Crime, anti-social behaviour and education: £700" in e01
    assert "Claim dated 30 September 2013." in e01
    # Identification on 2 Jul 2012: the youth offences in the 12-month window, the failing
    # child's terms, the out-of-work benefit.
    assert "Identification window: 3 Jul 2011 to 2 Jul 2012" in e01
    assert "O00005, 14 Feb 2012: proven offence, P00002 (aged 15)" in e01
    assert "O00006, 2 Jun 2012: proven offence, P00002 (aged 15)" in e01
    assert "W00004: benefit (IS), P00001, from 1 Mar 2010 to continuing" in e01
    # ASB: the six baseline incidents and the two recent ones, with the windows and the sum.
    assert "Baseline: the 6 months before attachment: 16 Jan 2012 to 15 Jul 2012 (6)" in e01
    for ref, day in (("A00007", "20 Jan 2012"), ("A00008", "3 Feb 2012"), ("A00009", "17 Mar 2012"),
                     ("A00010", "1 Apr 2012"), ("A00011", "5 May 2012"), ("A00012", "30 Jun 2012"),
                     ("A00013", "9 May 2013")):
        assert f"{ref}, {day}: incident, P00002" in e01
    assert "Recent: the 6 months up to the claim date: 31 Mar 2013 to 30 Sep 2013 (2)" in e01
    assert "(B − A) / B = (6 − 2) / 6 = 66.7%; needs 60%: met." in e01
    # Youth offences: two before attachment, one since.
    assert "O00015, 15 Jun 2013: proven offence, P00002 (aged 16)" in e01
    assert "(B − A) / B = (2 − 1) / 2 = 50.0%; needs 33%: met." in e01
    # Education: each of the three children's three terms, with sessions, rate and exclusions.
    for child, age in (("P00003", 11), ("PK1", 9), ("PK2", 6)):
        assert f"{child}, aged {age}" in e01
    for row in ("summer 2012/13: 7 of 124 sessions unauthorised (5.6%), 0 fixed exclusions",
                "spring 2012/13: 5 of 126 sessions unauthorised (4.0%), 1 fixed exclusion",
                "autumn 2012/13: 3 of 128 sessions unauthorised (2.3%), 0 fixed exclusions",
                "autumn 2012/13: 2 of 118 sessions unauthorised (1.7%), 0 fixed exclusions",
                "summer 2012/13: 4 of 130 sessions unauthorised (3.1%), 0 fixed exclusions"):
        assert row in e01
    assert ("Over the 3 terms: 15 of 378 sessions unauthorised (4.0%), 1 fixed exclusion: "
            "passes.") in e01
    # At identification the failing child's terms, a missing one among them.
    assert ("spring 2011/12: 26 of 130 sessions unauthorised (20.0%), 1 fixed exclusion "
            "autumn 2011/12: 26 of 130 sessions unauthorised (20.0%), 1 fixed exclusion "
            "summer 2010/11: no term record") in e01
    # Progress to work: the Work Programme record inside its window.
    assert "WP1, 3 Jun 2013: work programme, P00001, from 3 Jun 2013 to continuing" in e01
    assert "On or after attachment and in the 6 months up to the claim date: 31 Mar 2013 to 30 Sep 2013 (1)" in e01
    # The reason sentences of the family page, the ruleset, who validated and when.
    assert "ASB met, offending met, education met." in e01
    assert "Every child of school age passed over summer 2012/13, spring 2012/13, autumn 2012/13" in e01
    assert "Under the rules of Troubled Families 2012-15, listed in full after the summary" in e01
    assert ("Baseline: the months before attachment: 6 months; Recent: the months up to the "
            "claim date: 6 months; A reduction is judged no sooner after attachment than: "
            "6 months; Anti-social behaviour records counted as incidents: Incident; Fall in "
            "anti-social behaviour needed: 60%") in e01
    assert "validated by Pat Auditor on" in e01
    assert "£700" in e01 and "£100" in e01


def test_the_pdf_prints_the_benefit_and_job_behind_continuous_employment(batch_text):
    e03 = flat(family_section(batch_text(), "E03"))
    assert "Continuous employment: met on 30 September 2013" in e03
    assert "W00032: benefit (ESA), P00029, from 1 Jun 2009 to 29 Mar 2013" in e03
    assert "W00033: employment, P00029, from 1 Apr 2013 to continuing" in e03
    assert "Job W00033 from 1 Apr 2013 + 13 weeks = 1 Jul 2013" in e03
    assert "Continuous employment needed after another benefit: 13 weeks" in e03


def test_a_family_with_many_records_runs_onto_more_pages_and_nothing_is_cut(batch_text):
    extra = "".join(f"AZ{i:03d},P00002,,2012-02-{1 + i % 28:02d},incident\n" for i in range(150))
    text = batch_text(extra)
    e01 = family_section(text, "E01")
    for i in range(150):
        assert f"AZ{i:03d}, " in e01
    assert "Baseline: the 6 months before attachment: 16 Jan 2012 to 15 Jul 2012 (156)" in e01
    pages = text.count("\f")
    assert f"Page {pages} of {pages}" in text and "Page 1 of" in text
    assert e01.count("\f") >= 3  # the family ran over several pages
    assert ") E01: Taylor household" in e01.split("\f")[2]  # continued pages name the family
