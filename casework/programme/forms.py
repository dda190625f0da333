"""The administrator's unit costs form: an amount in pounds and its source for each item."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import RadioField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from ..widgets import GovDateField

MAX_POUNDS = Decimal("1000000")


def pence(text: str) -> int:
    """'£1,234.50' -> 123450; ValueError with a message for the form otherwise."""
    cleaned = text.strip().replace(",", "").removeprefix("£").strip()
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError("Enter an amount in pounds, like 673 or 71.70") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError("Enter an amount of £0 or more")
    if amount > MAX_POUNDS:
        raise ValueError("Enter an amount of £1,000,000 or less")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError("Enter the amount to the nearest penny, like 71.70")
    return int(amount * 100)


def _pounds(_form, field) -> None:
    try:
        pence(field.data or "")
    except ValueError as problem:
        raise ValidationError(str(problem)) from None


class _UnitCostForm(FlaskForm):
    save = SubmitField("Save unit costs", widget=GovSubmitInput())


def unit_cost_form(rows) -> FlaskForm:
    """A form with `<key>_amount` and `<key>_source` for each unit cost row."""

    class UnitCostForm(_UnitCostForm):
        pass

    for row in rows:
        setattr(UnitCostForm, f"{row.key}_amount", StringField(
            f"{row.label}: cost of one {row.counted}", widget=GovTextInput(),
            validators=[InputRequired(message=f"Enter the cost of one {row.counted}"), _pounds]))
        setattr(UnitCostForm, f"{row.key}_source", TextAreaField(
            "Where the figure comes from", widget=GovTextArea(),
            validators=[InputRequired(message="Say where the figure comes from"),
                        Length(max=1000, message="Keep the source to 1,000 characters")]))
    form = UnitCostForm()
    if not form.is_submitted():
        for row in rows:
            getattr(form, f"{row.key}_amount").data = f"{row.pence / 100:.2f}"
            getattr(form, f"{row.key}_source").data = row.source
    return form


class ReturnsForm(FlaskForm):
    """Which return to make, and its date."""

    kind = RadioField("Which return", choices=[
        ("ssd", "Standard Safeguarding Dataset: the five early help tables (a ZIP of CSV files)"),
        ("annex_a_list_2", "Ofsted's early help list (ILACS Annex A, list 2), CSV"),
        ("quarterly_return", "The programme's quarterly return, CSV: every quarter up to the "
                             "one holding the date"),
    ], widget=GovRadioInput(), validators=[InputRequired(message="Select a return")])
    as_of = GovDateField("Date", description="The date the return is for: for Ofsted, the "
                         "inspection's first day. For example, 30 9 2013",
                         validators=[InputRequired(message="Enter the date")])
    make = SubmitField("Make the return", widget=GovSubmitInput())
