# A WebSocket echo (chat.json): ws://127.0.0.1:8787/v1/local/fn/chat; each frame is one invocation.
def handler(event, context):
    route = event["requestContext"]["routeKey"]
    if route != "$default":
        return {"statusCode": 200}
    print(f"frame: {event.get('body')}")
    return {"statusCode": 200, "body": f"echo: {event.get('body')}"}
