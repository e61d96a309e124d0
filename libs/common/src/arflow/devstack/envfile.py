"""`python -m arflow.devstack.envfile`: write deploy/.env.example, every ARFLOW_* setting with its meaning.

Read from the settings classes themselves (the platform's, then each
service's own), so the example cannot fall behind the code; a test fails when
the committed file differs from what this writes.
"""

from __future__ import annotations

import sys
from importlib import import_module
from pathlib import Path
from typing import Any

from pydantic_settings import BaseSettings

from arflow.devstack.platform import REPO_ROOT
from arflow.documents.creditor import CreditorSettings
from arflow.settings import ServiceSettings

EXAMPLE = REPO_ROOT / "deploy" / ".env.example"
SERVICE_SETTINGS = {
    "invoicing": "invoicing.config:InvoicingSettings",
    "reconciliation": "reconciliation.config:ReconciliationSettings",
    "dunning": "dunning.config:DunningSettings",
    "credit-scoring": "credit_scoring.config:CreditScoringSettings",
    "people": "people.config:PeopleSettings",
    "console": "console.config:ConsoleSettings",
}
# Set by compose.yaml itself for every service (service names on its network).
SET_BY_COMPOSE = {"database_url", "kafka_bootstrap", "kafka_idempotent_producer", "api_keys_file"}
HEADER = """\
# arflow settings for deploy/compose.yaml: copy to deploy/.env and set what you need.
# Every service reads this file (env_file); the settings are grouped by the service that reads them.
# Written by `python -m arflow.devstack.envfile` from the settings classes: do not edit by hand.
# compose.yaml sets ARFLOW_DATABASE_URL, ARFLOW_KAFKA_BOOTSTRAP, ARFLOW_KAFKA_IDEMPOTENT_PRODUCER and
# ARFLOW_API_KEYS_FILE for its own network; POSTGRES_PASSWORD and the *_PORT variables are compose's.

# POSTGRES_PASSWORD=arflow
"""


def _settings_class(path: str) -> type[BaseSettings]:
    module, _, name = path.partition(":")
    cls: type[BaseSettings] = getattr(import_module(module), name)
    return cls


def _default(field: Any) -> str:
    value = field.get_default(call_default_factory=True)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def render() -> str:
    """The whole example file."""
    lines = [HEADER]
    platform = set(ServiceSettings.model_fields)
    creditor = set(CreditorSettings.model_fields)
    sections: list[tuple[str, type[BaseSettings], set[str]]] = [
        ("every service", ServiceSettings, platform),
        # Read by every service that writes to customers (invoicing, dunning): one set for all of them.
        ("the creditor (invoicing, dunning)", CreditorSettings, creditor),
    ]
    for service, path in SERVICE_SETTINGS.items():
        cls = _settings_class(path)
        sections.append((service, cls, set(cls.model_fields) - platform - creditor))
    for title, cls, names in sections:
        lines.append(f"# --- {title} " + "-" * (90 - len(title)))
        for name, field in cls.model_fields.items():
            if name not in names or name in SET_BY_COMPOSE:
                continue
            if field.description:
                lines.append(f"# {field.description}")
            lines.append(f"# ARFLOW_{name.upper()}={_default(field)}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str]) -> int:
    target = Path(argv[0]) if argv else EXAMPLE
    target.write_text(render(), encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
