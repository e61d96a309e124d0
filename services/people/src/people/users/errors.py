"""Errors of users."""

from __future__ import annotations

from arflow.problems import Conflict, NotFound, Unprocessable


class UserNotFound(NotFound):
    code, title, title_zh = "user_not_found", "User not found", "用户不存在"


class UsernameTaken(Conflict):
    code, title, title_zh = "username_taken", "Username taken", "用户名已被使用"


class RoleUnknown(Unprocessable):
    code, title, title_zh = "role_unknown", "Role unknown", "角色不存在"


class PasswordRejected(Unprocessable):
    code, title, title_zh = "password_rejected", "Password not accepted", "密码不符合要求"


class CurrentPasswordWrong(Unprocessable):
    code, title, title_zh = "current_password_wrong", "Current password wrong", "当前密码错误"


class LastAdmin(Conflict):
    code, title, title_zh = "last_admin", "The last administrator", "最后一位管理员"
