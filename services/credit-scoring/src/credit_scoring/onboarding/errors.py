"""Errors of the onboarding noun."""

from arflow.problems import NotFound


class OnboardingNotFound(NotFound):
    code, title, title_zh = "onboarding_not_found", "Onboarding assessment not found", "准入评估不存在"
