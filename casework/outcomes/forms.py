from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovSubmitInput
from wtforms import SubmitField


class PlanUploadForm(FlaskForm):
    file = FileField(
        "Upload a new version of the Outcome Plan",
        widget=GovFileInput(),
        description="The plan as a UTF-8 JSON file, with a version not loaded before",
        validators=[FileRequired(message="Select the Outcome Plan file to load")],
    )
    load = SubmitField("Check and load the plan", widget=GovSubmitInput())
