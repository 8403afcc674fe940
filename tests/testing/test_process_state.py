"""One reset for springlet's process-wide state, instead of a forget_* per module."""

from __future__ import annotations

from pathlib import Path

from springlet.testing import OllamaTestServer, reset_process_state


def test_every_process_wide_cache_is_registered() -> None:
    import springlet.models.ollama
    import springlet.models.resolve
    import springlet.tracing.tracer
    import springlet.workspace.knowledge  # noqa: F401  (registering happens at import)
    from springlet._runtime import process_state

    assert set(process_state.registered()) >= {
        "models.auto_choice",
        "models.ollama_catalog",
        "models.ollama_tool_support",
        "knowledge.stores",
        "tracing.workspace_tracers",
    }


def test_reset_makes_auto_probe_again_and_closes_tracers(tmp_path: Path) -> None:
    from springlet.models.reference import parse_model_ref
    from springlet.models.resolve import resolve_chat_model
    from springlet.settings import OllamaSettings, WorkspaceSettings
    from springlet.tracing import Tracer

    auto = parse_model_ref("auto")
    reset_process_state()
    with OllamaTestServer() as server:
        settings = WorkspaceSettings(ollama=OllamaSettings(host=server.url))
        assert resolve_chat_model(auto, settings).ref.provider == "ollama"
    # the server is gone, but the probe's answer is cached for the process ...
    assert resolve_chat_model(auto, settings).ref.provider == "ollama"
    tracer = Tracer.for_workspace(tmp_path)
    reset_process_state()  # ... until the reset: the host is probed again
    assert resolve_chat_model(auto, settings).ref.provider == "embedded"
    assert Tracer.for_workspace(tmp_path) is not tracer
    reset_process_state()
