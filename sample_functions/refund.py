# A read_write agent tool (refund.json): each call waits for `fnemu approvals approve ID`.
import json


def handler(event, context):
    request = json.loads(event["body"] or "{}")
    print(f"refunding {request.get('amount')} to {request.get('account')}")
    return {"statusCode": 200, "body": json.dumps({"refunded": request.get("amount"), "account": request.get("account")})}
