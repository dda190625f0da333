"""The training and match funding forms."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from .. import models as m
from ..rules.ruleset import PROGRAMME_LABELS
from ..widgets import GovDateField, GovIntegerField

MAX_POUNDS = Decimal("100000000")
YEAR = re.compile(r"^(\d{4})\s*/\s*(\d{2}|\d{4})$")


def to_pence(text: str | None) -> int:
    """'£1,234.50' -> 123450; ValueError with the form's message otherwise."""
    cleaned = (text or "").strip().replace(",", "").removeprefix("£").strip()
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError("Enter an amount in pounds, like 5000 or 1250.50") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError("Enter an amount of £0 or more")
    if amount > MAX_POUNDS:
        raise ValueError("Enter an amount of £100,000,000 or less")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError("Enter the amount to the nearest penny, like 1250.50")
    return int(amount * 100)


def financial_year(text: str | None) -> int:
    """'2013/14' (or 2013/2014) -> 2013; ValueError with the form's message otherwise."""
    match = YEAR.match((text or "").strip())
    if match:
        start, end = int(match[1]), int(match[2])
        if end % 100 == (start + 1) % 100 and (end < 100 or end == start + 1):
            return start
    raise ValueError("Enter the financial year as two years, like 2013/14")


def _pounds(_form, field) -> None:
    try:
        to_pence(field.data)
    except ValueError as problem:
        raise ValidationError(str(problem)) from None


def _year(_form, field) -> None:
    try:
        financial_year(field.data)
    except ValueError as problem:
        raise ValidationError(str(problem)) from None


class CourseForm(FlaskForm):
    name = StringField("Course name", widget=GovTextInput(), validators=[
        InputRequired(message="Enter the course's name"),
        Length(max=200, message="Keep the course's name to 200 characters")])
    valid_months = GovIntegerField(
        "How many months a completion lasts", description="After this it has expired and must "
        "be taken again", validators=[
            InputRequired(message="Enter how many months a completion lasts"),
            NumberRange(1, 120, message="Enter how many months a completion lasts, 1 to 120")])
    add_course = SubmitField("Add the course", widget=GovSubmitInput())


class CompletionForm(FlaskForm):
    course = SelectField("Course", coerce=int, widget=GovSelect(),
                         validators=[InputRequired(message="Choose the course")])
    user = SelectField("Who completed it: a user of casework", coerce=int, widget=GovSelect(),
                       default=0)
    person_name = StringField("Or a person's name", widget=GovTextInput(),
                              validators=[Optional(), Length(max=200)])
    organisation = StringField("and their organisation", widget=GovTextInput(),
                               validators=[Optional(), Length(max=200)])
    completed_on = GovDateField("Date completed", validators=[
        InputRequired(message="Enter the date completed")])
    record = SubmitField("Record the completion", widget=GovSubmitInput())


class ContributionForm(FlaskForm):
    pledge_programme = SelectField("Programme the money is for", choices=list(PROGRAMME_LABELS.items()),
                            widget=GovSelect())
    source_kind = RadioField("Where the money comes from",
                             choices=list(m.MATCH_SOURCE_KINDS.items()),
                             widget=GovRadioInput(),
                             validators=[InputRequired(message="Choose where the money comes "
                                                               "from")])
    source_name = StringField("Name of the school, partner, body or business",
                              widget=GovTextInput(), validators=[
                                  InputRequired(message="Enter the name of the school, partner, "
                                                        "body or business"), Length(max=200)])
    financial_year = StringField("Financial year", description="For example, 2013/14",
                                 widget=GovTextInput(), validators=[
                                     InputRequired(message="Enter the financial year, like "
                                                           "2013/14"), _year])
    pledged = StringField("Amount pledged", widget=GovTextInput(), validators=[
        InputRequired(message="Enter the amount pledged"), _pounds])
    pledged_on = GovDateField("Date pledged", validators=[
        InputRequired(message="Enter the date pledged")])
    notes = TextAreaField("Notes (optional)", widget=GovTextArea(),
                          validators=[Optional(), Length(max=1000)])
    add = SubmitField("Record the pledge", widget=GovSubmitInput())


class ReceivedForm(FlaskForm):
    received = StringField("Total received so far", widget=GovTextInput(), validators=[
        InputRequired(message="Enter the total received so far"), _pounds])
    received_on = GovDateField("Date of the latest money received", validators=[
        InputRequired(message="Enter the date the money was received")])
    save = SubmitField("Save what was received", widget=GovSubmitInput())
