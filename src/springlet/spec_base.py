"""The base of every spec: frozen, strict about unknown keys, and free of I/O."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Spec(BaseModel):
    """A validated, immutable description of something a user wrote in a file.

    Unknown keys are errors: a typo that silently does nothing is the worst kind of
    bug in a config file. Specs never read files or talk to servers.
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        str_strip_whitespace=False,
        validate_default=True,
        use_attribute_docstrings=True,
    )
