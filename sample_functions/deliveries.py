# A webhook receiver (deliveries.json): its URL and secret are on its page in the UI and in the
# start-up table; `fnemu webhook send deliveries --source github` sends it a signed delivery.
import json


def handler(event, context):
    delivery = json.loads(event.get("body") or "{}")
    print(f"delivery: {sorted(delivery)}")
    return {"statusCode": 200, "body": json.dumps({"received": True})}
