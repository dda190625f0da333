from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovSubmitInput, GovTextArea
from wtforms import SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from ..widgets import GovDateField


class PlanUploadForm(FlaskForm):
    file = FileField(
        "Upload a new version of the Outcome Plan",
        widget=GovFileInput(),
        description="The plan as a UTF-8 JSON file, with a version not loaded before",
        validators=[FileRequired(message="Select the Outcome Plan file to load")],
    )
    load = SubmitField("Check and load the plan", widget=GovSubmitInput())


class DiscretionForm(FlaskForm):
    approved_on = GovDateField("Date of the approval",
                               validators=[InputRequired(message="Enter the date of the approval")])
    reason = TextAreaField(
        "Why the progress is equivalent", widget=GovTextArea(),
        description="Shown to internal audit with your name, and frozen into any claim",
        validators=[DataRequired(message="Enter why the progress is equivalent"),
                    Length(max=2000, message="The reason must be 2,000 characters or fewer")])
    approve = SubmitField("Approve equivalent progress", widget=GovSubmitInput())
