"""Database side: tables, migrations, units of work, and the change history.

Importing the package installs the history hook (:mod:`c3p.db.history`) on every session, so
no unit of work can change a domain record without leaving its trace.
"""

from c3p.db import history as _history  # noqa: F401
