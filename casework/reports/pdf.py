"""Render report HTML to PDF with WeasyPrint, with the fonts installed on the machine."""

from __future__ import annotations

from ..config import PROJECT_ROOT


def render_pdf(html: str) -> bytes:
    # Imported here: WeasyPrint takes half a second to load, and most processes (every
    # `casework import`, every gunicorn worker until its first PDF) never need it.
    from weasyprint import HTML

    return HTML(string=html, base_url=str(PROJECT_ROOT / "static")).write_pdf()
