"""The referral forms: send one, and answer one."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSelect, GovSubmitInput, GovTextArea
from wtforms import SelectField, SubmitField, TextAreaField
from wtforms.validators import Optional

from .. import models as m
from ..widgets import GovDateField


class SendForm(FlaskForm):
    organisation = SelectField("Organisation", coerce=int, widget=GovSelect(), default=0)
    practitioner = SelectField("Practitioner, if known", coerce=int, widget=GovSelect(),
                               default=0, validators=[Optional()])
    person_ref = SelectField("Who is referred", widget=GovSelect(), default="")
    kind = SelectField("The need it answers", widget=GovSelect(), default="",
                       choices=[("", "Select the need")] + list(m.REFERRAL_KINDS.items()))
    reason = TextAreaField("Reason for the referral", widget=GovTextArea())
    may_share = TextAreaField("What may be shared", widget=GovTextArea(),
                              description="What the family agreed the organisation may be told")
    due_on = GovDateField("Due by", example_days=14, validators=[Optional()])
    send = SubmitField("Send the referral", widget=GovSubmitInput())


class DeclineForm(FlaskForm):
    decline_reason = TextAreaField("Reason for declining", widget=GovTextArea())
    decline = SubmitField("Decline the referral", widget=GovSubmitInput())


class OutcomeForm(FlaskForm):
    outcome = TextAreaField("Outcome", widget=GovTextArea(),
                            description="What the organisation did, and what came of it")
    record = SubmitField("Record the outcome", widget=GovSubmitInput())


class AcceptForm(FlaskForm):
    accept = SubmitField("Accept the referral", widget=GovSubmitInput())
