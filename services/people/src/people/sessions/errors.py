"""Errors of signing in."""

from __future__ import annotations

from arflow.problems import Problem, Unauthorized


class InvalidCredentials(Unauthorized):
    code, title, title_zh = "invalid_credentials", "Wrong username or password", "用户名或密码错误"


class AccountLocked(Problem):
    status, code, title, title_zh = 423, "account_locked", "Account locked", "账户已锁定"


class SessionEnded(Unauthorized):
    code, title, title_zh = "session_ended", "Session ended", "会话已结束"


class NotSignedIn(Unauthorized):
    code, title, title_zh = "not_signed_in", "Not signed in", "未登录"


class SigningKeyMissing(Problem):
    status, code, title, title_zh = 503, "signing_key_missing", "Sign-in not configured", "未配置登录签名密钥"
