"""§3, §5: a FastAPI app behind Mangum, deployed through the API as a function named `fastapi`.

Its code is stored as `lambda_function.py`, never under the function's name, so the function's
own `from fastapi import FastAPI` imports the package, not itself.
"""

from __future__ import annotations

import pytest

APP = '''
from typing import Annotated

from fastapi import FastAPI, Header
from mangum import Mangum
from pydantic import BaseModel

app = FastAPI()


class Item(BaseModel):
    name: str
    price: float
    tags: list[str] = []


@app.get("/items/{item_id}")
def read_item(item_id: int, q: str | None = None, x_tenant: Annotated[str | None, Header()] = None):
    return {"item_id": item_id, "q": q, "tenant": x_tenant}


@app.post("/items", status_code=201)
def create_item(item: Item):
    return {"created": item.name, "total": item.price * 2, "tags": item.tags}


handler = Mangum(app, lifespan="off")
'''


@pytest.fixture(params=["v1", "v2"])
def fastapi_fn(request, fnemu):
    fnemu.deploy("fastapi", APP, eventFormat=request.param)
    return fnemu


def test_path_query_and_header_parameters_reach_the_route(fastapi_fn):
    response = fastapi_fn.call("fastapi", path="/items/42?q=shoes", headers={"X-Tenant": "acme"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"item_id": 42, "q": "shoes", "tenant": "acme"}


def test_a_json_body_is_parsed_into_the_model(fastapi_fn):
    response = fastapi_fn.call("fastapi", "POST", "/items", json={"name": "boot", "price": 21.5, "tags": ["x"]})
    assert response.status_code == 201, response.text
    assert response.json() == {"created": "boot", "total": 43.0, "tags": ["x"]}


def test_validation_errors_are_fastapis_422(fastapi_fn):
    response = fastapi_fn.call("fastapi", "POST", "/items", json={"name": "boot"})
    assert response.status_code == 422
    assert [(e["type"], e["loc"]) for e in response.json()["detail"]] == [("missing", ["body", "price"])]
    response = fastapi_fn.call("fastapi", path="/items/not-a-number")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "item_id"]


def test_an_unknown_route_is_fastapis_404(fastapi_fn):
    response = fastapi_fn.call("fastapi", path="/nowhere")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}
