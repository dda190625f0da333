from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import InputRequired, Length, Optional

from ..models import CLOSURE_OUTCOMES
from ..widgets import GovDateField


class AllocateForm(FlaskForm):
    worker = SelectField("FIP worker", coerce=int, widget=GovSelect(),
                         validators=[InputRequired(message="Select a FIP worker")])
    on = GovDateField("Allocated on", example_days=-1,
                      validators=[InputRequired(message="Enter the date of allocation")])
    reason = TextAreaField("Why this worker (optional)", widget=GovTextArea(),
                           validators=[Optional(), Length(max=2000)])
    override_reason = TextAreaField(
        "Override reason", widget=GovTextArea(),
        description="Only needed to allocate past a caseload limit: say why.",
        validators=[Optional(), Length(max=2000)],
    )
    # A family not yet signed up is signed up in the same step, with its consent.
    consent = BooleanField("The information-sharing agreement is signed and the family gave "
                           "consent to work with the programme", widget=GovCheckboxInput())
    consent_by = StringField("Consent given by", widget=GovTextInput(),
                             description="The family member who gave consent",
                             validators=[Length(max=200)])
    submit = SubmitField("Allocate family", widget=GovSubmitInput())
    signing_up = False  # set by the page when the family has no open episode

    def as_sign_up(self) -> None:
        """The family is not signed up: this allocation signs it up too."""
        self.signing_up = True
        self.submit.label.text = "Sign up and allocate"

    def validate_consent(self, field):
        if self.signing_up and not field.data:
            raise ValidationError("The family signs up only with the information-sharing "
                                  "agreement signed and consent given")

    def validate_consent_by(self, field):
        if self.signing_up and not (field.data or "").strip():
            raise ValidationError("Enter who gave consent")

    def as_transfer(self) -> None:
        """A family that has a worker is transferred: to someone else, saying why."""
        self.worker.label.text = "Transfer to"
        self.on.label.text = "Transferred on"
        self.reason.label.text = "Reason for the transfer"
        self.reason.validators = [InputRequired(message="Enter the reason for the transfer"),
                                  Length(max=2000)]
        self.submit.label.text = "Transfer family"
        self.override_reason.description = "Only needed to transfer past a caseload limit: say why."


class CloseForm(FlaskForm):
    outcome = RadioField("Outcome", choices=list(CLOSURE_OUTCOMES.items()), widget=GovRadioInput(),
                         validators=[InputRequired(message="Select the outcome")])
    on = GovDateField("Closed on", example_days=-1,
                      validators=[InputRequired(message="Enter the date of closure")])
    reason = TextAreaField("Reason for closing", widget=GovTextArea(),
                           validators=[InputRequired(message="Enter the reason for closing"),
                                       Length(max=2000)])
    submit = SubmitField("Close the case", widget=GovSubmitInput())
