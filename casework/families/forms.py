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
    date_of_birth = GovDateField("Date of birth", description="For example, 27 3 2007",
                                 validators=[InputRequired(message="Enter the date of birth")])
    sex = SelectField("Sex", choices=[("", "Not recorded"), ("f", "Female"), ("m", "Male"), ("x", "Other")],
                      widget=GovSelect())
    save = SubmitField("Save changes", widget=GovSubmitInput())
