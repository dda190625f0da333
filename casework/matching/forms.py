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


NOT_THE_SAME = "not-the-same"


class MergeForm(FlaskForm):
    keep = RadioField(
        "What should be done with these two records?",
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select the record to keep, or that they are "
                                          "different people")],
    )
    submit = SubmitField("Save decision", widget=GovSubmitInput())

    def __init__(self, first, second, **kwargs):
        super().__init__(**kwargs)
        self.keep.choices = [
            (str(first.id), f"One person: keep {first.person_ref} and merge "
                            f"{second.person_ref} into it"),
            (str(second.id), f"One person: keep {second.person_ref} and merge "
                             f"{first.person_ref} into it"),
            (NOT_THE_SAME, "Two different people (do not show them as duplicates again)"),
        ]


DIFFERENT = "different"


class FamilyMergeForm(FlaskForm):
    keep = RadioField(
        "What should be done with these two families?",
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select the family to keep, or that they are "
                                          "different households")],
    )
    submit = SubmitField("Save decision", widget=GovSubmitInput())

    def __init__(self, first, second, **kwargs):
        super().__init__(**kwargs)
        self.keep.choices = [
            (first.family_ref, f"One household: keep {first.family_ref} and merge "
                               f"{second.family_ref} into it"),
            (second.family_ref, f"One household: keep {second.family_ref} and merge "
                                f"{first.family_ref} into it"),
            (DIFFERENT, "Two different households (do not show them as duplicates again)"),
        ]


class UndoForm(FlaskForm):
    submit = SubmitField("Undo this merge", widget=GovSubmitInput())


class SearchForm(FlaskForm):
    submit = SubmitField("Look for duplicates now", widget=GovSubmitInput())
