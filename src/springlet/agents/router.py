"""Router agents (`kind: router`): send each message to the agent whose examples it resembles.

The route examples are embedded once, when the router is built. A message is embedded
and compared (cosine) with every example; when the best match clears `min_score` the
router forwards without calling any chat model — an encoder decides in milliseconds
what an LLM call would take seconds for. Below `min_score`, the chat model chooses
among the route names, constrained to them; if it cannot, the `fallback` agent answers.
"""

from __future__ import annotations

import dataclasses
import math
import uuid
from typing import TYPE_CHECKING, Any

from springlet.agents.events import Event, RouteChosen, RunFinished
from springlet.agents.run_context import Approver
from springlet.agents.runnable import Emit, RunnableAgent

if TYPE_CHECKING:
    from springlet.agents.result import RunResult
    from springlet.agents.spec import RouterSpec
    from springlet.models.resolve import ResolvedChatModel, ResolvedEmbeddings
    from springlet.workspace.workspace import Workspace


class RouterAgent(RunnableAgent):
    """A router: it picks an agent per message and lets that agent run."""

    def __init__(
        self,
        ws: Workspace,
        spec: RouterSpec,
        embedder: ResolvedEmbeddings,
        examples: list[tuple[str, list[float]]],
    ) -> None:
        self.ws = ws
        self.spec = spec
        self.embedder = embedder
        self.examples = examples
        self._chooser: ResolvedChatModel | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    async def choose(self, message: str) -> tuple[str, float, str]:
        """The route for `message`, its similarity score, and how it was chosen."""
        vector = await self.embedder.embeddings.aembed_query(message)
        best_route, best_score = self.spec.routes[0].agent, -1.0
        for route, example in self.examples:
            score = _cosine(vector, example)
            if score > best_score:
                best_route, best_score = route, score
        if best_score >= self.spec.min_score:
            return best_route, best_score, "embedding"
        picked = await self._ask_model(message)
        if picked is not None:
            return picked, best_score, "model"
        return self.spec.fallback or best_route, best_score, "fallback"

    async def _ask_model(self, message: str) -> str | None:
        names = [route.agent for route in self.spec.routes]
        schema = {
            "title": "route",
            "type": "object",
            "properties": {"route": {"type": "string", "enum": names}},
            "required": ["route"],
        }
        described = "\n".join(
            f"- {r.agent}: {self.ws.loaded.agents[r.agent].description}" for r in self.spec.routes
        )
        prompt = (
            "Choose the agent that should answer the user's message.\n"
            f"Agents:\n{described}\n\nMessage: {message}"
        )
        try:
            answer: Any = (
                await self._chat_model().chat_model.with_structured_output(schema).ainvoke(prompt)
            )
        except Exception:  # a model that cannot choose leaves it to the fallback
            return None
        route = answer.get("route") if isinstance(answer, dict) else None
        return route if route in names else None

    def _chat_model(self) -> ResolvedChatModel:
        if self._chooser is None:
            from springlet.models.resolve import resolve_chat_model

            settings = self.ws.loaded.settings
            self._chooser = resolve_chat_model(
                self.spec.model or settings.default_model, settings, root=self.ws.root
            )
        return self._chooser

    async def _execute(
        self,
        message: str,
        session_id: str | None,
        approve: Approver | None,
        emit: Emit,
        *,
        interactive: bool = False,
        run_id: str | None = None,
    ) -> RunResult:
        run_id = run_id or uuid.uuid4().hex
        route, score, how = await self.choose(message)
        emit(RouteChosen(run_id, route=route, score=round(score, 4), by=how))
        target = self.ws.agent(route)

        def relay(event: Event) -> None:
            # the routed agent's final event carries the route too
            if isinstance(event, RunFinished):
                event = RunFinished(event.run_id, dataclasses.replace(event.result, route=route))
            emit(event)

        result = await target._execute(
            message, session_id, approve, relay, interactive=interactive, run_id=run_id
        )
        return dataclasses.replace(result, route=route)


def build_router(ws: Workspace, spec: RouterSpec) -> RouterAgent:
    """Embed the route examples once and return the router."""
    from springlet.agents import runtime_loop
    from springlet.models.resolve import resolve_embeddings

    settings = ws.loaded.settings
    embedder = resolve_embeddings(spec.embeddings or settings.embeddings, settings)
    texts = [(route.agent, example) for route in spec.routes for example in route.examples]
    for route in {agent for agent, _ in texts} | ({spec.fallback} - {None}):
        ws.agent(str(route))  # build the targets now, not inside a run
    vectors = runtime_loop.run_sync(embedder.embeddings.aembed_documents([t for _, t in texts]))
    examples = [(agent, vector) for (agent, _), vector in zip(texts, vectors, strict=True)]
    return RouterAgent(ws, spec, embedder, examples)


def _cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0
