"""Checking what Ollama evaluated against what springlet sent (`prompt_eval_count`).

An Ollama older than the `truncate` flag (or one that ignores it) silently keeps only
the end of a prompt longer than `num_ctx`: the part that holds the system prompt and
the tool definitions (ollama #3839). Two signs give it away in the final chunk:

- the prompt filled the window to the brim (`prompt_eval_count` within a few tokens of
  `num_ctx`), which a prompt springlet fitted never does: it keeps room for the answer;
- fewer tokens were evaluated than were sent, by more than `TRUNCATION_MARGIN`, for a
  prompt that did not fit.

Either is an error that says what was lost. Otherwise the count calibrates springlet's
token estimate for that model (`token_budget.calibrate`). Both cases are recorded on the
model span (`springlet.context.*`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from langchain_core.outputs import ChatGenerationChunk

from springlet.errors import ContextOverflowError
from springlet.models.token_budget import calibrate, calibration

TRUNCATION_MARGIN = 0.10
"""How much fewer evaluated tokens than sent (for a prompt that did not fit) is an error."""
FULL_WINDOW_SLACK = 16
SPAN_KEY = "springlet_span"
"""`response_metadata` key whose `springlet.*` entries the model span records."""
SENT_TOKENS = "springlet.context.sent_tokens"
REPORTED_TOKENS = "springlet.context.reported_tokens"
NUM_CTX = "springlet.context.num_ctx"
TRUNCATED = "springlet.context.truncated"


@dataclass(frozen=True)
class PromptCheck:
    """What was sent in one `/api/chat` request."""

    host: str
    model: str
    estimated: int
    num_ctx: int

    @property
    def sent(self) -> int:
        return math.ceil(self.estimated * calibration(self.host, self.model))

    def check(self, chunk: ChatGenerationChunk) -> ChatGenerationChunk:
        """The final chunk, checked and annotated (other chunks pass untouched)."""
        info = chunk.generation_info or {}
        reported = info.get("prompt_eval_count")
        if not info.get("done") or not isinstance(reported, int) or reported <= 0:
            return chunk
        sent = self.sent
        attributes: dict[str, object] = {
            SENT_TOKENS: sent,
            REPORTED_TOKENS: reported,
            NUM_CTX: self.num_ctx,
        }
        brim = reported >= self.num_ctx - FULL_WINDOW_SLACK
        short = sent > self.num_ctx and reported < sent * (1 - TRUNCATION_MARGIN)
        if brim or short:
            raise self._truncated(sent, reported)
        calibrate(self.host, self.model, self.estimated, reported)
        chunk.generation_info = {**info, SPAN_KEY: attributes}
        return chunk

    def _truncated(self, sent: int, reported: int) -> ContextOverflowError:
        lost = max(sent - reported, 0)
        amount = f"about {lost} tokens" if lost else "the start"
        return ContextOverflowError(
            f"Ollama at {self.host} evaluated {reported} prompt tokens of about {sent} sent "
            f"for '{self.model}' (num_ctx {self.num_ctx}): it silently dropped {amount} of "
            "the prompt - the front, where the system prompt and the tool definitions are - "
            "so the answer cannot be trusted",
            hint="upgrade Ollama (0.12+ refuses instead, with `truncate: false`), raise "
            "num_ctx, or keep compaction on so the prompt fits",
        )
