"""Portal forms that survive bad input: what was typed, and an error next to each field.

A form handler reads the posted text as typed (:func:`typed`), builds the service's input
model from it (:func:`parse`) and calls the service. Invalid input or a conflict does not end
on an error page: the handler renders the form's page again with a :class:`FormState` that
keeps every typed value and names each problem by field. Problems are error *codes* and
:class:`~c3p.messages.Message` s, so templates say them in the page's language
(``workflow/_forms.html``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from pydantic import BaseModel, ValidationError

from c3p.errors import C3PError
from c3p.messages import N_, Message

#: pydantic error types and the code the templates word in the page's language
_CODES = {
    "missing": "required",
    "string_too_short": "required",
    "int_parsing": "number",
    "int_type": "number",
    "int_from_float": "number",
    "decimal_parsing": "number",
    "decimal_type": "number",
    "greater_than": "range",
    "greater_than_equal": "range",
    "less_than": "range",
    "less_than_equal": "range",
    "date_parsing": "date",
    "date_from_datetime_parsing": "date",
    "date_type": "date",
    "string_pattern_mismatch": "pattern",
    "enum": "choice",
    "literal_error": "choice",
}


#: pydantic's limits, said in the page's language (next to "The value is out of range.")
_LIMITS = {
    "greater_than": ("gt", N_("more than %(limit)s")),
    "greater_than_equal": ("ge", N_("at least %(limit)s")),
    "less_than": ("lt", N_("less than %(limit)s")),
    "less_than_equal": ("le", N_("at most %(limit)s")),
    "string_too_long": ("max_length", N_("Use at most %(limit)s characters.")),
}


@dataclass
class FieldError:
    code: str  # required, number, range, date, pattern, choice, invalid
    message: Message = field(default_factory=lambda: Message(""))  # the limit, or the service's reason


@dataclass
class FormState:
    """One form's typed values and problems; ``name`` says which form of the page it is."""

    name: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, FieldError] = field(default_factory=dict)
    problems: list[Message] = field(default_factory=list)  # refusals not tied to one field

    @property
    def failed(self) -> bool:
        return bool(self.errors or self.problems)

    def value(self, name: str, default: Any = "") -> Any:
        return self.values.get(name, default)

    def add(self, error: ValidationError | C3PError, fields: Iterable[str] = ()) -> FormState:
        """Record ``error`` against the field it names (or the form, when it names none)."""
        known = set(fields) | set(self.values)
        if isinstance(error, ValidationError):
            for detail in error.errors():
                name = str(detail["loc"][0]) if detail["loc"] else ""
                if name in known:
                    self.errors.setdefault(name, FieldError(_CODES.get(detail["type"], "invalid"), _reason(detail)))
                else:
                    self.problems.append(
                        Message(N_("%(field)s: %(reason)s"), {"field": name, "reason": _reason(detail)})
                    )
            return self
        named = error.extra.get("field")
        if named in known:
            self.errors[named] = FieldError("invalid", error.message)
        else:
            self.problems.append(error.message)
        return self


def _reason(detail: Any) -> Message:
    """Pydantic's reason for one field: its limit as a message, else its own (English) words."""
    limit = _LIMITS.get(detail["type"])
    if limit and limit[0] in detail.get("ctx", {}):
        return Message(limit[1], {"limit": detail["ctx"][limit[0]]})
    return Message(detail["msg"])


async def typed(request: Request) -> dict[str, Any]:
    """The posted form as typed: text fields stripped, repeated fields as lists, no CSRF token."""
    form = await request.form()
    values: dict[str, Any] = {}
    for key in form:
        if key == "csrf_token":
            continue
        items = [str(v) for v in form.getlist(key)]
        values[key] = items if len(items) > 1 or key.endswith("[]") else items[0].strip()
    return values


def number_text(text: str) -> str:
    """A number as people type it (``1,200`` or full-width ``１２００``) in plain digits."""
    return unicodedata.normalize("NFKC", text).replace(",", "").replace("_", "").replace(" ", "")


def words(text: str) -> list[str]:
    """Slugs typed separated by commas, semicolons, spaces or lines."""
    for separator in ",;\n\r\t":
        text = text.replace(separator, " ")
    return [part for part in text.split(" ") if part]


def parse(
    model: type[BaseModel],
    values: Mapping[str, Any],
    *,
    numbers: Iterable[str] = (),
    lists: Iterable[str] = (),
) -> Any:
    """``model`` built from typed text: numbers cleaned, lists split, empty fields left out.

    Raises pydantic's ValidationError; :meth:`FormState.add` places it next to the fields.
    """
    data: dict[str, Any] = {}
    numbers = set(numbers)
    lists = set(lists)
    for name in model.model_fields:
        if name not in values:
            continue
        raw = values[name]
        if name in lists:
            data[name] = words(raw) if isinstance(raw, str) else list(raw)
            continue
        if isinstance(raw, str) and raw == "":
            continue  # an empty field: the model's default, or "required" when it has none
        data[name] = number_text(raw) if name in numbers and isinstance(raw, str) else raw
    return model.model_validate(data)
