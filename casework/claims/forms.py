from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextArea, GovTextInput
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length

from ..widgets import GovDateField


class BuildForm(FlaskForm):
    as_of = GovDateField("Claim date",
                         validators=[InputRequired(message="Enter the claim date")])
    build = SubmitField("Build draft claims", widget=GovSubmitInput())


class BatchForm(FlaskForm):
    window = StringField("Claim window", widget=GovTextInput(), description="For example, July 2013",
                         validators=[InputRequired(message="Enter the claim window"), Length(max=60)])
    submit_batch = SubmitField("Submit validated claims as a batch", widget=GovSubmitInput())


class DecisionForm(FlaskForm):
    reason = TextAreaField("Reason for rejecting", widget=GovTextArea(),
                           description="Needed only to reject the claim", validators=[Length(max=2000)])
    validate_claim = SubmitField("Validate claim", widget=GovSubmitInput())
    reject_claim = SubmitField("Reject claim", widget=GovSubmitInput())
