# A Google Cloud Functions-style (gcf) function: a Flask request in, anything Flask accepts out.
# POST /v1/local/fn/greet/any/path --json '{"name": "Ada"}' (a JSON body: Flask's get_json reads
# only application/json); it runs unchanged on Google's platform.
import os

from flask import jsonify


def main(request):
    body = request.get_json(silent=True) or {}
    name = request.args.get("name") or body.get("name") or "world"
    print(f"greeting {name} at {request.path}")
    return jsonify(message=f"Hello, {name}!", path=request.path, service=os.environ["K_SERVICE"])
