"""The base of c3p's pydantic models: each is built the first time it is used.

pydantic builds a model's validator and serializer when its class is defined, unless the
model defers it. Most of c3p's ~90 models serve a few pages, commands or API calls, yet all of
them were built at import, before ``c3p serve`` answered its first page (~0.2 s of CPU). A
deferred model is built on its first validation, serialization or schema, once: pydantic ≥ 2.14
builds it under a lock, so threads using it for the first time at once wait for the one build.

A mutable default (``items: list[str] = []``) is copied for each instance, as in any pydantic
model; ruff knows that only of direct subclasses of ``BaseModel``, hence ``# noqa: RUF012``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Schema(BaseModel):
    """A pydantic model built on first use; its subclasses add their own configuration."""

    model_config = ConfigDict(defer_build=True)
