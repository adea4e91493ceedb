"""Texts for people made in Python: an English message id with its parameters kept apart.

Code marks each id with :func:`N_` so ``pybabel extract`` finds it (see ``babel.cfg``) and the
catalogs translate it like a template string; the parameters stay apart so the portal, the
e-mails and the API can each say the message in their language
(:func:`c3p.catalogs.translate`). ``str(message)`` is the English text. A parameter may be a
Message itself (a state's label), and ``<name>_<language>`` gives a value per language (a title).
Stdlib only, so the domain can use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


def N_(text: str) -> str:
    """Mark ``text`` as a message id to extract; it is translated where it is shown."""
    return text


@dataclass(frozen=True)
class Message:
    """``Message(N_("Call %(call)s is open"), {"call": "2025-1"})``.

    >>> str(Message("Call %(call)s is open", {"call": "2025-1"}))
    'Call 2025-1 is open'
    """

    text: str
    params: dict[str, Any] = field(default_factory=dict)

    def render(self, gettext: Any = None, language: str = "en") -> str:
        """The text through ``gettext`` (none: English) with its parameters, nested ones too."""
        text = gettext(self.text) if gettext else self.text
        if not self.params:
            return text
        values = {
            name: value.render(gettext, language) if isinstance(value, Message) else value
            for name, value in self.params.items()
        }
        values.update({name: values[f"{name}_{language}"] for name in self.params if values.get(f"{name}_{language}")})
        return text % values

    def __str__(self) -> str:
        return self.render()


def listing(items: Sequence[Message | str], conjunction: str = "") -> Message | str:
    """Items said one after another (``"a; b; c"``), each in the reader's language.

    ``conjunction="or"`` says alternatives (``"a or b"``). Built from nested messages, so the
    catalogs decide the separator of each language.

    >>> str(listing([Message("a title"), "a plan"]))
    'a title; a plan'
    """
    joint = N_("%(items)s or %(item)s") if conjunction == "or" else N_("%(items)s; %(item)s")
    said: Message | str = items[0] if items else ""
    for item in items[1:]:
        said = Message(joint, {"items": said, "item": item})
    return said


class Refused(ValueError):
    """A rule's refusal said as a :class:`Message`; ``str()`` is its English text.

    Domain rules raise it so a service can pass the message on in a
    :class:`~c3p.errors.C3PError` and each reader gets it in their language.
    """

    def __init__(self, message: Message | str) -> None:
        self.message = message if isinstance(message, Message) else Message(message)
        super().__init__(str(self.message))
