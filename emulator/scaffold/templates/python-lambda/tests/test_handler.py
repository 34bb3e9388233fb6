"""The handler called directly, with an event of exactly the shape fnemu sends it."""

import json

from emulator.pytest_plugin import event
from hello import lambda_handler


def test_handler_reads_the_query():
    answer = lambda_handler(event("apigw", query={"name": "Ada"}), None)
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"]) == {"message": "Hello, Ada!"}
