"""Running a prompt template: validate inputs, render in the sandbox, call the model.

```python
summary = ws.prompt("summarize").run(text="...", style="one sentence")
```
Returns the answer's text, or the validated object when the prompt declares `output`.
"""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING, Any

from springlet._runtime import runtime_loop
from springlet.prompts.inputs import validate_inputs
from springlet.prompts.template import render

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessage
    from pydantic import BaseModel

    from springlet.models.resolve import ResolvedChatModel
    from springlet.prompts.services import PromptServices
    from springlet.prompts.spec import PromptSpec

_JSON_TYPES = {
    "string": str,
    "integer": int,
    "number": float,
    "boolean": bool,
    "array": list,
    "object": dict,
}


class Prompt:
    """A runnable prompt template of a workspace."""

    def __init__(self, services: PromptServices, spec: PromptSpec) -> None:
        self.services = services
        self.spec = spec
        self._resolved: ResolvedChatModel | None = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.spec.name

    def render(self, **inputs: Any) -> list[BaseMessage]:
        """The messages this prompt sends for `inputs` (validated, defaults filled)."""
        from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

        context = validate_inputs(self.spec, inputs)
        kinds = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
        return [
            kinds[m.role](render(m.content, context, what=f"prompt '{self.name}'"))
            for m in self.spec.messages
        ]

    def run(self, **inputs: Any) -> Any:
        """Render and call the model; the text, or the structured object."""
        return runtime_loop.run_sync(self.arun(**inputs))

    async def arun(self, **inputs: Any) -> Any:
        """`run` for async callers."""
        from springlet.prompts.chat_client import ChatClient

        messages = self.render(**inputs)  # bad inputs fail before any model is resolved
        # resolving may probe Ollama: never on the runtime loop every run shares
        resolved = self._resolved
        if resolved is None:
            resolved = await asyncio.to_thread(self.resolved)
        scope = self.services.tracer().run(
            agent=f"prompt:{self.name}", model=str(resolved.ref), input=inputs
        )
        async with scope:
            client = ChatClient(resolved.chat_model, callbacks=scope.callbacks)
            call = client.prompt().messages(*messages)
            if self.spec.output is not None:
                # validated against the schema; an answer that does not fit is asked again
                schema = {"title": f"{self.name}_output", **self.spec.output}
                answer: Any = await call.call().aentity(schema)
            else:
                answer = await call.call().acontent()
            scope.finish(output=answer)
        return answer

    def resolved(self) -> ResolvedChatModel:
        """The model this prompt runs on (its own `model:`, else the workspace default)."""
        with self._lock:
            if self._resolved is None:
                from springlet.models.resolve import resolve_chat_model

                settings = self.services.settings
                self._resolved = resolve_chat_model(
                    self.spec.model or settings.default_model,
                    settings,
                    options=self.spec.options,
                    root=self.services.root,
                    think=self.spec.think,
                )
            return self._resolved

    def input_schema(self) -> type[BaseModel]:
        """A pydantic model of the inputs, for using this prompt as a tool."""
        from pydantic import Field, create_model

        fields: dict[str, Any] = {}
        for name, spec in self.spec.input.items():
            python_type = _JSON_TYPES[spec.type]
            default = ... if spec.required else spec.default
            fields[name] = (python_type, Field(default=default, description=spec.description))
        return create_model(f"{self.name.replace('-', '_')}_input", **fields)
