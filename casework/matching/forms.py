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
    they are not one. A subclass says the words, the choice's value for a record (key) and
    its reference (ref)."""

    keep: RadioField
    one: str  # "One person", "One household"
    not_one: str  # the choice that they are not one, and its words
    not_one_label: str
    key_column: str  # the record's column that is the choice's value
    ref_column: str  # and the one that names it
    submit = SubmitField("Save decision", widget=GovSubmitInput())

    def __init__(self, first, second, **kwargs):
        super().__init__(**kwargs)
        ref = self.ref
        self.keep.choices = [
            (self.key(first), f"{self.one}: keep {ref(first)} and merge {ref(second)} into it"),
            (self.key(second), f"{self.one}: keep {ref(second)} and merge {ref(first)} into it"),
            (self.not_one, self.not_one_label),
        ]

    @classmethod
    def key(cls, record) -> str:
        return str(getattr(record, cls.key_column))

    @classmethod
    def ref(cls, record) -> str:
        return getattr(record, cls.ref_column)

    def kept_and_other(self, first, second) -> tuple:
        """The record chosen to keep, and the other."""
        return (first, second) if self.keep.data == self.key(first) else (second, first)


class MergeForm(_MergeForm):
    keep = _keep("What should be done with these two records?",
                 "Select the record to keep, or that they are different people")
    one, not_one, key_column, ref_column = "One person", "not-the-same", "id", "person_ref"
    not_one_label = "Two different people (do not show them as duplicates again)"


class FamilyMergeForm(_MergeForm):
    keep = _keep("What should be done with these two families?",
                 "Select the family to keep, or that they are different households")
    one, not_one, key_column, ref_column = "One household", "different", "family_ref", "family_ref"
    not_one_label = "Two different households (do not show them as duplicates again)"


class UndoForm(FlaskForm):
    submit = SubmitField("Undo this merge", widget=GovSubmitInput())


class SearchForm(FlaskForm):
    submit = SubmitField("Look for duplicates now", widget=GovSubmitInput())
