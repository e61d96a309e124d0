"""deploy/ is right without a Docker engine: the compose file against the compose-spec schema, its settings.

The schema is the one check-jsonschema vendors (vendor.compose-spec); the
example env file is written from the settings classes, so it lists every
ARFLOW_* setting a compose deployment can set.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from arflow.devstack import envfile
from arflow.settings import ServiceSettings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
ARFLOW_SERVICES = {"invoicing", "reconciliation", "dunning", "credit-scoring", "people"}


def _compose() -> dict[str, Any]:
    document: dict[str, Any] = YAML(typ="safe").load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    return document


def _validate(path: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec", str(path)]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def test_the_compose_file_is_valid_by_the_compose_spec_schema() -> None:
    result = _validate(DEPLOY / "compose.yaml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_refuses_a_broken_compose_file(tmp_path: Path) -> None:
    broken = tmp_path / "compose.yaml"
    broken.write_text("services:\n  web:\n    image: x\n    ports: 8080\n    restart: [always]\n", encoding="utf-8")
    assert _validate(broken).returncode != 0


def test_every_arflow_process_reads_the_env_file() -> None:
    services = _compose()["services"]
    readers = {name for name, s in services.items() if s.get("environment", {}).get("ARFLOW_SERVICE")}
    assert readers >= ARFLOW_SERVICES | {"console", "migrate"}
    for name in readers:
        assert {"path": "./.env", "required": False} in services[name]["env_file"], name


def test_the_replicas_profile_adds_one_more_process_of_each_service() -> None:
    services = _compose()["services"]
    replicas = {s["environment"]["ARFLOW_SERVICE"] for s in services.values() if "replicas" in s.get("profiles", [])}
    assert replicas == ARFLOW_SERVICES


def test_compose_sets_only_settings_that_exist() -> None:
    known = {f"ARFLOW_{name.upper()}" for name in ServiceSettings.model_fields} | {"ARFLOW_SERVICE"}
    for path in envfile.SERVICE_SETTINGS.values():
        known |= {f"ARFLOW_{name.upper()}" for name in envfile._settings_class(path).model_fields}
    for name, service in _compose()["services"].items():
        unknown = {key for key in service.get("environment", {}) if key.startswith("ARFLOW_")} - known
        assert not unknown, f"{name} sets settings no service reads: {unknown}"


def test_the_example_env_file_lists_every_setting_as_the_code_has_it() -> None:
    assert (DEPLOY / ".env.example").read_text(encoding="utf-8") == envfile.render(), (
        "deploy/.env.example is stale: run `python -m arflow.devstack.envfile`"
    )
