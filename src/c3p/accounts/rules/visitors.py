"""What visitors who are not signed in may read of who did something: never a person or the server's account.

An e-mail address becomes "…@domain" (the organization stays visible, the person does not) and
the server's own account (``operator:<login>``) becomes "operator". Pages, their JSON twins and
the API say actors this way to anonymous visitors.
"""

from __future__ import annotations

import re

PERSON = re.compile(r"[^@\s()]+@([^@\s()]+)|operator:\S+")


def anonymized(text: str) -> str:
    """``text`` with each person and the server's account hidden.

    >>> anonymized("tanaka@iges.or.jp on behalf of operator:root")
    '…@iges.or.jp on behalf of operator'
    """
    return PERSON.sub(lambda found: f"…@{found.group(1)}" if found.group(1) else "operator", text)
