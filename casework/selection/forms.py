
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from .. import clock
from .. import models as m
from ..widgets import DateInput, GovIntegerField
from .service import MEETING_AGENCIES


def _not_future(form, field):
    if field.data and field.data > clock.today():
        raise ValidationError("The date must be today or in the past")


class MeetingForm(FlaskForm):
    held_on = DateField("Date of the meeting", format="%d %m %Y", widget=DateInput(-7),
                        validators=[InputRequired(message="Enter the date of the meeting"),
                                    _not_future])
    agencies = SelectMultipleField("Agencies present", choices=list(MEETING_AGENCIES.items()),
                                   widget=GovCheckboxesInput())
    other_agencies = StringField("Other agencies present (optional)", widget=GovTextInput(),
                                 description="Separate them with commas",
                                 validators=[Length(max=300)])
    submit = SubmitField("Start the meeting", widget=GovSubmitInput())

    def present(self) -> list[str]:
        named = [MEETING_AGENCIES[key] for key in self.agencies.data or []]
        others = [a.strip() for a in (self.other_agencies.data or "").split(",") if a.strip()]
        return named + others

    def validate_agencies(self, field):
        if not field.data and not (self.other_agencies.data or "").strip():
            raise ValidationError("Select the agencies present at the meeting")


class DecisionForm(FlaskForm):
    decision = RadioField("Decision", choices=list(m.SELECTION_DECISIONS.items()),
                          widget=GovRadioInput(),
                          validators=[InputRequired(message="Select the meeting's decision")])
    lead_worker = SelectField("Lead person: a FIP worker", coerce=int, widget=GovSelect(), default=0,
                              description="For a selected family. Or name a partner agency's "
                                          "contact below.")
    lead_contact = StringField("Or the partner agency contact's name", widget=GovTextInput(),
                               validators=[Length(max=200)])
    lead_agency = StringField("Their agency", widget=GovTextInput(), validators=[Length(max=200)])
    review_on = DateField("Discuss again on", format="%d %m %Y", widget=DateInput(91),
                          description="For a family not selected now: the family comes back "
                                      "to the list on this date.",
                          validators=[Optional()])
    reason = TextAreaField("Reason", widget=GovTextArea(),
                           description="Needed when the family is not suitable.",
                           validators=[Length(max=2000)])
    submit = SubmitField("Record the decision", widget=GovSubmitInput())


class _AgreedNumbersForm(FlaskForm):
    submit = SubmitField("Save agreed numbers", widget=GovSubmitInput())


def agreed_numbers_form(years: list[tuple[int, str]], current: dict[int, int]) -> FlaskForm:
    """A form with a `year_<n>` number field for each programme year."""

    class AgreedNumbersForm(_AgreedNumbersForm):
        pass

    for number, label in years:
        setattr(AgreedNumbersForm, f"year_{number}", GovIntegerField(
            f"Families agreed for {label}", widget=GovTextInput(),
            validators=[Optional(), NumberRange(min=0, max=1_000_000,
                                                message="Enter a whole number of families, 0 or more")]))
    form = AgreedNumbersForm()
    if not form.is_submitted():
        for number, _ in years:
            getattr(form, f"year_{number}").data = current.get(number)
    return form


class AttemptForm(FlaskForm):
    attempted_on = DateField("Date of the attempt", format="%d %m %Y", widget=DateInput(-2),
                             validators=[InputRequired(message="Enter the date of the attempt"),
                                         _not_future])
    method = RadioField("How", choices=list(m.CONTACT_METHODS.items()), widget=GovRadioInput(),
                        validators=[InputRequired(message="Select how contact was tried")])
    outcome = RadioField("Outcome", choices=list(m.CONTACT_OUTCOMES.items()),
                         widget=GovRadioInput(),
                         validators=[InputRequired(message="Select what happened")])
    notes = TextAreaField("Notes (optional)", widget=GovTextArea(), validators=[Length(max=2000)])
    submit = SubmitField("Save the attempt", widget=GovSubmitInput())


class AnswerForm(FlaskForm):
    outcome = RadioField("The family's answer", choices=[
        ("signed_up", "Signed up to the programme"), ("declined", "Declined")],
        widget=GovRadioInput(), validators=[InputRequired(message="Select the family's answer")])
    decided_on = DateField("Date", format="%d %m %Y", widget=DateInput(-1),
                           validators=[InputRequired(message="Enter the date of the answer"),
                                       _not_future])
    sharing_agreed = BooleanField("The information-sharing agreement is signed",
                                  widget=GovCheckboxInput())
    consent_given = BooleanField("The family gave consent to work with the programme",
                                 widget=GovCheckboxInput())
    consent_by = StringField("Consent given by", widget=GovTextInput(),
                             description="The full name of the family member who gave consent, as casework "
                                         "holds it",
                             validators=[Length(max=200)])
    reason = TextAreaField("Reason for declining", widget=GovTextArea(),
                           validators=[Length(max=2000)])
    submit = SubmitField("Save the answer", widget=GovSubmitInput())

    def validate_sharing_agreed(self, field):
        if self.outcome.data == "signed_up" and not field.data:
            raise ValidationError("The information-sharing agreement must be signed to sign up")

    def validate_consent_given(self, field):
        if self.outcome.data == "signed_up" and not field.data:
            raise ValidationError("The family must give consent to sign up")

    def validate_consent_by(self, field):
        if self.outcome.data == "signed_up" and not (field.data or "").strip():
            raise ValidationError("Enter who gave consent")

    def validate_reason(self, field):
        if self.outcome.data == "declined" and not (field.data or "").strip():
            raise ValidationError("Enter the reason the family declined")
