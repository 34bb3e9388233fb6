"""§3 a deploy body validated once, and §6 the http trigger's route, called directly."""

from __future__ import annotations

import pytest

from emulator.errors import BadRequest, Conflict, MethodNotAllowed, NotFound
from emulator.registry.spec import FunctionSpec, TriggerSpec, parse_spec, validate_name
from emulator.triggers.http import HttpRoute

CODE = "def handler(event, context):\n    return {'statusCode': 200}\n"


def test_defaults_fill_every_optional_field() -> None:
    spec = parse_spec({"name": "fn", "code": CODE})
    assert spec == FunctionSpec(name="fn", code=CODE, language="python", runtime="lambda")
    assert spec.triggers == (TriggerSpec("http", {"method": "ANY", "auth": "required"}),)
    assert spec.env is None
    assert spec.route is not None and spec.route.auth_required


def test_a_name_given_apart_from_the_body_is_the_one_validated() -> None:
    assert parse_spec({"code": CODE}, name="from-file").name == "from-file"
    with pytest.raises(BadRequest) as exc:
        parse_spec({"code": CODE}, name="bad name")
    assert exc.value.field == "name"


def test_style_of_one_language_decides_the_language() -> None:
    assert parse_spec({"name": "f", "code": "export default { fetch() {} }", "runtime": "web"}).language == "node"
    with pytest.raises(BadRequest) as exc:
        parse_spec({"name": "f", "code": CODE, "language": "node", "runtime": "azure"})
    assert exc.value.field == "runtime" and "python" in exc.value.message


def test_legacy_trigger_string_and_object_normalise_alike() -> None:
    by_object = parse_spec({"name": "f", "code": CODE, "trigger": {"type": "http"}})
    by_string = parse_spec({"name": "f", "code": CODE, "trigger": "http"})
    assert by_object.triggers == by_string.triggers == parse_spec({"name": "f", "code": CODE}).triggers


def test_second_trigger_of_a_type_is_a_conflict() -> None:
    with pytest.raises(Conflict) as exc:
        parse_spec({"name": "f", "code": CODE, "triggers": ["http", "http"]})
    assert exc.value.field == "triggers[1].type"


def test_no_triggers_means_no_route() -> None:
    assert parse_spec({"name": "f", "code": CODE, "triggers": []}).route is None


@pytest.mark.parametrize("name", ["a", "A-b_9", "x" * 100])
def test_valid_names(name: str) -> None:
    assert validate_name(name) == name


@pytest.mark.parametrize("name", ["", "x" * 101, "a b", "a\n", "\na", "ü", "a.b", None, 1])
def test_invalid_names(name: object) -> None:
    with pytest.raises(BadRequest):
        validate_name(name)


def route(**config: object) -> HttpRoute:
    spec = parse_spec({"name": "f", "code": CODE, "triggers": [{"type": "http", "config": config}]})
    assert spec.route is not None
    return spec.route


def test_route_without_path_proxies_everything() -> None:
    r = route()
    assert r.match("GET", "/") == ("/", None)
    assert r.match("DELETE", "/a/b") == ("/{proxy+}", {"proxy": "a/b"})


def test_route_template_parameters() -> None:
    r = route(path="/users/{user}/files/{path+}")
    assert r.match("GET", "/users/7/files/a/b.txt") == ("/users/{user}/files/{path+}",
                                                       {"user": "7", "path": "a/b.txt"})
    assert r.match("GET", "/users/7/files/a\nb")[1] == {"user": "7", "path": "a\nb"}
    for path in ("/users/7/files", "/users/7/files/", "/users//files/x", "/users/7"):
        with pytest.raises(NotFound):
            r.match("GET", path)


def test_route_literal_path_matches_exactly() -> None:
    r = route(path="/health")
    assert r.match("GET", "/health") == ("/health", None)
    assert r.match("GET", "/health/") == ("/health", None)
    for path in ("/health\n", "/healthz", "/", "/health/x"):
        with pytest.raises(NotFound):
            r.match("GET", path)


def test_route_methods_allow_head_with_get() -> None:
    r = route(method="GET")
    assert r.match("HEAD", "/") == ("/", None)
    with pytest.raises(MethodNotAllowed) as exc:
        r.match("POST", "/")
    assert exc.value.allow == ["GET", "HEAD"]
    assert route(method=["PUT", "POST"]).allowed() == ["POST", "PUT"]
