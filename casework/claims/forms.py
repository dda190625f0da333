from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from ..widgets import GovDateField, GovIntegerField


class BuildForm(FlaskForm):
    as_of = GovDateField("Claim date",
                         validators=[InputRequired(message="Enter the claim date")])
    # Offered only when the council claims under a later programme too (claim_rulesets).
    ruleset = RadioField("Claim under", widget=GovRadioInput(),
                         validators=[InputRequired(message="Choose the rules to claim under")])
    build = SubmitField("Build draft claims", widget=GovSubmitInput())


class BatchForm(FlaskForm):
    window = StringField("Claim window", widget=GovTextInput(), description="For example, July 2013",
                         validators=[InputRequired(message="Enter the claim window"), Length(max=60)])
    submit_batch = SubmitField("Check the batch before submitting it", widget=GovSubmitInput())


class ConfirmBatchForm(FlaskForm):
    """The second step: what was shown (window and exactly these claims) is what is submitted."""

    window = HiddenField(validators=[InputRequired(), Length(max=60)])
    fingerprint = HiddenField(validators=[InputRequired()])
    confirm = SubmitField("Submit the batch", widget=GovSubmitInput())


class DecisionForm(FlaskForm):
    reason = TextAreaField("Reason for rejecting", widget=GovTextArea(),
                           description="Needed only to reject the claim", validators=[Length(max=2000)])
    checked = BooleanField(
        "I have checked this claim's evidence. A decision cannot be undone.",
        widget=GovCheckboxInput(),
        validators=[DataRequired(message="Confirm that you have checked the claim's evidence: "
                                         "a decision cannot be undone")])
    validate_claim = SubmitField("Validate claim", widget=GovSubmitInput())
    reject_claim = SubmitField("Reject claim", widget=GovSubmitInput())

    def validate_reason(self, field):
        """Rejecting needs a reason: said with the form's other errors, all at once (the
        service refuses it too, but only once the box is ticked)."""
        if self.reject_claim.data and not (field.data or "").strip():
            raise ValidationError("Enter the reason for rejecting the claim")


class SampleForm(FlaskForm):
    percent = GovIntegerField("Percentage of the claims shown", widget=GovTextInput(),
                           validators=[InputRequired(message="Enter the percentage to sample"),
                                       NumberRange(1, 100, message="Enter a percentage from 1 to 100")])
    seed = GovIntegerField("Seed (optional)", widget=GovTextInput(),
                        description="Give the seed of an earlier sample to draw it again; "
                                    "left empty, a new seed is chosen and recorded",
                        validators=[Optional(), NumberRange(0, 2**31 - 1, message="Enter a whole number")])
    draw = SubmitField("Draw a sample", widget=GovSubmitInput())
