"""Apps depend downward only: alerts → maintenance → assets.

Pieces that span the apps (roles, demo data, token issuing, the health check)
live in the project package `alertsite`, which every app may import.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What each app must never import.
FORBIDDEN = {
    "assets": {"maintenance", "alerts"},
    "maintenance": {"alerts"},
}


def imported_apps(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("app", sorted(FORBIDDEN))
def test_app_imports_only_downward(app):
    offending = {
        str(path.relative_to(ROOT)): sorted(imported_apps(path) & FORBIDDEN[app])
        for path in sorted((ROOT / app).rglob("*.py"))
        if imported_apps(path) & FORBIDDEN[app]
    }
    assert offending == {}


def test_cross_app_commands_live_in_the_project_package():
    from django.core.management import get_commands

    commands = get_commands()
    assert commands["seed_demo"] == "alertsite"
    assert commands["issue_token"] == "alertsite"
