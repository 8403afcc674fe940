"""OTLP export (optional extra `springlet[otel]`): spans to any OpenTelemetry collector
over OTLP/HTTP, configured by the standard `OTEL_EXPORTER_OTLP_*` variables
(`OTEL_EXPORTER_OTLP_ENDPOINT`, `..._TRACES_ENDPOINT`, `..._HEADERS`, ...)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

from springlet.errors import SpringletError
from springlet.tracing.spans import Span, SpanStatus

SCOPE = "springlet"


class OtlpExportError(SpringletError):
    """The OTLP extra is missing or the collector refused the spans."""


def _otel() -> SimpleNamespace:
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import ReadableSpan
        from opentelemetry.sdk.trace.export import SpanExportResult
        from opentelemetry.sdk.util.instrumentation import InstrumentationScope
        from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags
    except ImportError as exc:
        raise OtlpExportError(
            "OTLP export needs the optional extra: pip install 'springlet[otel]' "
            f"(opentelemetry-sdk and opentelemetry-exporter-otlp-proto-http): {exc}"
        ) from exc
    return SimpleNamespace(
        OTLPSpanExporter=OTLPSpanExporter,
        Resource=Resource,
        ReadableSpan=ReadableSpan,
        SpanExportResult=SpanExportResult,
        InstrumentationScope=InstrumentationScope,
        SpanContext=SpanContext,
        SpanKind=SpanKind,
        Status=Status,
        StatusCode=StatusCode,
        TraceFlags=TraceFlags,
    )


class OtlpSink:
    """A TraceSink sending finished spans to an OTLP/HTTP collector."""

    def __init__(self, exporter: Any = None, *, service_name: str = "springlet") -> None:
        otel = _otel()
        self._otel = otel
        self.exporter = exporter if exporter is not None else otel.OTLPSpanExporter()
        self.resource = otel.Resource.create({"service.name": service_name})

    def write(self, spans: Sequence[Span]) -> None:
        finished = [s for s in spans if s.finished]
        if not finished:
            return
        result = self.exporter.export([self._readable(s) for s in finished])
        if result != self._otel.SpanExportResult.SUCCESS:
            endpoint = getattr(self.exporter, "_endpoint", None) or "the OTLP endpoint"
            raise OtlpExportError(
                f"the OTLP collector at {endpoint} did not accept {len(finished)} spans",
                hint="check OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT "
                "and that the collector is running (it logs why it refused)",
            )

    def close(self) -> None:
        self.exporter.shutdown()

    def _readable(self, span: Span) -> Any:
        o = self._otel
        trace_id = _trace_id(span.trace_id)
        context = o.SpanContext(trace_id, _span_id(span.span_id), False, o.TraceFlags(1))
        parent = None
        if span.parent_id is not None:
            parent = o.SpanContext(trace_id, _span_id(span.parent_id), False, o.TraceFlags(1))
        if span.status is SpanStatus.OK:
            status = o.Status(o.StatusCode.OK)
        else:
            status = o.Status(o.StatusCode.ERROR, span.error or span.status.value)
        attributes = {k: _attribute(v) for k, v in span.attributes.items() if v is not None}
        attributes["springlet.span.kind"] = span.kind.value
        attributes["springlet.span.status"] = span.status.value
        kind = o.SpanKind.CLIENT if span.kind.value == "model" else o.SpanKind.INTERNAL
        return o.ReadableSpan(
            name=span.name,
            context=context,
            parent=parent,
            resource=self.resource,
            attributes=attributes,
            kind=kind,
            status=status,
            start_time=span.start_ns,
            end_time=span.end_ns,
            instrumentation_scope=o.InstrumentationScope(SCOPE),
        )


def export_otlp(spans: Sequence[Span], exporter: Any = None) -> int:
    """Send stored spans once (`springlet traces export --format otlp`); returns the count."""
    sink = OtlpSink(exporter)
    try:
        sink.write(spans)
    finally:
        sink.close()
    return sum(1 for s in spans if s.finished)


def _trace_id(trace_id: str) -> int:
    if _HEX32.fullmatch(trace_id):
        return int(trace_id, 16)
    # a run id chosen by the caller: a stable 128-bit id derived from it
    return int.from_bytes(hashlib.sha256(trace_id.encode()).digest()[:16], "big")


def _span_id(span_id: str) -> int:
    # run ids are 128-bit; OTel span ids are 64-bit: their last 16 hex digits serve
    if _HEX16.fullmatch(span_id[-16:]):
        return int(span_id[-16:], 16)
    return int.from_bytes(hashlib.sha256(span_id.encode()).digest()[:8], "big")


_HEX32 = re.compile(r"[0-9a-fA-F]{32}")
_HEX16 = re.compile(r"[0-9a-fA-F]{16}")


def _attribute(value: Any) -> Any:
    if isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, list | tuple) and all(
        isinstance(v, str | bool | int | float) for v in value
    ):
        return list(value)
    return json.dumps(value, ensure_ascii=False, default=str)
