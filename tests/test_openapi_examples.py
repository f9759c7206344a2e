"""The OpenAPI description stays complete: every JSON request body and every JSON 2xx response
carries an example (on the operation's media type or on the schema it references), every example
validates against its schema, and file downloads say what they are.

No database is needed: the description is built from the routes alone.
"""

from __future__ import annotations

import json

import pytest

# Routes still being written in concurrent changes, as (METHOD, path): their examples and error
# responses come with them. Keep it empty on main.
ALLOWED_MISSING: set[tuple[str, str]] = set()

METHODS = {"get", "put", "post", "patch", "delete"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def app():
    from gridgov.app import create_app

    return create_app("sqlite:///:memory:", check_migrations=False)


@pytest.fixture(scope="module")
def spec(app) -> dict:
    return app.openapi()


def _operations(spec: dict, *, all_routes: bool = False):
    """(METHOD, path, operation), leaving out the allow-listed ones unless ``all_routes``."""
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if method in METHODS and (all_routes or (method.upper(), path) not in ALLOWED_MISSING):
                yield method.upper(), path, op


def _resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    return schema


def _schema_has_example(spec: dict, schema: dict | None) -> bool:
    if not schema:
        return False
    if "example" in schema or "examples" in schema:
        return True
    resolved = _resolve(spec, schema)
    if "example" in resolved or "examples" in resolved:
        return True
    # a list of a model with examples: Swagger UI builds the list from the item's example
    return resolved.get("type") == "array" and _schema_has_example(spec, resolved.get("items"))


def _media_has_example(spec: dict, media: dict) -> bool:
    return "example" in media or bool(media.get("examples")) or _schema_has_example(spec, media.get("schema"))


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


def test_every_json_body_and_2xx_response_has_an_example(spec):
    missing = []
    for method, path, op in _operations(spec):
        body = op.get("requestBody", {}).get("content", {})
        for media_type, media in body.items():
            if _is_json(media_type) and not _media_has_example(spec, media):
                missing.append(f"{method} {path}: request body {media_type}")
        for status, response in op.get("responses", {}).items():
            if not status.startswith("2"):
                continue
            for media_type, media in response.get("content", {}).items():
                if _is_json(media_type) and not _media_has_example(spec, media):
                    missing.append(f"{method} {path}: response {status} {media_type}")
    assert not missing, f"{len(missing)} without an example:\n" + "\n".join(missing)


def test_allow_list_holds_only_real_routes(spec):
    """An entry for a route that no longer exists (or was renamed) must go."""
    known = {(method, path) for method, path, _ in _operations(spec, all_routes=True)}
    assert ALLOWED_MISSING <= known, ALLOWED_MISSING - known


def _validator(spec: dict, schema: dict):
    """A JSON Schema 2020-12 validator of ``schema`` resolving ``#/components/...`` in ``spec``."""
    root = {**schema, "components": spec["components"]}
    try:
        import jsonschema
    except ImportError:
        jsonschema = None
    if jsonschema is not None:
        v = jsonschema.Draft202012Validator(root, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
        return lambda instance: [e.message for e in v.iter_errors(instance)]
    import jsonschema_rs  # installed with schemathesis

    v = jsonschema_rs.Draft202012Validator(root, validate_formats=True)
    return lambda instance: [e.message for e in v.iter_errors(instance)]


def _examples_of_media(media: dict) -> list:
    out = []
    if "example" in media:
        out.append(media["example"])
    out.extend(e["value"] for e in media.get("examples", {}).values() if "value" in e)
    return out


def test_every_example_validates_against_its_schema(spec):
    wrong = []
    checked = 0
    for name, schema in spec["components"]["schemas"].items():
        check = _validator(spec, {"$ref": f"#/components/schemas/{name}"})
        for i, example in enumerate(schema.get("examples", [])):
            checked += 1
            errors = check(example)
            if errors:
                wrong.append(f"schema {name} example {i}: {errors[:3]}")
        for field, field_schema in schema.get("properties", {}).items():
            check_field = _validator(spec, {k: v for k, v in field_schema.items() if k != "examples"})
            for example in field_schema.get("examples", []):
                checked += 1
                errors = check_field(example)
                if errors:
                    wrong.append(f"schema {name} field {field} example {example!r}: {errors[:3]}")
    for method, path, op in _operations(spec, all_routes=True):
        for parameter in op.get("parameters", []):
            check = _validator(spec, parameter.get("schema", {}))
            for example in list(parameter.get("examples", {}).values()) + [parameter.get("example")]:
                value = example.get("value") if isinstance(example, dict) and "value" in example else example
                if value is not None:
                    checked += 1
                    errors = check(value)
                    if errors:
                        wrong.append(f"{method} {path} parameter {parameter['name']}: {errors[:3]}")
        places = [("request body", op.get("requestBody", {}).get("content", {}))]
        places += [(f"response {s}", r.get("content", {})) for s, r in op.get("responses", {}).items()]
        for where, content in places:
            for media_type, media in content.items():
                if not _is_json(media_type):
                    continue
                schema = media.get("schema") or {}
                check = _validator(spec, schema)
                for example in _examples_of_media(media) + list(schema.get("examples", [])):
                    checked += 1
                    errors = check(example)
                    if errors:
                        wrong.append(f"{method} {path} {where}: {errors[:3]}")
    assert not wrong, f"{len(wrong)} examples do not match their schema:\n" + "\n".join(wrong)
    assert checked > 100, checked


def test_error_responses_use_the_error_shape(spec):
    """Documented 4xx responses with a body show the app's error shape {"error": {code, message}}
    (Open311 answers errors in its own format, a list of {code, description})."""
    wrong = []
    for method, path, op in _operations(spec):
        if path.startswith("/open311/"):
            continue
        for status, response in op.get("responses", {}).items():
            if not status.startswith("4"):
                continue
            media = response.get("content", {}).get("application/json")
            if media is None:
                continue
            examples = _examples_of_media(media)
            if not examples:
                wrong.append(f"{method} {path} {status}: no example")
            for example in examples:
                error = example.get("error") if isinstance(example, dict) else None
                if not (isinstance(error, dict) and error.get("code") and error.get("message")):
                    wrong.append(f"{method} {path} {status}: {json.dumps(example, ensure_ascii=False)[:80]}")
    assert not wrong, "\n".join(wrong)


def _needs_login(route) -> bool:
    from gridgov.access.deps import current_user

    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        if dependant.call is current_user:
            return True
        stack.extend(dependant.dependencies)
    return False


def test_operations_that_need_a_login_document_401(app, spec):
    from fastapi.routing import APIRoute, iter_route_contexts

    missing, checked = [], 0
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not (isinstance(route, APIRoute) and route.include_in_schema and _needs_login(route)):
            continue
        for method in context.methods:
            op = spec["paths"][context.path_format].get(method.lower())
            if op is None:
                continue
            checked += 1
            if "401" not in op["responses"] and (method, context.path_format) not in ALLOWED_MISSING:
                missing.append(f"{method} {context.path_format}")
    assert checked > 50, checked
    assert not missing, f"{len(missing)} without a 401 response:\n" + "\n".join(sorted(missing))


def test_file_downloads_declare_their_media_type(spec):
    wrong = []
    for method, path, op in _operations(spec):
        if not path.endswith(".xlsx"):
            continue
        ok = op["responses"].get("200", {})
        media = ok.get("content", {}).get(XLSX)
        if media is None or ok.get("description") in (None, "", "Successful Response"):
            wrong.append(f"{method} {path}: {ok}")
        if "application/json" in ok.get("content", {}):
            wrong.append(f"{method} {path}: also claims application/json")
    assert not wrong, "\n".join(wrong)


def test_multipart_uploads_describe_their_fields(spec):
    wrong = []
    for method, path, op in _operations(spec):
        media = op.get("requestBody", {}).get("content", {}).get("multipart/form-data")
        if media is None:
            continue
        schema = _resolve(spec, media["schema"])
        for name, field in schema.get("properties", {}).items():
            if not _resolve(spec, field).get("description") and not field.get("description"):
                wrong.append(f"{method} {path}: field {name}")
    assert not wrong, "\n".join(wrong)


def test_every_tag_in_use_is_declared_with_a_description(spec):
    declared = {t["name"]: t.get("description") for t in spec.get("tags", [])}
    used = {tag for ops in spec["paths"].values() for op in ops.values() for tag in op.get("tags", [])}
    assert used <= declared.keys(), f"tags without a description in app.py: {sorted(used - declared.keys())}"
    assert all(declared[t] for t in used)
