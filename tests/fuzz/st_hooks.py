"""Schemathesis hooks for the fuzz run (loaded through SCHEMATHESIS_HOOKS).

A fuzzer cannot write source code that loads, so nearly every generated deploy is a 400
`deploy_failed` and the stateful phase never gets a function to chain (deploy -> get, invoke,
logs, env, /fn/, cron, delete). Where a generated deploy body carries a `code` string, it is
swapped for a small handler that loads and answers JSON (a function that sets no Content-Type
is labelled `application/json`, as API Gateway does); every other field stays as generated.
"""

from __future__ import annotations

from typing import Any

import schemathesis

_CODE = "def handler(event, context):\n    return {'statusCode': 200, 'body': '{\"fuzz\": true}'}\n"


@schemathesis.hook
def map_body(ctx: schemathesis.HookContext, body: Any) -> Any:
    operation = ctx.operation
    if (operation is not None and operation.method.upper() == "POST" and operation.path == "/v1/{app_id}/functions"
            and isinstance(body, dict) and isinstance(body.get("code"), str)):
        return {**body, "code": _CODE}
    return body
