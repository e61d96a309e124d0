"""Typed errors of collectors' tasks."""

from __future__ import annotations

from arflow.problems import Conflict, NotFound, Unprocessable


class TaskNotFound(NotFound):
    code, title = "task_not_found", "Task not found"


class TaskClosed(Conflict):
    code, title = "task_closed", "Task is closed"


class PromiseIncomplete(Unprocessable):
    code, title = "promise_incomplete", "Promise to pay is incomplete"
