"""Building a runnable agent from its spec: model, tools, advisors as middleware, limits.

The LangGraph graph is compiled once here and reused by every run of the agent; what
differs between runs (session, run id, approver) travels in the run's config and
context, never in the graph.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from springlet.agents.spec import (
    DEFAULT_APPROVAL_TIMEOUT_S,
    AgentSpec,
    ApprovalOptions,
    MemoryOptions,
    RetryOptions,
)
from springlet.errors import SpringletError, WorkspaceError
from springlet.tools.names import model_tool_name

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool
    from pydantic import BaseModel

    from springlet.agents.advisors import Instructions
    from springlet.agents.agent import Agent
    from springlet.agents.services import AgentServices


def build_agent(
    services: AgentServices, name: str, *, output: type[BaseModel] | None = None
) -> Agent:
    """The runnable agent `name` of `services` (routers included); `output` replaces the
    agent's `output:` schema with a pydantic model whose instances the runs return."""
    spec = services.agent_spec(name)
    if not isinstance(spec, AgentSpec):
        from springlet.agents.router import build_router

        return build_router(services, spec)  # type: ignore[return-value]
    if output is not None:
        # a copy for this output type; the loaded spec stays as the file says
        spec = spec.model_copy(update={"output": output.model_json_schema()})
    return _build_tool_agent(services, spec, output)


def _build_tool_agent(
    services: AgentServices, spec: AgentSpec, output: type[BaseModel] | None = None
) -> Agent:
    from langchain.agents import create_agent

    from springlet.agents.agent import Agent
    from springlet.models.resolve import resolve_chat_model

    settings = services.settings
    resolved = resolve_chat_model(
        spec.model or settings.default_model,
        settings,
        options=spec.options,
        root=services.root,
        think=spec.think,
    )
    from springlet.agents.knowledge import knowledge_for

    knowledge_middleware, knowledge_tools = knowledge_for(services, spec)
    tools = [_resolve_tool(services, spec, r.kind, r.name) for r in spec.tools if r.kind != "mcp"]
    for ref in spec.tools:
        if ref.kind == "mcp":
            toolset = services.mcp_toolset(ref.name)
            tools += toolset.langchain_tools(
                include=ref.include,
                exclude=ref.exclude,
                prefix=ref.prefix,
                taken={t.name for t in tools},
            )
    tools += knowledge_tools
    from springlet.agents.advisors import Instructions

    instructions = Instructions(spec.instructions, spec.name)
    middleware, checkpointer = _middleware(
        services, spec, tools, knowledge_middleware, instructions
    )
    middleware[1:1] = _fallback(resolved)
    _before_answer_guards(middleware, _compaction(services, spec))
    graph = create_agent(
        resolved.chat_model,
        tools=tools,
        # static instructions are create_agent's own system prompt: a wrap hook less per
        # model call (each costs ~40 us: LangChain wraps every hook in LangSmith's tracing)
        system_prompt=instructions.static_text,
        middleware=middleware,
        response_format=_response_format(services, spec),
        checkpointer=checkpointer,
        name=spec.name,
    )
    return Agent(
        services=services,
        spec=spec,
        graph=graph,
        resolved=resolved,
        has_memory=checkpointer is not None,
        output_model=output,
    )


def _middleware(
    services: AgentServices,
    spec: AgentSpec,
    tools: list[BaseTool],
    knowledge: list[Any],
    instructions: Instructions,
) -> tuple[list[Any], Any]:
    from langchain.agents.middleware import (
        ModelRetryMiddleware,
        ToolRetryMiddleware,
    )

    from springlet.agents.advisors import MemoryWindow
    from springlet.agents.tool_guard import StepBudget, ToolGuard

    approval: set[str] = set()
    approval_timeout_s = DEFAULT_APPROVAL_TIMEOUT_S
    for tool in tools:
        if (tool.metadata or {}).get("springlet_requires_approval"):
            approval.add(tool.name)
    advisors: list[Any] = []
    checkpointer = None
    for ref in spec.advisors:
        options = ref.typed_options()
        if isinstance(options, MemoryOptions):
            checkpointer = services.memory()
            if options.window:
                advisors.append(MemoryWindow(options.window))
        elif isinstance(options, ApprovalOptions):
            approval |= {model_tool_name(t) for t in options.tools}
            approval_timeout_s = options.timeout_s
        elif isinstance(options, RetryOptions):
            if options.tools:
                advisors.append(
                    ToolRetryMiddleware(
                        max_retries=options.tools, on_failure="error", initial_delay=0.1
                    )
                )
            if options.model:
                advisors.append(
                    ModelRetryMiddleware(
                        max_retries=options.model, on_failure="error", initial_delay=0.1
                    )
                )
        elif options is None:
            advisors.append(_custom_advisor(services, spec, ref.name, ref.options))
        # `compaction` is placed by _compaction(), next to the model, wherever it is listed
    advisors += knowledge
    guard = ToolGuard(
        tool_names=[t.name for t in tools],
        approval_tools=approval,
        timeouts=_timeouts(tools),
        max_repeated_calls=spec.limits.max_repeated_calls,
        approval_timeout_s=approval_timeout_s,
        max_result_tokens=spec.compaction_options().max_tool_result_tokens,
    )
    budget = StepBudget(spec.limits.max_steps)
    templated = [instructions] if instructions.static_text is None else []
    chain = [budget, *templated, guard, *advisors]
    return [*chain, *_answer_guards(services, spec, tools)], checkpointer


def _fallback(resolved: Any) -> list[Any]:
    """The fallback chain of `model:` as a list, right inside the step budget."""
    if not resolved.fallbacks:
        return []
    from springlet.agents.fallback import ChainEntry, ModelFallback

    chain = [resolved, *resolved.fallbacks]
    entries = [ChainEntry(str(r.ref), r.reason, r.chat_model) for r in chain]
    return [ModelFallback(entries, resolved.skipped)]


def _compaction(services: AgentServices, spec: AgentSpec) -> list[Any]:
    """The context budget of every model call (`compaction:`, on by default)."""
    options = spec.compaction_options()
    if not options.enabled:
        return []
    from springlet.agents.compaction import Compaction

    summary_model = None
    if options.summary_model is not None:
        from springlet.models.resolve import resolve_chat_model

        summary_model = resolve_chat_model(
            options.summary_model, services.settings, root=services.root
        ).chat_model
    reserve = max(options.reserve_tokens, spec.options.num_predict or 0)
    return [
        Compaction(
            reserve_tokens=reserve,
            max_context_tokens=options.max_context_tokens,
            summary_model=summary_model,
            summarize=options.summarize,
        )
    ]


def _before_answer_guards(middleware: list[Any], inserted: list[Any]) -> None:
    """Insert `inserted` right outside the answer guards (after every advisor: the budget
    counts what they add, retrieved passages and memory included)."""
    from springlet.agents.text_tool_calls import TextToolCalls

    at = next(i for i, m in enumerate(middleware) if isinstance(m, TextToolCalls))
    middleware[at:at] = inserted


def _answer_guards(services: AgentServices, spec: AgentSpec, tools: list[BaseTool]) -> list[Any]:
    """Innermost, next to the model: text tool calls made real, structured answers
    validated (and asked for again when they do not fit)."""
    from springlet.agents.structured_output import StructuredAnswer
    from springlet.agents.text_tool_calls import TextToolCalls
    from springlet.agents.thinking import KeepThinkingOut

    names = [t.name for t in tools]
    guards: list[Any] = [TextToolCalls(names, _tool_schemas(tools))]
    schema = _response_format(services, spec)
    if schema is not None:
        guards.append(StructuredAnswer(schema, tool_names=names))
    guards.append(KeepThinkingOut())  # innermost: nothing after the model sees thinking
    return guards


def _tool_schemas(tools: list[BaseTool]) -> dict[str, dict[str, Any]]:
    """Each tool's parameters as the model sees them (for repairing their arguments)."""
    from langchain_core.utils.function_calling import convert_to_openai_tool

    schemas = {}
    for tool in tools:
        try:
            schemas[tool.name] = convert_to_openai_tool(tool)["function"]["parameters"]
        except Exception:  # a tool without a readable schema: its arguments go unchecked
            continue
    return schemas


def _timeouts(tools: list[BaseTool]) -> dict[str, float]:
    out = {}
    for tool in tools:
        seconds = (tool.metadata or {}).get("springlet_timeout_s")
        if seconds:
            out[tool.name] = float(seconds)
    return out


def _custom_advisor(
    services: AgentServices, spec: AgentSpec, name: str, options: dict[str, Any]
) -> Any:
    factory = services.advisor_factory(name)
    if factory is None:
        raise WorkspaceError(f"agent '{spec.name}' names unknown advisor '{name}'")
    try:
        return factory(**options)
    except TypeError as exc:
        raise SpringletError(
            f"advisor '{name}' of agent '{spec.name}' does not accept these options: {exc}",
            hint="check the options under the advisor's name in the agent file",
        ) from None


def _response_format(services: AgentServices, spec: AgentSpec) -> dict[str, Any] | None:
    if spec.output is None:
        return None
    if set(spec.output) == {"prompt"}:
        schema = services.prompt_spec(spec.output["prompt"]).output
    else:
        schema = spec.output
    if schema is None:
        return None
    return {"title": f"{spec.name}_answer", **schema}


def _resolve_tool(services: AgentServices, spec: AgentSpec, kind: str, name: str) -> BaseTool:
    if kind == "python":
        return services.python_tool(name).as_langchain()
    if kind == "prompt":
        from springlet.prompts.as_tool import prompt_tool

        return prompt_tool(services, name, model_tool_name(name))
    from springlet.agents.as_tool import agent_tool

    return agent_tool(services, name, model_tool_name(name))
