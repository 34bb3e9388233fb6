"""GET /v1/local/fn/hello?name=Ada answers {"message": "Hello, Ada!"}."""

import json

import azure.functions as func


def main(req: func.HttpRequest) -> func.HttpResponse:
    name = req.params.get("name", "world")
    return func.HttpResponse(json.dumps({"message": f"Hello, {name}!"}), mimetype="application/json")
