"""Typed errors of collectors' tasks."""

from __future__ import annotations

from arflow.problems import Conflict, NotFound, Unprocessable


class TaskNotFound(NotFound):
    code, title, title_zh = "task_not_found", "Task not found", "任务不存在"


class TaskClosed(Conflict):
    code, title, title_zh = "task_closed", "Task is closed", "任务已关闭"


class PromiseIncomplete(Unprocessable):
    code, title, title_zh = "promise_incomplete", "Promise to pay is incomplete", "付款承诺信息不完整"
