"""GET /v1/local/fn/hello?name=Ada answers {"message": "Hello, Ada!"} (a Flask request in)."""


def hello(request):
    name = request.args.get("name", "world")
    return {"message": f"Hello, {name}!"}
