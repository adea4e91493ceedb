"""Who may do what: roles, actions, scopes and the one policy that decides every permission.

This package is pure: it imports no web framework and no database library, so the rules
can be read, tested and reused on their own. The database side lives in ``c3p.db`` (tables,
services), the web side in ``c3p.web.auth``; both only ask :func:`c3p.accounts.rules.policy.decide`.
"""
