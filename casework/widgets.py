"""GOV.UK widgets and fields, mended where govuk-frontend-wtf and WTForms trip over real input."""

from govuk_frontend_wtf.wtforms_widgets import GovDateInput
from wtforms import DateField, IntegerField

from .dates_input import date_example


class DateInput(GovDateInput):
    """GovDateInput that also renders when an optional date was not sent at all, with an
    example date as its hint unless the field has its own: `example_days` from today, a
    recent date for what has happened (the default), a coming one for what is due."""

    def __init__(self, example_days: int = -30):
        self.example_days = example_days

    def map_gov_params(self, field, **kwargs):
        raw = field.raw_data
        if raw is not None and len(raw) != 3:
            field.raw_data = (list(raw) + ["", "", ""])[:3]
        try:
            params = super().map_gov_params(field, **kwargs)
        finally:
            field.raw_data = raw
        if not params.get("hint"):  # the base sets it to None when the field has no description
            params["hint"] = {"text": date_example(self.example_days)}
        return params


class GovDateField(DateField):
    """A date from the GOV.UK date input, with the Design System's error messages, which name
    the field ("Date of contact must be a real date"), never WTForms' "Not a valid date value."."""

    def __init__(self, label=None, validators=None, example_days: int = -30, **kwargs):
        kwargs.setdefault("format", "%d %m %Y")
        kwargs.setdefault("widget", DateInput(example_days))
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        parts = [str(v).strip() for v in valuelist or []]
        if not any(parts):
            self.data = None
            return
        if len(parts) != 3 or not all(parts):
            self.data = None
            raise ValueError(f"{self.label.text} must include a day, month and year")
        try:
            super().process_formdata(parts)
        except ValueError:
            raise ValueError(f"{self.label.text} must be a real date") from None
        if self.data and self.data.year < 1900:
            self.data = None
            raise ValueError(f"{self.label.text} must be a real date")


class GovIntegerField(IntegerField):
    """A whole number, refused in the Design System's words ("Duration in minutes must be a
    whole number"), never WTForms' "Not a valid integer value."."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(f"{self.label.text.removesuffix(' (optional)')} must be a whole "
                             "number") from None
