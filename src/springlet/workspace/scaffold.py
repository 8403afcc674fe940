"""`springlet init`: a new workspace whose files validate and whose editor knows the schemas."""

from __future__ import annotations

from pathlib import Path

from springlet.errors import SpringletError
from springlet.workspace.schema import write_schemas

_FILES: dict[str, str] = {
    "springlet.yaml": """\
# yaml-language-server: $schema=schemas/settings.schema.json
default_model: auto                  # Ollama when it answers, else the embedded SmolLM2
ollama:
  host: http://127.0.0.1:11434       # OLLAMA_HOST overrides
  keep_alive: 5m
  auto_pull: false
# English documents: embedded:all-minilm. Chinese or Chinese + English: embedded:multilingual
# (springlet[multilingual]); other languages: an Ollama embedder such as ollama:bge-m3
embeddings: embedded:all-minilm
data_dir: .springlet
""",
    "agents/assistant.yaml": """\
# yaml-language-server: $schema=../schemas/agent.schema.json
name: assistant
description: A helpful assistant that can tell the time and read the notes.
instructions: |
  You are a helpful assistant. Today is {{ today }}.
  Answer briefly. Use the tools when they help.
tools:
  - word_count
  - prompt: summarize
knowledge:
  - collection: notes
    top_k: 3
advisors:
  - memory: {window: 20}
limits: {max_steps: 6, timeout_s: 120}
""",
    "prompts/summarize.yaml": """\
# yaml-language-server: $schema=../schemas/prompt.schema.json
name: summarize
description: Summarize a text in one sentence.
input:
  text: {type: string, description: The text to summarize}
messages:
  - role: system
    content: You write faithful, concise summaries.
  - role: user
    content: "Summarize in one sentence: {{ text }}"
tests:
  - input: {text: "The cat sat on the mat. It was happy."}
    expect: {contains: [cat]}
""",
    "tools/text.py": '''\
"""Tools of this workspace: typed functions whose docstring tells the model what they do."""

from springlet import tool


@tool
def word_count(text: str) -> int:
    """Count the words in a text."""
    return len(text.split())
''',
    "knowledge/notes.yaml": """\
# yaml-language-server: $schema=../schemas/collection.schema.json
name: notes
description: Notes the assistant answers from.
sources:
  - path: knowledge/notes/
    glob: "**/*.md"
""",
    "knowledge/notes/welcome.md": """\
# Welcome

This workspace was created by `springlet init`. Put Markdown, text, PDF or HTML files
in this folder and run `springlet ingest` to make them searchable by the assistant.
""",
    ".gitignore": ".springlet/\n",
}


def scaffold_workspace(directory: Path, *, force: bool = False) -> list[Path]:
    """Create a workspace in `directory`; refuse to overwrite files unless `force`."""
    existing = [directory / rel for rel in _FILES if (directory / rel).exists()]
    if existing and not force:
        shown = ", ".join(str(p) for p in existing[:3])
        raise SpringletError(
            f"{directory} already has workspace files ({shown})",
            hint="choose an empty directory, or pass --force to overwrite them",
        )
    written = []
    for rel, text in _FILES.items():
        path = directory / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    written += write_schemas(directory / "schemas")
    return written
