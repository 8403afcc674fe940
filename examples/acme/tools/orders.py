"""Order tools of the ACME helpdesk (a tiny in-memory order book for the example)."""

from springlet import tool

ORDERS = {
    "A-1001": {"status": "shipped", "carrier": "DHL", "eta": "2026-11-25", "total": 49.90},
    "A-1002": {"status": "processing", "carrier": None, "eta": "2026-11-28", "total": 120.00},
    "A-1003": {"status": "delivered", "carrier": "UPS", "eta": "2026-11-20", "total": 15.50},
}


@tool
def get_order_status(order_id: str) -> str:
    """Look up the shipping status of an order by its id, like 'A-1001'."""
    order = ORDERS.get(order_id.strip().upper())
    if order is None:
        return f"No order {order_id} exists. Order ids look like A-1001."
    carrier = f" with {order['carrier']}" if order["carrier"] else ""
    return f"Order {order_id} is {order['status']}{carrier}; expected {order['eta']}."


@tool(requires_approval=True, timeout_s=10)
def refund_order(order_id: str, amount: float, reason: str) -> str:
    """Refund part or all of an order. Use only after the user confirmed."""
    order = ORDERS.get(order_id.strip().upper())
    if order is None:
        return f"No order {order_id} exists."
    if amount <= 0 or amount > order["total"]:
        return f"Refunds for {order_id} must be between 0 and {order['total']:.2f}."
    return f"Refunded {amount:.2f} on order {order_id} ({reason})."
