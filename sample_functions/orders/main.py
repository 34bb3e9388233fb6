# A folder function with its own config (function.json), env (.env) and a path template: GET /v1/local/fn/orders/42
import json
import logging
import os

log = logging.getLogger("orders")


def handler(event, context):
    order_id = event["pathParameters"]["id"]
    log.info("looking up order %s", order_id)
    body = {"id": order_id, "store": os.environ["STORE_NAME"], "status": "shipped"}
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}
