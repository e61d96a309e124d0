"""Every error code the four APIs can return is declared once, as a typed error, and documented.

A service's own codes are documented in its README, the platform's (authentication,
idempotency, validation, jobs, dead letters) in the root README. Codes are the
contract integrators program against, so an undocumented one is a bug of the docs.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from collections import defaultdict
from pathlib import Path
from types import ModuleType

import pytest

from arflow import problems
from arflow.problems import Problem

ROOT = Path(__file__).resolve().parents[2]
READMES = {
    "arflow": ROOT / "README.md",
    "invoicing": ROOT / "services/invoicing/README.md",
    "reconciliation": ROOT / "services/reconciliation/README.md",
    "dunning": ROOT / "services/dunning/README.md",
    "credit_scoring": ROOT / "services/credit-scoring/README.md",
    "people": ROOT / "services/people/README.md",
}
SOURCES = {
    "arflow": ROOT / "libs/common/src/arflow",
    "invoicing": ROOT / "services/invoicing/src/invoicing",
    "reconciliation": ROOT / "services/reconciliation/src/reconciliation",
    "dunning": ROOT / "services/dunning/src/dunning",
    "credit_scoring": ROOT / "services/credit-scoring/src/credit_scoring",
    "people": ROOT / "services/people/src/people",
}
# The base classes name a kind of error, not one error: each raise uses a subclass.
BASES = {problems.Problem, problems.NotFound, problems.Conflict, problems.Unprocessable}


def _import_all(package: str) -> list[ModuleType]:
    root = importlib.import_module(package)
    modules = [root]
    for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
        if ".testing" in info.name or ".devstack" in info.name:
            continue
        modules.append(importlib.import_module(info.name))
    return modules


def _subclasses(cls: type[Problem]) -> list[type[Problem]]:
    found = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_subclasses(sub))
    return found


def _typed_errors(package: str) -> list[type[Problem]]:
    """The typed errors a package declares (its modules all imported first)."""
    _import_all(package)
    return [cls for cls in set(_subclasses(Problem)) if cls.__module__.split(".", 1)[0] == package and cls not in BASES]


def _documented(package: str) -> set[str]:
    return set(re.findall(r"`([a-z][a-z0-9_]*)`", READMES[package].read_text(encoding="utf-8")))


def _framework_codes() -> set[str]:
    return {code for code, _title, _title_zh in problems._STATUS_CODES.values()} | {"http_error"}


@pytest.mark.parametrize("package", list(READMES))
def test_every_typed_error_is_documented_in_its_readme(package: str) -> None:
    documented = _documented(package) | (_documented("arflow") if package != "arflow" else set())
    missing = sorted({cls.code for cls in _typed_errors(package)} - documented)
    assert not missing, f"codes {package} can return and its README does not document: {missing}"


def test_the_platforms_own_codes_are_documented() -> None:
    missing = sorted(_framework_codes() - _documented("arflow"))
    assert not missing, f"framework codes the root README does not document: {missing}"


@pytest.mark.parametrize("package", list(READMES))
def test_each_code_is_declared_by_one_class_per_status(package: str) -> None:
    """One class per code and status: a path naming no customer is a 404, a body naming none a 422, same code."""
    classes: dict[tuple[str, int], list[str]] = defaultdict(list)
    for cls in _typed_errors(package):
        if "code" in vars(cls):  # declared here, not inherited
            classes[(cls.code, cls.status)].append(cls.__qualname__)
    twice = {code: names for code, names in classes.items() if len(names) > 1}
    assert not twice, f"codes declared by more than one class in {package}: {twice}"


@pytest.mark.parametrize("package", list(SOURCES))
def test_no_raise_names_its_code_by_hand(package: str) -> None:
    """A code written at a raise site instead of a typed error drifts from the docs; none is left."""
    problem_names = {cls.__name__ for cls in _typed_errors(package) + _typed_errors("arflow")} | {
        cls.__name__ for cls in BASES | {problems.Unauthorized, problems.Forbidden}
    }
    by_hand = []
    for path in SOURCES[package].rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            literal = any(k.arg == "code" and isinstance(k.value, ast.Constant) for k in node.keywords)
            if name in problem_names and literal:
                by_hand.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not by_hand, f"raises that pass code= instead of raising a typed error: {by_hand}"


@pytest.mark.parametrize("package", list(READMES))
def test_every_typed_error_has_a_chinese_title_of_its_own(package: str) -> None:
    # An error that names its own title names its own Chinese one: a zh-CN caller would
    # otherwise read the base kind's 状态冲突 or 未找到 above a specific English detail.
    bare = sorted(
        cls.code
        for cls in _typed_errors(package)
        if ("title" in cls.__dict__ and "title_zh" not in cls.__dict__) or not cls.title_zh
    )
    assert not bare, f"typed errors of {package} without a Chinese title of their own: {bare}"
