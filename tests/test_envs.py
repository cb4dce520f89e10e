"""The conda environments mirror the pins of pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)$")


def project_pins() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = {}
    for spec in project["dependencies"] + sum(project["optional-dependencies"].values(), []):
        match = PIN.match(spec)
        assert match, f"pyproject.toml: {spec!r} is not pinned with =="
        pins[match[1].lower()] = match[2]
    return pins


def env_files():
    return sorted((ROOT / "envs").glob("*.yaml"))


def test_every_dependency_is_pinned():
    assert project_pins()["torch"] == "2.13.0"


@pytest.mark.parametrize("path", env_files(), ids=lambda p: p.name)
def test_env_mirrors_pins(path):
    env = yaml.safe_load(path.read_text())
    pins = project_pins()
    pip_specs = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "python=3.11" in env["dependencies"]
    for spec in pip_specs:
        match = PIN.match(spec)
        assert match, f"{path.name}: {spec!r} is not pinned with =="
        name, version = match[1].lower(), match[2]
        assert pins.get(name) == version, \
            f"{path.name}: {name}=={version}, pyproject.toml has {pins.get(name)}"


def test_every_rule_names_an_existing_env():
    for rules in (ROOT / "workflow" / "rules").glob("*.smk"):
        for env in re.findall(r'conda:\s*\n\s*"([^"]+)"', rules.read_text()):
            assert (rules.parent / env).resolve().is_file(), f"{rules.name}: {env} missing"
