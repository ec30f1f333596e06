"""The LLM router component: present and working with `with_llm`, absent without it."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
import yaml

from .helpers import TemplateRepo, check_project, files_of, render, restack, varying_tests

LLM_DEPENDENCIES = ("httpx", "sniffio")


def dependencies(project: Path) -> list[str]:
    data = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    listed = list(data["project"]["dependencies"])
    listed += data["project"]["optional-dependencies"]["dev"]
    return listed


def test_llm_off_renders_none_of_it(template_repo: TemplateRepo, tmp_path: Path) -> None:
    # Tool servers need httpx too, so they are off here as well.
    project = render(template_repo, tmp_path / "p", {"with_llm": False, "with_tools": False})
    files = files_of(project)
    assert [name for name in files if "llm" in name] == []
    listed = " ".join(dependencies(project))
    for name in (*LLM_DEPENDENCIES, "respx"):
        assert name not in listed
    assert "OPENAI_API_KEY" not in files[".env.example"]
    assert "test:llm" not in restack(project, "--help").stdout
    refused = restack(project, "doctor", "--check-llm")
    assert refused.returncode == 2
    assert "No such option" in refused.stderr
    kong = restack(project, "g", "kong-config")
    assert kong.returncode == 2 and "needs the LLM router" in kong.stderr
    compose = yaml.safe_load(files["docker-compose.yml"])
    assert "kong" not in compose["services"]
    assert "KONG_GATEWAY_URL" not in compose["services"]["service"]["environment"]


def test_llm_on_by_default_with_offline_config(template_repo: TemplateRepo, tmp_path: Path) -> None:
    project = render(template_repo, tmp_path / "p")
    files = files_of(project)
    assert "config/llm_router.yaml" in files
    assert "src/demo_app/llm/functions.py" in files
    assert "src/demo_app/llm/testing.py" in files
    listed = " ".join(dependencies(project))
    for name in LLM_DEPENDENCIES:
        assert name in listed
    assert "OPENAI_API_KEY" in files[".env.example"]

    dry = restack(project, "test:llm", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "mock" in dry.stdout

    probe = restack(project, "test:llm")  # the mock answers offline
    assert probe.returncode == 0, probe.stdout + probe.stderr

    refused = restack(project, "g", "llm-config", "--kong")
    assert refused.returncode == 2
    assert "already exists" in refused.stderr
    assert (project / "config" / "llm_router.yaml").read_text(encoding="utf-8") == files[
        "config/llm_router.yaml"
    ]
    assert not (project / "deploy" / "kong").exists()  # checked with it, so not written

    # The generator's offline starter is exactly what a new project gets.
    (project / "config" / "llm_router.yaml").unlink()
    created = restack(project, "g", "llm-config", "--direct", "--mock")
    assert created.returncode == 0, created.stderr
    assert (project / "config" / "llm_router.yaml").read_text(encoding="utf-8") == files[
        "config/llm_router.yaml"
    ]

    # Kong runs under its own compose profile, from the file `restack g kong-config` writes.
    text = files["docker-compose.yml"]
    services = yaml.safe_load(text)["services"]
    kong = services["kong"]
    assert kong["profiles"] == ["kong"]
    assert kong["environment"]["KONG_DATABASE"] == "off"
    (volume,) = kong["volumes"]
    assert volume["source"] == "./deploy/kong/kong.yaml" and volume["read_only"] is True
    assert kong["environment"]["KONG_DECLARATIVE_CONFIG"] == volume["target"]
    assert all(p.startswith("${RESTACK_BIND_ADDRESS:-127.0.0.1}:") for p in kong["ports"])
    assert services["service"]["environment"]["KONG_GATEWAY_URL"] == "http://kong:8000"
    assert "profiles" not in services["service"]  # `docker compose up` works without Kong
    # Inserted before the file's last block, so edits users make at the end still merge.
    assert text.index("\n  kong:\n") < text.index("# jaeger:")
    written = restack(project, "g", "kong-config")
    assert written.returncode == 0, written.stderr
    assert "backend: direct" in written.stdout  # written, with a note that it is unused
    document = yaml.safe_load((project / "deploy" / "kong" / "kong.yaml").read_text("utf-8"))
    assert document["services"] == []  # only the offline mock is on
    assert {"name": "prometheus", "config": {"ai_metrics": True}} in document["plugins"]


def test_doctor_check_llm_reports_missing_keys(
    template_repo: TemplateRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-doctor-test-1234")
    # Keep the reachability probes on loopback: a closed port answers at once.
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")
    project = render(template_repo, tmp_path / "p")
    assert restack(project, "g", "llm-config", "--no-mock", "--force").returncode == 0
    # Doctor also checks the engine, which is not running here: only the LLM rows matter.
    result = restack(project, "doctor", "--check-llm", "--json")
    assert result.returncode == 1, result.stdout + result.stderr  # a key is missing
    rows = [c for c in json.loads(result.stdout) if c["section"] == "LLM"]
    text = json.dumps(rows)
    failed = [c for c in rows if c["status"] == "fail"]
    assert any("OPENAI_API_KEY is not set" in c["detail"] for c in failed), rows
    assert any("Add OPENAI_API_KEY=... to .env" in c["fix"] for c in failed), rows
    assert any("llm_router.yaml valid" in c["detail"] for c in rows if c["status"] == "ok")
    assert "ANTHROPIC_API_KEY=sk-...1234" in text  # masked
    assert "sk-ant-doctor-test" not in result.stdout + result.stderr
    assert "http://127.0.0.1:9 not reachable" in text


@pytest.mark.slow
def test_project_without_llm_passes_checks(template_repo: TemplateRepo, tmp_path: Path) -> None:
    # With the router on (the default) tests/test_generators.py runs the whole suite.
    project = render(template_repo, tmp_path / "p", {"with_llm": False})
    check_project(project, varying_tests(project))
