# An Azure Functions-style (azure) function: main(req: func.HttpRequest) -> func.HttpResponse.
# GET /v1/local/fn/stock/{sku} (stock.json: path template); its hourly cron trigger arrives as a
# POST whose JSON body is the event and whose X-Fnemu-Trigger header says "cron".
import json
import logging

import azure.functions as func

STOCK = {"widget": 12, "gadget": 0}


def main(req: func.HttpRequest) -> func.HttpResponse:
    if req.headers.get("X-Fnemu-Trigger") == "cron":
        event = req.get_json()
        low = sorted(sku for sku, count in STOCK.items() if count == 0)
        logging.warning("restock check at %s: out of %s", event["time"], ", ".join(low))
        return func.HttpResponse(json.dumps({"out_of_stock": low}), mimetype="application/json")
    sku = req.route_params["sku"]
    if sku not in STOCK:
        return func.HttpResponse(json.dumps({"error": f"no such item: {sku}"}), status_code=404,
                                 mimetype="application/json")
    return func.HttpResponse(json.dumps({"sku": sku, "count": STOCK[sku], "url": req.url}),
                             mimetype="application/json")
