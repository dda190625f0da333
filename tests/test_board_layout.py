"""The Partnership Board report lays out without a heading left alone at the foot of a page or
an empty page, and states its assumptions once."""

import os
import subprocess
from pathlib import Path

import pytest

from .conftest import login, post_form
from .test_programme import world  # noqa: F401  (the fixture)

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CAPTIONS = ("The 12 months to", "Families at each stage", "attached families, by status",
            "Unit costs used", "Families by ward", "Estimated annual cost", "What happened between",
            "Attachment fees", "Results payments claimed", "Additional measures",
            "Families allocated on")
HEADINGS = ("This quarter", "From identification to payment", "Results", "Claims and money",
            "Estimated costs avoided", "Domestic abuse and substance misuse", "By ward", "Caseloads")


def _board_pdf(client, run_jobs) -> bytes:
    started = post_form(client, "/programme/board-report", {"quarter": "2013-Q2"})
    assert run_jobs() == 1
    return client.get(started.headers["Location"] + "/result").data


@pytest.fixture
def board_pages(client, world, tmp_path, run_jobs):  # noqa: F811
    login(client, world["manager"].email)
    pdf = _board_pdf(client, run_jobs)
    ARTIFACTS.mkdir(exist_ok=True)
    # Written whole, then put in place: under pytest-xdist two workers may write it at once.
    kept = ARTIFACTS / f"board-report.pdf.{os.getpid()}"
    kept.write_bytes(pdf)
    os.replace(kept, ARTIFACTS / "board-report.pdf")
    path = tmp_path / "board.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    return [page for page in text.split("\f") if page.strip()]


def _lines(page: str) -> list[str]:
    return [line.strip() for line in page.splitlines() if line.strip()]


def test_no_page_is_empty_but_for_its_running_header_and_footer(board_pages):
    for number, page in enumerate(board_pages, start=1):
        body = [line for line in _lines(page) if "Page " not in line and "Partnership Board," not in line]
        assert len(body) > 2, f"page {number} is nearly empty: {body}"


def test_no_heading_or_table_caption_ends_a_page(board_pages):
    for number, page in enumerate(board_pages[:-1], start=1):
        last = [line for line in _lines(page) if "Page " not in line][-1]
        assert last not in HEADINGS and not any(c in last for c in CAPTIONS), (
            f"page {number} ends with {last!r}")


def test_no_page_but_the_last_is_mostly_blank(board_pages):
    for number, page in enumerate(board_pages[:-1], start=1):
        assert len(_lines(page)) >= 25, f"page {number} has only {len(_lines(page))} lines"


def test_the_illustrative_unit_cost_assumption_is_stated_once(client, world, tmp_path, run_jobs):  # noqa: F811
    from casework import models as m
    from casework.extensions import db

    db.session.query(m.UnitCost).delete()  # the shipped defaults
    db.session.commit()
    login(client, world["manager"].email)
    path = tmp_path / "board.pdf"
    path.write_bytes(_board_pdf(client, run_jobs))
    text = " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())
    assert text.count("Illustrative default") == 1
    assert "shipped default" not in text.replace("shipped defaults", "")
