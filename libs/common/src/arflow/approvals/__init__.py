"""Approvals (internal control): an action over its policy's threshold waits for a second person.

A service registers the actions it guards (`register`: how to apply a frozen request,
and what version the subject is at). When one is asked for above the threshold of its
policy (`needed`), `request_approval` stores the request as it was asked — body, subject and its version,
amount, requester — and the call answers 202 with the pending approval instead of
acting. An approver (a person holding the policy's approver scope, never the
requester) approves or rejects it with a comment; approving re-checks the subject
(409 `approval_subject_changed` if it moved meanwhile) and applies the frozen request
once, as the requester's, recording who approved it. Requests expire. Policies —
threshold and approver scope per action — are data an admin sets.
"""

from arflow.approvals.registry import Applied, GuardedAction, register
from arflow.approvals.service import needed, request_approval

__all__ = ["Applied", "GuardedAction", "needed", "register", "request_approval"]
