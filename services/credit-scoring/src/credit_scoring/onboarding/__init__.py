"""The onboarding noun: the cold-start assessment of a prospective client (pure: policy.assess_onboarding)."""
