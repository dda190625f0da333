from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
)
from wtforms import RadioField, SelectField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from ..widgets import GovDateField
from .service import CLOSURE_OUTCOMES


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
    submit = SubmitField("Allocate family", widget=GovSubmitInput())

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
