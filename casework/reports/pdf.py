"""Render report HTML to PDF with WeasyPrint, with the fonts installed on the machine."""

from __future__ import annotations

from weasyprint import HTML

from ..config import PROJECT_ROOT


def render_pdf(html: str) -> bytes:
    return HTML(string=html, base_url=str(PROJECT_ROOT / "static")).write_pdf()
