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
    DateField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from ..widgets import DateInput


class FamilyForm(FlaskForm):
    version = HiddenField()
    family_name = StringField("Family name", widget=GovTextInput(),
                              validators=[InputRequired(message="Enter the family name"), Length(max=200)])
    address = StringField("Address", widget=GovTextInput(), validators=[Length(max=300)])
    postcode = StringField("Postcode", widget=GovTextInput(), validators=[Length(max=10)])
    ward = StringField("Ward", widget=GovTextInput(), validators=[Length(max=100)])
    identified_on = DateField("Identified on", format="%d %m %Y", widget=DateInput(), validators=[Optional()])
    attached_on = DateField("Attached on", format="%d %m %Y", widget=DateInput(), validators=[Optional()])
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
    date_of_birth = DateField("Date of birth", format="%d %m %Y", widget=DateInput(),
                              validators=[InputRequired(message="Enter the date of birth")])
    sex = SelectField("Sex", choices=[("", "Not recorded"), ("f", "Female"), ("m", "Male"), ("x", "Other")],
                      widget=GovSelect())
    save = SubmitField("Save changes", widget=GovSubmitInput())
