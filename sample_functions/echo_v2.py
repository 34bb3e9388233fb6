# An HTTP API (v2 event) function: returns a plain dict, which becomes a JSON response. POST /v1/local/fn/echo_v2/anything
def handler(event, context):
    return {
        "method": event["requestContext"]["http"]["method"],
        "path": event["rawPath"],
        "query": event.get("queryStringParameters", {}),
        "body": event.get("body"),
    }
