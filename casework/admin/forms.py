from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovPasswordInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import EmailField, PasswordField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length

from .. import models as m


class UserForm(FlaskForm):
    email = EmailField("Email address", widget=GovTextInput(),
                       validators=[InputRequired(message="Enter an email address"), Length(max=254)])
    name = StringField("Full name", widget=GovTextInput(),
                       validators=[InputRequired(message="Enter the person's name"), Length(max=200)])
    # Partner practitioners are added from their organisation's page.
    role = SelectField("Role", choices=[(r, m.ROLE_LABELS[r]) for r in m.STAFF_ROLES],
                       widget=GovSelect())
    team = SelectField("Team (workers and team leads)", choices=[], coerce=int, widget=GovSelect())
    password = PasswordField("Password", widget=GovPasswordInput(),
                             description="At least 12 characters; not a common password",
                             validators=[InputRequired(message="Enter a password")])
    create = SubmitField("Create user", widget=GovSubmitInput())


class ResetForm(FlaskForm):
    password = PasswordField("New password", widget=GovPasswordInput(),
                             description="At least 12 characters; not a common password",
                             validators=[InputRequired(message="Enter the new password")])
    reset = SubmitField("Reset password", widget=GovSubmitInput())


def team_choices() -> list[tuple[int, str]]:
    from .service import teams_by_name

    return [(0, "No team")] + [(t.id, t.name) for t in teams_by_name()]


class TeamForm(FlaskForm):
    name = StringField("Team name", widget=GovTextInput(),
                       validators=[InputRequired(message="Enter the team's name"), Length(max=100)])
    add = SubmitField("Add team", widget=GovSubmitInput())


class EditUserForm(FlaskForm):
    role = SelectField("Role", choices=[(r, m.ROLE_LABELS[r]) for r in m.STAFF_ROLES],
                       widget=GovSelect())
    team = SelectField("Team (workers and team leads)", choices=[], coerce=int, widget=GovSelect())
    save = SubmitField("Save changes", widget=GovSubmitInput())


class DeactivateForm(FlaskForm):
    to = SelectField("Who takes over their families", choices=[], coerce=int, widget=GovSelect(),
                     validate_choice=False)
    reason = TextAreaField("Reason for the transfer", widget=GovTextArea(),
                           validators=[Length(max=2000)])
    deactivate = SubmitField("Transfer the families and deactivate", widget=GovSubmitInput())


class ApiTokenForm(FlaskForm):
    holder = SelectField("Who the token is for", choices=[("user", "A user (acts with their "
                                                          "role and families)"),
                                                         ("system", "A partner system")],
                         widget=GovSelect())
    user_email = EmailField("User's email address", widget=GovTextInput(),
                            description="For a user's token", validators=[Length(max=254)])
    system_name = StringField("Partner system's name", widget=GovTextInput(),
                              description="For a partner system's token, for example "
                                          "\"Council BI warehouse\"",
                              validators=[Length(max=200)])
    system_role = SelectField("Partner system's role", choices=[
        ("manager", "Programme manager (every family, the figures, evidence)"),
        ("auditor", "Internal auditor (every family and claim)")],
        validate_choice=False, widget=GovSelect())  # the service checks it, for a system
    days = SelectField("Expires after", choices=[("30", "30 days"), ("90", "90 days"),
                                                 ("180", "180 days"), ("366", "A year")],
                       default="90", widget=GovSelect())
    create = SubmitField("Make token", widget=GovSubmitInput())
