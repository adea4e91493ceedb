"""The documented problem schema is the shape the error hierarchy really renders."""

from __future__ import annotations

import importlib

from c3p.errors import C3PError, Conflict, DataFileError, Forbidden, InvalidInput, NotFound
from c3p.web.errors import PROBLEM_JSON
from c3p.web.problems import Problem, problems


def every_error_class(base: type[C3PError] = C3PError) -> list[type[C3PError]]:
    found = [base]
    for sub in base.__subclasses__():
        found += every_error_class(sub)
    return found


def test_every_error_renders_a_document_the_schema_accepts() -> None:
    for module in ("c3p.accounts.service.signin", "c3p.workflow.service.attachments"):
        importlib.import_module(module)  # each defines errors of its own
    from c3p.mrv.spec_checks import SpecProblem

    examples = {
        DataFileError: DataFileError("seed.yaml", 3, "unknown country"),
        SpecProblem: SpecProblem(("equations", 0), "unknown symbol"),
    }
    for error_class in every_error_class():
        error = examples.get(error_class) or error_class("it went wrong")
        document = error.problem(instance="/api/v1/x")
        parsed = Problem.model_validate(document)
        assert parsed.model_dump(exclude_none=True) == document
        assert parsed.status == error_class.status


def test_problems_names_each_status_once_with_every_title() -> None:
    responses = problems(NotFound, InvalidInput, DataFileError, Conflict, Forbidden)
    assert set(responses) == {404, 422, 409, 403}
    assert responses[422]["description"] == f"{InvalidInput.title}; {DataFileError.title}"
    assert list(responses[409]["content"]) == [PROBLEM_JSON]
