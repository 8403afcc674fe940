"""The lowest layer of springlet's runtime: the one event loop every run executes on, and
the LangSmith override that keeps LangChain's hooks on it. Nothing here knows agents,
prompts or workspaces; everything that runs builds on it."""
