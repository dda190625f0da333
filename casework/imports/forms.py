from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovFileInput,
    GovRadioInput,
    GovSubmitInput,
)
from wtforms import BooleanField, RadioField, SubmitField
from wtforms.validators import InputRequired

from ..importer.kinds import KINDS

KIND_LABELS = {name: kind.label for name, kind in KINDS.items()}  # declared with each kind


class UploadForm(FlaskForm):
    kind = RadioField(
        "What kind of file is it?",
        choices=[(k, KIND_LABELS[k]) for k in KINDS],
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select what kind of file it is")],
    )
    file = FileField(
        "Upload a CSV file",
        widget=GovFileInput(),
        description="UTF-8 CSV with a header row, at most 10 MB",
        validators=[FileRequired(message="Select a CSV file")],
    )
    match = BooleanField(
        "Match rows that give a name and date of birth instead of a person_ref",
        widget=GovCheckboxInput(),
        description="Rows casework is sure of are linked and imported; the others wait for a "
                    "programme manager's review or are reported as unmatched",
    )
    submit = SubmitField("Import file", widget=GovSubmitInput())
