"""Router agents (`kind: router`): send each message to the agent whose examples it resembles.

The route examples are embedded once, when the router is built. A message is embedded
and compared (cosine) with every example; when the best match clears `min_score` the
router forwards without calling any chat model — an encoder decides in milliseconds
what an LLM call would take seconds for. Below `min_score`, the chat model chooses
among the route names, constrained to them; if it cannot, the `fallback` agent answers.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from typing import TYPE_CHECKING, Any

from springlet.agents.events import Event, RouteChosen, RunFailed, RunFinished
from springlet.agents.result import RunResult
from springlet.agents.run_context import Approver
from springlet.agents.runnable import Emit, RunnableAgent

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from springlet.agents.services import AgentServices
    from springlet.agents.spec import RouterSpec
    from springlet.models.resolve import ResolvedChatModel, ResolvedEmbeddings
    from springlet.tracing import Tracer


class RouterAgent(RunnableAgent):
    """A router: it picks an agent per message and lets that agent run."""

    def __init__(
        self,
        spec: RouterSpec,
        embedder: ResolvedEmbeddings,
        examples: list[tuple[str, list[float]]],
        targets: dict[str, RunnableAgent],
        chooser: ResolvedChatModel,
        descriptions: dict[str, str],
        tracer: Tracer,
    ) -> None:
        self.spec = spec
        self._tracer = tracer
        self.embedder = embedder
        self.examples = examples
        # everything a run needs is built here, off the runtime loop: a run never asks
        # the workspace for anything (that could block the loop every run shares)
        self._targets = targets
        self._chooser = chooser
        self._descriptions = descriptions

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
            f"- {r.agent}: {self._descriptions[r.agent]}" for r in self.spec.routes
        )
        prompt = (
            "Choose the agent that should answer the user's message.\n"
            f"Agents:\n{described}\n\nMessage: {message}"
        )
        try:
            answer: Any = await self._chooser.chat_model.with_structured_output(schema).ainvoke(
                prompt
            )
        except Exception:  # a model that cannot choose leaves it to the fallback
            return None
        route = answer.get("route") if isinstance(answer, dict) else None
        return route if route in names else None

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
        from springlet.tracing.spans import new_id

        run_id = run_id or new_id()
        try:
            route, score, how = await self.choose(message)
        except Exception as exc:  # a run never raises: a failed choice is a failed run
            log.debug("router %s could not choose a route", self.name, exc_info=True)
            error = f"the router could not choose a route: {type(exc).__name__}: {exc}"
            return await self._failed(message, session_id, run_id, error, emit)
        emit(RouteChosen(run_id, route=route, score=round(score, 4), by=how))
        target = self._targets[route]

        def relay(event: Event) -> None:
            # the routed agent's final event carries the route too
            if isinstance(event, RunFinished):
                event = RunFinished(event.run_id, dataclasses.replace(event.result, route=route))
            emit(event)

        result = await target._execute(
            message, session_id, approve, relay, interactive=interactive, run_id=run_id
        )
        return dataclasses.replace(result, route=route)

    async def _failed(
        self, message: str, session_id: str | None, run_id: str, error: str, emit: Emit
    ) -> RunResult:
        """A run that ended before any agent answered: traced, reported, returned."""
        model = str(self._chooser.ref)
        scope = self._tracer.run(
            agent=self.name, model=model, session_id=session_id, input=message, run_id=run_id
        )
        async with scope:
            scope.finish(output=None, status="error", error=error)
        result = RunResult(
            run_id=run_id,
            agent=self.name,
            session_id=session_id or run_id,
            text="",
            status="error",
            model=model,
            error=error,
        )
        emit(RunFailed(run_id, error, result))
        return result


def build_router(services: AgentServices, spec: RouterSpec) -> RouterAgent:
    """Embed the route examples once, build every target, and return the router."""
    from springlet._runtime import runtime_loop
    from springlet.models.resolve import resolve_chat_model, resolve_embeddings

    settings = services.settings
    embedder = resolve_embeddings(spec.embeddings or settings.embeddings, settings)
    texts = [(route.agent, example) for route in spec.routes for example in route.examples]
    names = [route.agent for route in spec.routes] + ([spec.fallback] if spec.fallback else [])
    targets = {name: services.agent(name) for name in names}
    descriptions = {name: services.agent_spec(name).description for name in names}
    chooser = resolve_chat_model(spec.model or settings.default_model, settings, root=services.root)
    vectors = runtime_loop.run_sync(embedder.embeddings.aembed_documents([t for _, t in texts]))
    examples = [(agent, vector) for (agent, _), vector in zip(texts, vectors, strict=True)]
    return RouterAgent(spec, embedder, examples, targets, chooser, descriptions, services.tracer())


def _cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0
