"""Generation options, named as Ollama names them, shared by every provider.

A typo here (`temprature`) would silently do nothing at a model server, so only the
documented names are accepted; the embedded provider maps them onto llama.cpp.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from springlet.spec_base import Spec


class ModelOptions(Spec):
    """Sampling and runtime options for one model call (Ollama's `options`)."""

    temperature: float | None = Field(default=None, ge=0)
    top_p: float | None = Field(default=None, ge=0, le=1)
    top_k: int | None = Field(default=None, ge=0)
    min_p: float | None = Field(default=None, ge=0, le=1)
    typical_p: float | None = Field(default=None, ge=0, le=1)
    num_ctx: int | None = Field(default=None, ge=1)
    """Context window in tokens."""
    num_predict: int | None = Field(default=None, ge=-2)
    """Maximum tokens to generate (-1: no limit)."""
    seed: int | None = None
    stop: list[str] | None = None
    repeat_penalty: float | None = Field(default=None, ge=0)
    repeat_last_n: int | None = Field(default=None, ge=-1)
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    mirostat: int | None = Field(default=None, ge=0, le=2)
    mirostat_tau: float | None = None
    mirostat_eta: float | None = None
    num_thread: int | None = Field(default=None, ge=1)
    num_gpu: int | None = Field(default=None, ge=-1)
    num_batch: int | None = Field(default=None, ge=1)

    def as_dict(self) -> dict[str, Any]:
        """Only the options that were set, ready for Ollama's `options` field."""
        return self.model_dump(exclude_none=True)

    def merged(self, override: ModelOptions | None) -> ModelOptions:
        """These options with every option set in `override` taking precedence."""
        if override is None:
            return self
        return ModelOptions(**{**self.as_dict(), **override.as_dict()})
