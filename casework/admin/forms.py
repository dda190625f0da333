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


class UserForm(FlaskForm):
    email = EmailField("Email address", widget=GovTextInput(),
                       validators=[InputRequired(message="Enter an email address"), Length(max=254)])
    name = StringField("Full name", widget=GovTextInput(),
                       validators=[InputRequired(message="Enter the person's name"), Length(max=200)])
    role = SelectField("Role", choices=list(m.ROLE_LABELS.items()), widget=GovSelect())
    team = StringField("Team (workers and team leads)", widget=GovTextInput(), validators=[Length(max=100)])
    password = PasswordField("Password", widget=GovPasswordInput(),
                             description="At least 12 characters; not a common password",
                             validators=[InputRequired(message="Enter a password")])
    create = SubmitField("Create user", widget=GovSubmitInput())


class ResetForm(FlaskForm):
    password = PasswordField("New password", widget=GovPasswordInput(),
                             description="At least 12 characters; not a common password",
                             validators=[InputRequired(message="Enter the new password")])
    reset = SubmitField("Reset password", widget=GovSubmitInput())
