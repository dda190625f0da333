import datetime as dt
import re

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
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
from ..widgets import GovDateField, GovIntegerField

FOLLOW_UPS = 3


def _time(form, field):
    if not re.fullmatch(r"([01]?\d|2[0-3])[:.][0-5]\d", (field.data or "").strip()):
        raise ValidationError("Enter a time in the 24-hour clock, for example 14:30")


class PeoplePresentField(SelectMultipleField):
    """The family's people as checkboxes; a reference not among them (a person moved or
    merged since the form was shown) is named in words, not WTForms' stock message."""

    def pre_validate(self, form):
        known = {value for value, _label in self.choices}
        if unknown := [value for value in self.data or () if value not in known]:
            raise ValidationError(
                f"{', '.join(unknown)} is not in this family any more: select who was there again")


class ContactForm(FlaskForm):
    contact_on = GovDateField("Date of contact", example_days=-2,
                              validators=[InputRequired(message="Enter the date of the contact")])
    contact_time = StringField("Time", widget=GovTextInput(), description="24-hour clock, for example 14:30",
                               validators=[_time])
    kind = RadioField("Type of contact", choices=list(m.CONTACT_KINDS.items()), widget=GovRadioInput(),
                      validators=[InputRequired(message="Select the type of contact")])
    duration = GovIntegerField("Duration in minutes", widget=GovTextInput(),
                            validators=[Optional(), NumberRange(min=0, max=24 * 60,
                                        message="Enter minutes between 0 and 1440")])
    present = PeoplePresentField("Who was there", choices=[], widget=GovCheckboxesInput())
    notes = TextAreaField("Notes", widget=GovTextArea(), validators=[Length(max=20000)],
                          description="What happened and what was agreed, or why there was no contact")
    action_1 = StringField("Follow-up action 1", widget=GovTextInput(), validators=[Length(max=500)])
    due_1 = GovDateField("Due date for action 1", example_days=7, validators=[Optional()])
    action_2 = StringField("Follow-up action 2", widget=GovTextInput(), validators=[Length(max=500)])
    due_2 = GovDateField("Due date for action 2", example_days=14, validators=[Optional()])
    action_3 = StringField("Follow-up action 3", widget=GovTextInput(), validators=[Length(max=500)])
    due_3 = GovDateField("Due date for action 3", example_days=28, validators=[Optional()])
    save = SubmitField("Save contact", widget=GovSubmitInput())
    save_draft = SubmitField("Save as draft", widget=GovSubmitInput())

    def validate(self, extra_validators=None) -> bool:
        """A draft may be incomplete; a finished contact says who was there and what happened."""
        valid = super().validate(extra_validators)
        when = self.contact_at()
        if when is not None and when > clock.now().replace(second=59, microsecond=999999):
            self.contact_time.errors = [*self.contact_time.errors,
                                        f"The time of the contact must be now or earlier: it "
                                        f"is {clock.now():%H:%M} now"]
            valid = False
        for i in range(1, FOLLOW_UPS + 1):
            action, due = getattr(self, f"action_{i}"), getattr(self, f"due_{i}")
            if due.data and not (action.data or "").strip():
                action.errors = [*action.errors, f"Enter follow-up action {i}, or remove its "
                                                 "due date"]
                valid = False
            if due.data and self.contact_on.data and due.data < self.contact_on.data:
                due.errors = [*due.errors, f"The due date for action {i} must be on or after "
                                           "the date of the contact"]
                valid = False
        if self.save.data:
            if not self.present.data and self.kind.data != "no_access":
                self.present.errors = [*self.present.errors, "Select who was there"]
                valid = False
            if not (self.notes.data or "").strip():
                self.notes.errors = [*self.notes.errors,
                                     "Enter notes of what happened, or the outcome of the contact"]
                valid = False
        return valid

    def contact_at(self) -> dt.datetime | None:
        """The date and time of the contact, when both are given and valid."""
        match = re.fullmatch(r"([01]?\d|2[0-3])[:.]([0-5]\d)", (self.contact_time.data or "").strip())
        if not (match and isinstance(self.contact_on.data, dt.date)):
            return None
        return dt.datetime.combine(self.contact_on.data, dt.time(int(match[1]), int(match[2])))

    def validate_contact_on(self, field):
        if field.data and field.data > clock.today():
            raise ValidationError("The date of the contact must be today or in the past")

    def values(self) -> dict:
        hours, minutes = re.split(r"[:.]", self.contact_time.data.strip())
        return {
            "contact_at": dt.datetime.combine(self.contact_on.data, dt.time(int(hours), int(minutes))),
            "kind": self.kind.data,
            "duration_minutes": self.duration.data or 0,
            "present": self.present.data or [],
            "notes": self.notes.data or "",
            "actions": [
                (getattr(self, f"action_{i}").data.strip(), getattr(self, f"due_{i}").data)
                for i in range(1, FOLLOW_UPS + 1) if (getattr(self, f"action_{i}").data or "").strip()
            ],
        }


class GoalForm(FlaskForm):
    problem = SelectField("Problem", choices=list(m.PLAN_PROBLEMS.items()), widget=GovSelect())
    goal = TextAreaField("Goal", widget=GovTextArea(),
                         validators=[InputRequired(message="Enter the goal"), Length(max=2000)])
    status = SelectField("Status", choices=list(m.GOAL_STATUSES.items()), widget=GovSelect())
    target_on = GovDateField("Target date", example_days=90, validators=[Optional()])
    save_goal = SubmitField("Add goal", widget=GovSubmitInput())

    def validate_target_on(self, field):
        if field.data and field.data < clock.today():
            raise ValidationError("The target date must be today or later")


class ReferralForm(FlaskForm):
    kind = SelectField("Referral to", choices=list(m.REFERRAL_KINDS.items()), widget=GovSelect())
    agency = StringField("Agency or service", widget=GovTextInput(),
                         validators=[InputRequired(message="Enter the agency or service"), Length(max=200)])
    person_ref = SelectField("For", choices=[], widget=GovSelect(), validate_choice=True)
    referred_on = GovDateField("Referred on", example_days=-7,
                               validators=[InputRequired(message="Enter the date of the referral")])
    status = SelectField("Status", choices=list(m.REFERRAL_STATUSES.items()), widget=GovSelect())
    notes = TextAreaField("Notes", widget=GovTextArea(), validators=[Length(max=2000)])
    save_referral = SubmitField("Add referral", widget=GovSubmitInput())


class StatusForm(FlaskForm):
    status = SelectField("Status", choices=[], widget=GovSelect())
    save_status = SubmitField("Update", widget=GovSubmitInput())


FOLLOW_UP_CHOICES = [("done", "Done"), ("reassign", "Give it to someone else"),
                     ("dropped", "Drop it: it is no longer needed")]


class FollowUpForm(FlaskForm):
    outcome = RadioField("What happened to this follow-up?", choices=FOLLOW_UP_CHOICES,
                         widget=GovRadioInput(),
                         validators=[InputRequired(message="Select what happened to the follow-up")])
    assign_to = SelectField("Give it to", choices=[], coerce=int, widget=GovSelect(),
                            validate_choice=False)
    reason = TextAreaField("Reason or note", widget=GovTextArea(), validators=[Length(max=2000)],
                           description="Needed when you drop it or give it to someone else")
    save_follow_up = SubmitField("Save", widget=GovSubmitInput())

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.outcome.data in ("dropped", "reassign") and not (self.reason.data or "").strip():
            self.reason.errors = [*self.reason.errors, "Enter the reason"]
            valid = False
        if self.outcome.data == "reassign" and not self.assign_to.data:
            self.assign_to.errors = [*self.assign_to.errors, "Select who the follow-up goes to"]
            valid = False
        return valid
