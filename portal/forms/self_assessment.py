"""Forms for the self-assessment (one section's questions), the plan it leads to, and an action."""

from __future__ import annotations

from datetime import date

from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovRadioInput,
    GovSubmitInput,
)
from wtforms import RadioField, SelectMultipleField, SubmitField, ValidationError
from wtforms.validators import InputRequired, Optional

from portal.forms.base import PortalForm
from portal.forms.organisations import choices
from portal.forms.policy import GovDateField
from portal.models import OWNER_LABELS, ActionStatus
from portal.services.self_assessment import Recommendation, Section

ACTION_STATUS_LABELS = {status.value: status.label for status in ActionStatus}


class SectionForm(PortalForm):
    """One section's questions, built per section by `section_form`. Every answer is optional
    here (save and come back later); check your answers asks for the missing ones."""

    save = SubmitField("Save and continue", widget=GovSubmitInput())
    later = SubmitField("Save and come back later", widget=GovSubmitInput())

    question_keys: tuple[str, ...] = ()

    def answers(self) -> dict[str, str | None]:
        return {key: self[key].data or None for key in self.question_keys}


def section_form(section: Section, answers: dict[str, str], formdata: object = None
                 ) -> SectionForm:
    fields = {q.key: RadioField(q.text, widget=GovRadioInput(), description=q.guidance,
                                choices=choices(q.choices), validators=[Optional()])
              for q in section.questions}
    form_class = type(f"{section.key.title()}SectionForm", (SectionForm,),
                      {**fields, "question_keys": tuple(fields)})
    return form_class(formdata=formdata, data={k: answers.get(k) for k in fields})


class PlanForm(PortalForm):
    recommendations = SelectMultipleField(
        "Which recommendations do you want to add to your action plan?",
        widget=GovCheckboxesInput(), choices=[],
        validators=[InputRequired("Select at least one recommendation")])
    due_on = GovDateField("When should they be done by?", noun="the due date",
                          description="You can change each action’s date later. For example, "
                                      "27 3 2027")
    submit = SubmitField("Add to the action plan", widget=GovSubmitInput())

    def __init__(self, recommendations: list[Recommendation], *args: object, today: date,
                 **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.recommendations.choices = choices(
            {r.question.key: r.question.recommendation for r in recommendations})

    def validate_due_on(self, field: GovDateField) -> None:
        check_due_date(field, self.today)


def check_due_date(field: GovDateField, today: date) -> None:
    if field.errors:
        return
    if field.data is None:
        raise ValidationError("Enter the due date")
    if field.data < today or field.data.year > today.year + 10:
        raise ValidationError("The due date must be today or later, within 10 years")


class ActionForm(PortalForm):
    status = RadioField("Where is it up to?", widget=GovRadioInput(),
                        choices=choices(ACTION_STATUS_LABELS),
                        validators=[InputRequired("Select where the action is up to")])
    owner_role = RadioField("Who does it?", widget=GovRadioInput(),
                            description="A role, never a person’s name.",
                            choices=choices({role.value: label
                                             for role, label in OWNER_LABELS.items()}),
                            validators=[InputRequired("Select who does it")])
    due_on = GovDateField("Due date", noun="the due date", description="For example, 27 3 2027")
    submit = SubmitField("Save", widget=GovSubmitInput())

    def validate_due_on(self, field: GovDateField) -> None:
        if field.errors:
            return
        if field.data is None:
            raise ValidationError("Enter the due date")
        if field.data.year < 2000 or field.data.year > 2200:
            raise ValidationError("The due date must be a real date")
