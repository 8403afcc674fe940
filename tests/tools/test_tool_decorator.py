"""`@springlet.tool` wraps LangChain's tool machinery: schema from hints and docstring."""

from __future__ import annotations

import asyncio

import pytest

from springlet import SpringletTool, tool


@tool
def get_order_status(order_id: str) -> str:
    """Look up the shipping status of an order by its id, like 'A-1001'."""
    return f"{order_id}: shipped"


@tool(requires_approval=True, timeout_s=10)
def refund_order(order_id: str, amount: float, reason: str = "customer asked") -> str:
    """Refund part or all of an order.

    Args:
        order_id: The order to refund.
        amount: How much to refund, in euros.
        reason: Why.
    """
    return f"refunded {amount} on {order_id}"


@tool(name="lookup")
async def async_lookup(key: str) -> str:
    """Look a key up."""
    return key.upper()


def test_decorated_function_stays_callable() -> None:
    assert isinstance(get_order_status, SpringletTool)
    assert get_order_status("A-1") == "A-1: shipped"


def test_schema_comes_from_type_hints_and_docstring() -> None:
    lc = refund_order.as_langchain()
    assert lc.name == "refund_order"
    assert lc.description == "Refund part or all of an order."
    props = lc.args
    assert props["order_id"]["type"] == "string"
    assert props["amount"]["type"] == "number"
    assert props["amount"]["description"] == "How much to refund, in euros."
    assert lc.metadata == {"springlet_requires_approval": True, "springlet_timeout_s": 10}
    assert lc.invoke({"order_id": "A-1", "amount": 2.5}) == "refunded 2.5 on A-1"


def test_arguments_are_validated_against_the_schema() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        refund_order.as_langchain().invoke({"order_id": "A-1", "amount": "lots"})


def test_async_tools_and_custom_names() -> None:
    lc = async_lookup.as_langchain()
    assert lc.name == "lookup"
    assert asyncio.run(lc.ainvoke({"key": "abc"})) == "ABC"


def test_the_langchain_tool_is_built_once() -> None:
    assert get_order_status.as_langchain() is get_order_status.as_langchain()


def test_signature_problems_are_explained() -> None:
    def untyped(x, *rest):  # type: ignore[no-untyped-def]
        return x

    problems = tool(untyped).signature_problems()
    assert problems == [
        "tool 'untyped' has no docstring; the model reads it to know when to call the tool, "
        "so describe what it does",
        "parameter 'x' of tool 'untyped' has no type hint; add one, e.g. 'x: str'",
        "tool 'untyped' takes *rest; tools need named, typed parameters",
    ]


def test_timeout_must_be_positive() -> None:
    with pytest.raises(ValueError, match="timeout_s must be positive"):
        tool(timeout_s=0)


def test_model_facing_tool_names_keep_only_what_tool_call_apis_accept() -> None:
    from springlet.tools.names import model_tool_name

    assert model_tool_name("summarize.v2") == "summarize_v2"
    assert model_tool_name("front-desk") == "front-desk"
    assert model_tool_name("翻译 tool") == "___tool"
