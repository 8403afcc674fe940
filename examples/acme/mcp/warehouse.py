"""The ACME warehouse: a small MCP server the example workspace starts over stdio.

It shows what any MCP server written with the official `mcp` SDK looks like to
springlet: `springlet.yaml` declares it under `mcp_servers:` and the `stock` agent uses
its tools with `- mcp: warehouse`. Offline and in-memory; run it alone with
`python mcp/warehouse.py` (it then waits for an MCP client on stdin).
"""

from mcp.server.mcpserver import MCPServer

STOCK = {
    "KETTLE-2": {"name": "ACME Kettle 2", "units": 14, "warehouse": "Leipzig"},
    "TOASTER-1": {"name": "ACME Toaster", "units": 0, "warehouse": "Leipzig"},
    "BLENDER-3": {"name": "ACME Blender 3", "units": 3, "warehouse": "Lyon"},
}

server = MCPServer("acme-warehouse", instructions="Stock levels of ACME products.")


@server.tool()
def check_stock(sku: str) -> str:
    """How many units of a product (by SKU, like 'KETTLE-2') are in stock, and where."""
    item = STOCK.get(sku.strip().upper())
    if item is None:
        return f"No product {sku}. SKUs look like KETTLE-2; known: {', '.join(STOCK)}."
    if not item["units"]:
        return f"{item['name']} ({sku}) is out of stock."
    return f"{item['name']} ({sku}): {item['units']} units in {item['warehouse']}."


@server.tool()
def list_products() -> str:
    """Every product the warehouse stocks, with its SKU."""
    return "\n".join(f"{sku}: {item['name']}" for sku, item in STOCK.items())


@server.resource("warehouse://locations", description="The ACME warehouses.")
def locations() -> str:
    return "Leipzig (DE): kitchen appliances\nLyon (FR): blenders and mixers"


if __name__ == "__main__":
    server.run()
