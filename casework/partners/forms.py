from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovPasswordInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from .. import models as m
from ..widgets import GovDateField


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


# The Team Around the Family -------------------------------------------------------------------
# The service checks every choice (who, which member) and names every problem at once.


class MemberForm(FlaskForm):
    user = SelectField("Who joins", choices=[], coerce=int, validate_choice=False,
                       widget=GovSelect())
    role_note = StringField("Their part (optional)", widget=GovTextInput(),
                            description="For example, attendance officer",
                            validators=[Length(max=200)])
    from_on = GovDateField("In the team from", example_days=0, validators=[Optional()])
    add_member = SubmitField("Add to the team", widget=GovSubmitInput())


class EndMemberForm(FlaskForm):
    to_on = GovDateField("Last day in the team", example_days=0, validators=[Optional()])
    end_member = SubmitField("End membership", widget=GovSubmitInput())


class ConsentForm(FlaskForm):
    given_on = GovDateField("Consent given on", example_days=-1, validators=[Optional()])
    given_by = StringField("Given by", widget=GovTextInput(),
                           description="Who in the family gave consent",
                           validators=[Length(max=200)])
    record_consent = SubmitField("Record consent to share", widget=GovSubmitInput())


class WithdrawForm(FlaskForm):
    withdrawn_on = GovDateField("Consent withdrawn on", example_days=0, validators=[Optional()])
    withdrawn_note = TextAreaField("Note (optional)", widget=GovTextArea(),
                                   validators=[Length(max=2000)])
    withdraw = SubmitField("Withdraw consent", widget=GovSubmitInput())


class LeadForm(FlaskForm):
    lead_user = SelectField("Lead professional", choices=[], coerce=int, validate_choice=False,
                            widget=GovSelect())
    lead_from = GovDateField("Lead from", example_days=0, validators=[Optional()])
    lead_to = GovDateField("Lead to (optional)", example_days=180, validators=[Optional()],
                           description="Leave empty until handed over")
    lead_note = TextAreaField("Hand-over note", widget=GovTextArea(),
                              description="Needed when another lead professional hands over",
                              validators=[Length(max=2000)])
    save_lead = SubmitField("Name lead professional", widget=GovSubmitInput())


ACTIONS = 3


class MeetingForm(FlaskForm):
    held_on = GovDateField("Date of the meeting", example_days=-1, validators=[Optional()])
    attended = SelectMultipleField("Who attended", choices=[], coerce=int,
                                   validate_choice=False, widget=GovCheckboxesInput())
    decisions = TextAreaField("Decisions", widget=GovTextArea(), validators=[Length(max=5000)])
    action_1 = StringField("Action 1", widget=GovTextInput(), validators=[Length(max=2000)])
    owner_1 = SelectField("Owner of action 1", choices=[], coerce=int, validate_choice=False,
                          widget=GovSelect())
    due_1 = GovDateField("Due date of action 1", example_days=14, validators=[Optional()])
    action_2 = StringField("Action 2", widget=GovTextInput(), validators=[Length(max=2000)])
    owner_2 = SelectField("Owner of action 2", choices=[], coerce=int, validate_choice=False,
                          widget=GovSelect())
    due_2 = GovDateField("Due date of action 2", example_days=14, validators=[Optional()])
    action_3 = StringField("Action 3", widget=GovTextInput(), validators=[Length(max=2000)])
    owner_3 = SelectField("Owner of action 3", choices=[], coerce=int, validate_choice=False,
                          widget=GovSelect())
    due_3 = GovDateField("Due date of action 3", example_days=14, validators=[Optional()])
    save_meeting = SubmitField("Save meeting", widget=GovSubmitInput())


class CompleteForm(FlaskForm):
    done_note = TextAreaField("What was done", widget=GovTextArea(),
                              validators=[Length(max=2000)])
    complete = SubmitField("Mark as done", widget=GovSubmitInput())
