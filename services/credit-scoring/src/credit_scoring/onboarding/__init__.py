"""The onboarding noun: the cold-start assessment (pure: cold_start.assess_onboarding), stored per customer."""
