from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovPasswordInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length

from .. import models as m


class OrganisationForm(FlaskForm):
    name = StringField("Organisation's name", widget=GovTextInput(),
                       validators=[InputRequired(message="Enter the organisation's name"),
                                   Length(max=200)])
    kind = SelectField("Kind of organisation",
                       choices=[("", "Select a kind")] + list(m.ORGANISATION_KIND_LABELS.items()),
                       widget=GovSelect(),
                       validators=[InputRequired(message="Select the kind of organisation")])
    sharing_level = SelectField(
        "Sharing level", description="What its practitioners see of a family whose Team Around "
        "the Family they are in; left as it is, the level of its kind (docs/partners.md)",
        choices=[("", "The level of its kind")] + list(m.SHARING_LEVEL_LABELS.items()),
        widget=GovSelect())
    add = SubmitField("Add organisation", widget=GovSubmitInput())


class SharingLevelForm(FlaskForm):
    sharing_level = SelectField("Sharing level", choices=list(m.SHARING_LEVEL_LABELS.items()),
                                widget=GovSelect())
    save = SubmitField("Save sharing level", widget=GovSubmitInput())


class PractitionerForm(FlaskForm):
    email = EmailField("Email address", widget=GovTextInput(),
                       validators=[InputRequired(message="Enter an email address"),
                                   Length(max=254)])
    name = StringField("Full name", widget=GovTextInput(),
                       validators=[InputRequired(message="Enter the person's name"),
                                   Length(max=200)])
    password = PasswordField("Password", widget=GovPasswordInput(),
                             description="At least 12 characters; not a common password",
                             validators=[InputRequired(message="Enter a password")])
    create = SubmitField("Add practitioner", widget=GovSubmitInput())
