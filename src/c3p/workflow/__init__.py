"""Services of the program workflow: calls, applications, review and adoption, tracking, outcomes, JCM.

Each service takes the session, the acting :class:`~c3p.accounts.rules.policy.Actor` and its inputs;
it asks the policy with the real target, applies the pure rules of :mod:`c3p.workflow.rules`, flushes
and never commits (the request or command commits once). Refusals are :mod:`c3p.errors`.
"""
