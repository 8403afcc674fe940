"""The Tracer API the runtime wires in: disabled tracing, light import, nested runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from springlet.tracing import MemorySink, SpanStatus, Tracer


def test_disabled_tracer_gives_ids_but_no_callbacks() -> None:
    tracer = Tracer.disabled()
    with tracer.run(agent="a") as run:
        assert run.callbacks == []
    assert len(run.run_id) == 32 and tracer.flush()


def test_finish_sets_status_output_and_error() -> None:
    sink = MemorySink()
    tracer = Tracer([sink])
    with tracer.run(agent="a", session_id="s1") as run:
        run.finish(output="partial", status="step_limit", error=RuntimeError("6 model calls"))
    assert tracer.flush()
    [root] = sink.spans()
    assert root.status is SpanStatus.STEP_LIMIT
    assert root.error == "RuntimeError: 6 model calls"
    assert root.attributes["springlet.run.output"] == "partial"
    assert root.attributes["gen_ai.conversation.id"] == "s1"


def test_importing_tracing_does_not_import_langchain() -> None:
    code = (
        "import sys, springlet.tracing, springlet.tracing.export; "
        "print(any(m.startswith(('langchain', 'opentelemetry')) for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_caller_chosen_run_id_is_kept_and_exports_over_otlp() -> None:
    from springlet.tracing.otlp import _span_id, _trace_id

    sink = MemorySink()
    tracer = Tracer([sink])
    with tracer.run(agent="router", run_id="route-7") as run:
        pass
    assert tracer.flush()
    assert run.run_id == "route-7" and sink.spans()[0].trace_id == "route-7"
    assert _trace_id("route-7") == _trace_id("route-7") != 0
    assert 0 < _span_id("route-7") < 2**64


def test_model_timings_come_from_the_model_when_nothing_streamed() -> None:
    # a whole answer at once has no first token to time: Ollama's (and the embedded
    # model's) own durations say how long the prompt took and how fast tokens came
    from langchain_core.messages import AIMessage
    from langchain_core.outputs import ChatGeneration, LLMResult

    from springlet.tracing._attributes import answer_attributes

    meta = {
        "load_duration": 5_000_000,
        "prompt_eval_duration": 45_000_000,
        "eval_count": 40,
        "eval_duration": 500_000_000,
    }
    answer = AIMessage("Shipped.", response_metadata=meta)
    result = LLMResult(generations=[[ChatGeneration(message=answer)]])
    second = 1_000_000_000
    attrs = answer_attributes(result, start_ns=0, first_token_ns=None, end=second)
    assert attrs["springlet.time_to_first_token_ms"] == 50.0
    assert attrs["springlet.tokens_per_second"] == 80.0
    # streamed: the first token as seen wins; speed from the model still
    attrs = answer_attributes(result, start_ns=0, first_token_ns=20_000_000, end=second)
    assert attrs["springlet.time_to_first_token_ms"] == 20.0
    assert attrs["springlet.tokens_per_second"] == 80.0
    # a model that reports nothing: wall time and token usage
    plain = AIMessage(
        "Shipped.", usage_metadata={"input_tokens": 3, "output_tokens": 10, "total_tokens": 13}
    )
    bare = LLMResult(generations=[[ChatGeneration(message=plain)]])
    attrs = answer_attributes(bare, start_ns=0, first_token_ns=None, end=second // 2)
    assert "springlet.time_to_first_token_ms" not in attrs
    assert attrs["springlet.tokens_per_second"] == 20.0


def test_a_workspace_tracer_follows_its_settings(tmp_path: Path) -> None:
    # one tracer per data dir used to keep the first settings it saw: a reload with a new
    # redaction field still wrote the field in clear
    from springlet.settings import RedactionSettings, TracingSettings

    plain = TracingSettings()
    stricter = TracingSettings(redact=RedactionSettings(fields=["order_id"]))
    first = Tracer.for_workspace(tmp_path, plain)
    assert Tracer.for_workspace(tmp_path, plain) is first  # still one per settings
    second = Tracer.for_workspace(tmp_path, stricter)
    assert second is not first
    assert second.redactor is not None and second.redactor.is_sensitive_key("order_id")
