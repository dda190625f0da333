
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from .. import clock
from .. import models as m
from ..rules import identifiers
from ..widgets import GovDateField


class FamilyForm(FlaskForm):
    version = HiddenField()
    family_name = StringField("Family name", widget=GovTextInput(),
                              validators=[InputRequired(message="Enter the family name"), Length(max=200)])
    address = StringField("Address", widget=GovTextInput(), validators=[Length(max=300)])
    postcode = StringField("Postcode", widget=GovTextInput(), validators=[Length(max=10)])
    ward = StringField("Ward", widget=GovTextInput(), validators=[Length(max=100)])
    identified_on = GovDateField("Identified on", example_days=-60, validators=[Optional()])
    attached_on = GovDateField("Attached on", validators=[Optional()])
    local_discretion = BooleanField("The council uses local discretion for this family", widget=GovCheckboxInput())
    local_discretion_reason = TextAreaField("Reason for local discretion", widget=GovTextArea(),
                                            validators=[Length(max=2000)])
    save = SubmitField("Save changes", widget=GovSubmitInput())

    def validate_local_discretion_reason(self, field):
        if self.local_discretion.data and not (field.data or "").strip():
            raise ValidationError("Enter the reason for local discretion")


class PersonForm(FlaskForm):
    version = HiddenField()
    given_name = StringField("Given name", widget=GovTextInput(),
                             validators=[InputRequired(message="Enter the given name"), Length(max=100)])
    family_name = StringField("Family name", widget=GovTextInput(),
                              validators=[InputRequired(message="Enter the family name"), Length(max=100)])
    date_of_birth = GovDateField("Date of birth", description="For example, 27 3 2007. Leave it "
                                 "blank for an unborn child.", validators=[Optional()])
    expected_date_of_birth = GovDateField(
        "Expected date of birth (an unborn child)", example_days=90,
        description="Only for a child not yet born; never with a date of birth.",
        validators=[Optional()])
    sex = SelectField("Sex", choices=[("", "Not recorded"), ("f", "Female"), ("m", "Male"), ("x", "Other")],
                      widget=GovSelect())
    gender = SelectField("Gender", choices=[("", "Not recorded"), *m.GENDERS.items()],
                         validate_choice=False,
                         widget=GovSelect())
    ethnicity = SelectField("Ethnicity", choices=[("", "Not recorded"),
                                                  *((code, f"{label} ({code})")
                                                    for code, label in m.ETHNICITIES.items())],
                            validate_choice=False, widget=GovSelect())
    nhs_number = StringField("NHS number", widget=GovTextInput(),
                             description="10 digits, for example 943 476 5919",
                             validators=[Length(max=20)])
    upn = StringField("Unique pupil number (UPN)", widget=GovTextInput(),
                      description="13 characters, a letter first", validators=[Length(max=20)])
    date_of_death = GovDateField("Date of death", validators=[Optional()])
    save = SubmitField("Save changes", widget=GovSubmitInput())

    def validate_date_of_birth(self, field):
        if field.data is None and self.expected_date_of_birth.data is None:
            raise ValidationError("Enter the date of birth, or the expected date of birth of "
                                  "an unborn child")
        if field.data is not None and field.data > clock.today():
            raise ValidationError("Date of birth must be today or in the past")

    def validate_expected_date_of_birth(self, field):
        if field.data is not None and self.date_of_birth.data is not None:
            raise ValidationError("Enter a date of birth or an expected date of birth, not both")

    def validate_date_of_death(self, field):
        if field.data is None:
            return
        if field.data > clock.today():
            raise ValidationError("Date of death must be today or in the past")
        if self.date_of_birth.data is not None and field.data < self.date_of_birth.data:
            raise ValidationError("Date of death must be on or after the date of birth")

    # A client that leaves a list out keeps what is recorded (the record's value, or none).
    def validate_gender(self, field):
        if field.data and field.data not in m.GENDERS:
            raise ValidationError("Select a gender from the list")

    def validate_ethnicity(self, field):
        if field.data and field.data not in m.ETHNICITIES:
            raise ValidationError("Select an ethnicity from the list")

    def validate_nhs_number(self, field):
        field.data = _checked(identifiers.nhs_number, field.data)

    def validate_upn(self, field):
        field.data = _checked(identifiers.upn, field.data)


def _checked(check, value: str | None) -> str | None:
    """The canonical identifier, or the rule's message as the field's error."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return check(value)
    except ValueError as problem:
        raise ValidationError(str(problem).replace("'", "")) from None
