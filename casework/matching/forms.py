from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput
from wtforms import RadioField, SubmitField
from wtforms.validators import InputRequired

NOBODY = "none"


class DecisionForm(FlaskForm):
    person = RadioField(
        "Who is this row about?",
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select the person this row is about, or none of them")],
    )
    submit = SubmitField("Save decision", widget=GovSubmitInput())

    def __init__(self, candidates: list[tuple[str, str]], **kwargs):
        super().__init__(**kwargs)
        self.person.choices = [*candidates, (NOBODY, "None of these people")]
