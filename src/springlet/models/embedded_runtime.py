"""One loaded llama.cpp model per (GGUF path, context size) per process, used one call
at a time.

`llama_cpp.Llama` holds a single KV cache and is not thread-safe, so every generation
takes the model's lock for as long as it produces tokens. Loading is shared: every
`EmbeddedChatModel` naming the same file and context size uses the same `LoadedModel`.
"""

from __future__ import annotations

import atexit
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2.sandbox import ImmutableSandboxedEnvironment

from springlet.errors import ContextOverflowError, ModelError
from springlet.models.options import ModelOptions

DEFAULT_CONTEXT = 4096

# llama.cpp names for the Ollama option names that apply per call
_SAMPLING_NAMES: dict[str, str] = {
    "temperature": "temperature",
    "top_p": "top_p",
    "top_k": "top_k",
    "min_p": "min_p",
    "typical_p": "typical_p",
    "seed": "seed",
    "repeat_penalty": "repeat_penalty",
    "presence_penalty": "presence_penalty",
    "frequency_penalty": "frequency_penalty",
    "mirostat": "mirostat_mode",
    "mirostat_tau": "mirostat_tau",
    "mirostat_eta": "mirostat_eta",
}


@dataclass
class Generation:
    """What one generation produced, filled in while its tokens stream."""

    text: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str | None = None
    prompt_seconds: float = 0.0
    """Evaluating the prompt: from the request until the first token came out."""
    eval_seconds: float = 0.0
    """Producing the tokens after the first."""


@dataclass
class LoadedModel:
    """A `llama_cpp.Llama` with its chat template, its lock and how long loading took."""

    path: Path
    llama: Any  # llama_cpp.Llama (untyped library)
    chat_template: str
    load_seconds: float
    lock: threading.Lock = field(default_factory=threading.Lock)
    _load_reported: bool = False

    def take_load_seconds(self) -> float:
        """The load time for the first request that asks, 0 for every later one."""
        with self.lock:
            reported, self._load_reported = self._load_reported, True
        return 0.0 if reported else self.load_seconds

    @property
    def n_ctx(self) -> int:
        # llama.cpp may round the context up (to 256) while llama-cpp-python's token
        # buffer keeps the size asked for; the smaller one is what fits
        return min(int(self.llama.n_ctx()), len(self.llama.input_ids))

    def tokenize(self, text: str) -> list[int]:
        # special=True: the chat template's <|im_start|> markers are single tokens
        tokens: list[int] = self.llama.tokenize(text.encode("utf-8"), add_bos=False, special=True)
        return tokens

    def render_chat(self, messages: list[dict[str, str]], *, add_generation_prompt: bool) -> str:
        """`messages` rendered with the model's own chat template (from the GGUF)."""
        template = _jinja.from_string(self.chat_template)
        return template.render(
            messages=messages,
            add_generation_prompt=add_generation_prompt,
            bos_token=self._token_text(self.llama.token_bos()),
            eos_token=self._token_text(self.llama.token_eos()),
        )

    def end_of_turn_markers(self) -> list[str]:
        """Texts that end the assistant's turn (ChatML's <|im_end|> and the EOS token)."""
        markers = [self._token_text(self.llama.token_eos())]
        if "<|im_end|>" in self.chat_template:
            markers.append("<|im_end|>")
        return [m for m in dict.fromkeys(markers) if m]

    def stream(
        self,
        prompt: str,
        *,
        options: ModelOptions,
        max_tokens: int | None,
        stop: list[str],
        grammar: Any = None,
        logit_bias: dict[int, float] | None = None,
        result: Generation,
    ) -> Iterator[str]:
        """Yield text pieces of the continuation of `prompt` as llama.cpp produces them.

        The lock is held from the first token to the last (or until the consumer closes
        the iterator), so concurrent callers queue instead of corrupting the KV cache.
        """
        tokens = self.tokenize(prompt)
        result.prompt_tokens = len(tokens)
        if len(tokens) >= self.n_ctx:
            raise ContextOverflowError(
                f"the prompt is {len(tokens)} tokens but {self.path.name} was loaded with a "
                f"context of {self.n_ctx} tokens",
                hint="raise num_ctx in the model options, or shorten the conversation",
            )
        room = self.n_ctx - len(tokens)
        limit = room if max_tokens is None or max_tokens <= 0 else min(max_tokens, room)
        with self.lock:
            started = time.perf_counter()
            chunks = self.llama.create_completion(
                tokens,
                max_tokens=limit,
                stop=stop,
                stream=True,
                grammar=grammar,
                logit_bias=logit_bias,
                **sampling_kwargs(options),
            )
            first: float | None = None
            for chunk in chunks:
                if first is None:
                    first = time.perf_counter()
                choice = chunk["choices"][0]
                piece: str = choice.get("text") or ""
                if choice.get("finish_reason"):
                    result.finish_reason = choice["finish_reason"]
                if piece:
                    result.text += piece
                    yield piece
            ended = time.perf_counter()
            result.prompt_seconds = (first or ended) - started
            result.eval_seconds = ended - (first or ended)
            result.completion_tokens = len(
                self.llama.tokenize(result.text.encode("utf-8"), add_bos=False, special=False)
            )

    def _token_text(self, token: int) -> str:
        if token < 0:
            return ""
        return str(self.llama.detokenize([token], special=True).decode("utf-8", "replace"))


_jinja = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
_loaded: dict[tuple[Path, int], LoadedModel] = {}
_load_lock = threading.Lock()


def close_loaded_models() -> None:
    """Free every loaded llama.cpp model now. Registered for interpreter exit too: freed
    during module teardown instead, llama_cpp's own finalizer finds its bindings gone
    and prints "TypeError: 'NoneType' object is not callable"."""
    with _load_lock:
        models = list(_loaded.values())
        _loaded.clear()
    for model in models:
        with model.lock:
            model.llama.close()


atexit.register(close_loaded_models)

_CHATML = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + "
    "message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


OLLAMA_SAMPLING_DEFAULTS: dict[str, Any] = {"repeat_penalty": 1.1}
"""Ollama's defaults where llama-cpp-python's differ: without a repeat penalty a small
model falls into loops ("The time it takes ... The time it takes ...") until num_predict."""


def sampling_kwargs(options: ModelOptions) -> dict[str, Any]:
    """The per-call llama.cpp keyword arguments for `options` (Ollama's defaults otherwise)."""
    values = {**OLLAMA_SAMPLING_DEFAULTS, **options.as_dict()}
    return {llama: values[name] for name, llama in _SAMPLING_NAMES.items() if name in values}


def load_kwargs(options: ModelOptions) -> dict[str, Any]:
    """Keyword arguments for `llama_cpp.Llama(...)` from the load-time options."""
    cores = max(1, os.cpu_count() or 1)
    kwargs: dict[str, Any] = {
        "n_ctx": options.num_ctx or DEFAULT_CONTEXT,
        # Prompt evaluation scales with every core. Generation leaves one core to the rest
        # of the machine: llama.cpp's threads meet at a barrier after every operation, so
        # one preempted thread stalls them all. bench/chat_stability.py, 2 cores, one
        # 80-token SmolLM2 answer beside two busy processes: 2 threads 23.0 s (OpenMP's
        # default wait 133 s, OMP_WAIT_POLICY=passive 16.7 s), 1 thread 6.5 s; under the
        # team's usual load 1 thread 2.3 s vs 2 threads 9.2 s (medians, interleaved).
        "n_threads": options.num_thread or max(1, cores - 1),
        "n_threads_batch": options.num_thread or cores,
        "verbose": False,
    }
    if options.num_gpu is not None:
        kwargs["n_gpu_layers"] = options.num_gpu
    if options.num_batch is not None:
        kwargs["n_batch"] = options.num_batch
    if options.repeat_last_n is not None and options.repeat_last_n > 0:
        kwargs["last_n_tokens_size"] = options.repeat_last_n
    return kwargs


SPIN_COUNT = "10000"
"""How long llama.cpp's OpenMP threads busy-wait between operations (GOMP_SPINCOUNT).
libgomp's default (300,000 spins) makes generation 3x slower whenever anything else
wants the cores (measured on 2 cores: 30 vs 85 tokens/s beside two busy processes); at
10,000 an idle machine loses ~4 % (86 vs 90). Not spinning at all (PASSIVE) costs 3x."""


def llama_cpp_library() -> Any:
    """`import llama_cpp`, with OpenMP's spin-wait shortened first (libgomp reads it when
    it loads; a value the user exported wins)."""
    os.environ.setdefault("GOMP_SPINCOUNT", SPIN_COUNT)
    import llama_cpp

    return llama_cpp


def amx_available() -> bool:
    """Whether this llama.cpp build would repack weights for Intel AMX on this CPU."""
    llama_cpp = llama_cpp_library()
    info = llama_cpp.llama_print_system_info().decode("utf-8", "replace")
    return "AMX_INT8 = 1" in info


def new_llama(path: Path, kwargs: dict[str, Any]) -> Any:
    """`llama_cpp.Llama(path, **kwargs)`, without AMX weight repacking on AMX CPUs.

    llama.cpp's AMX matmul segfaults on the first decode on some Sapphire-Rapids-class
    machines (ggml-org/llama.cpp#20824, open; a native source build turns AMX on by
    itself). `use_extra_bufts` is the model parameter that switches the repacking off,
    and `Llama.__init__` builds its model parameters from
    `llama_model_default_params()` without a keyword for it, so the default is swapped
    for the duration of the load (springlet loads one model at a time, under `_load_lock`).
    """
    llama_cpp = llama_cpp_library()
    import llama_cpp.llama_cpp as bindings  # the module `Llama.__init__` calls into

    if not amx_available():
        return llama_cpp.Llama(model_path=str(path), **kwargs)
    name = "llama_model_default_params"
    defaults = getattr(bindings, name)

    def without_extra_buffers() -> Any:
        params = defaults()
        params.use_extra_bufts = False
        return params

    setattr(bindings, name, without_extra_buffers)
    try:
        return llama_cpp.Llama(model_path=str(path), **kwargs)
    finally:
        setattr(bindings, name, defaults)


def load_model(path: Path, options: ModelOptions) -> LoadedModel:
    """The shared `LoadedModel` for `path` at the context size `options` asks for."""
    kwargs = load_kwargs(options)
    key = (path.resolve(), int(kwargs["n_ctx"]))
    with _load_lock:
        loaded = _loaded.get(key)
        if loaded is None:
            loaded = _load(key[0], kwargs)
            _loaded[key] = loaded
        return loaded


def _load(path: Path, kwargs: dict[str, Any]) -> LoadedModel:
    started = time.perf_counter()
    try:
        llama = new_llama(path, kwargs)
    except (ValueError, RuntimeError, OSError) as error:
        raise ModelError(
            f"llama.cpp could not load {path}: {error}",
            hint="check that the file is a complete GGUF for an architecture llama.cpp "
            "supports, and that num_ctx fits in memory",
        ) from error
    template = str(llama.metadata.get("tokenizer.chat_template") or _CHATML)
    return LoadedModel(
        path=path,
        llama=llama,
        chat_template=template,
        load_seconds=time.perf_counter() - started,
    )
