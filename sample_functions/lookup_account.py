# An agent tool (lookup_account.json): an agent calls it with {"email": ...}; an end user may too.
import json

ACCOUNTS = {"ada@example.com": {"id": "acc_1", "plan": "pro", "status": "active"}}


def handler(event, context):
    email = json.loads(event["body"] or "{}").get("email", "")
    claims = event["requestContext"]["authorizer"]["claims"] or {}
    print(f"lookup {email} for {claims.get('sub', 'the developer')}")
    account = ACCOUNTS.get(email)
    if account is None:
        return {"statusCode": 404, "body": json.dumps({"error": f"no account for {email}"})}
    return {"statusCode": 200, "body": json.dumps(account)}
