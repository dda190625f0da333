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


def _keep(question: str, required: str) -> RadioField:
    return RadioField(question, widget=GovRadioInput(),
                      validators=[InputRequired(message=required)])


class _MergeForm(FlaskForm):
    """Two records of one person or household: keep one and merge the other into it, or say
    they are not one. A subclass says the words and how a record is named in the choice."""

    keep: RadioField
    one: str  # "One person", "One household"
    not_one: str  # the choice that they are not one, and its words
    not_one_label: str
    submit = SubmitField("Save decision", widget=GovSubmitInput())

    def __init__(self, first, second, **kwargs):
        super().__init__(**kwargs)
        self.keep.choices = [
            (self.key(first), f"{self.one}: keep {self.ref(first)} and merge "
                              f"{self.ref(second)} into it"),
            (self.key(second), f"{self.one}: keep {self.ref(second)} and merge "
                               f"{self.ref(first)} into it"),
            (self.not_one, self.not_one_label),
        ]

    def kept_and_other(self, first, second) -> tuple:
        """The record chosen to keep, and the other."""
        return (first, second) if self.keep.data == self.key(first) else (second, first)


class MergeForm(_MergeForm):
    keep = _keep("What should be done with these two records?",
                 "Select the record to keep, or that they are different people")
    one, not_one = "One person", "not-the-same"
    not_one_label = "Two different people (do not show them as duplicates again)"

    @staticmethod
    def key(person) -> str:
        return str(person.id)

    @staticmethod
    def ref(person) -> str:
        return person.person_ref


class FamilyMergeForm(_MergeForm):
    keep = _keep("What should be done with these two families?",
                 "Select the family to keep, or that they are different households")
    one, not_one = "One household", "different"
    not_one_label = "Two different households (do not show them as duplicates again)"

    @staticmethod
    def key(family) -> str:
        return family.family_ref

    ref = key


class UndoForm(FlaskForm):
    submit = SubmitField("Undo this merge", widget=GovSubmitInput())


class SearchForm(FlaskForm):
    submit = SubmitField("Look for duplicates now", widget=GovSubmitInput())
