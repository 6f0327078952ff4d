"""Checks what OpenAPI validators accept but client generators get wrong, in an OpenAPI document.

- A list page (`Page_X`) must reference its item schema (`$ref` to `X`): an inlined copy becomes
  a second, differently named type in generated clients (`PageContactDataItem`, not `Contact`).
- An object schema with neither `properties` nor `additionalProperties` must say what its values
  are: openapi-typescript makes it an empty object (`Record<string, never>`), so nothing can be
  read from or put into it.
- Every operation's request body and every 2xx response with a body resolves to a schema with an
  example (`example`/`examples` on the schema, on the `$ref`'d component, or on an array's
  items), and every schema-level example is valid against its own schema (JSON Schema 2020-12,
  formats checked): examples are what integrators copy and what schemathesis sends first.
- Every string property of a schema a request body reaches has a `maxLength`, unless an `enum`
  or a `format` of fixed shape (uuid, date, date-time) already bounds it: the server refuses
  longer text with a 422, and a client should learn the limit from the document, not by trial.

Usage: lint_document.py openapi.json; prints every finding and exits 1 when there is one.
"""

import json
import sys

import jsonschema
import referencing
import referencing.jsonschema

BOUNDED_FORMATS = {"uuid", "date", "date-time"}


def walk(node, pointer):
    if isinstance(node, dict):
        yield node, pointer
        for key, value in node.items():
            yield from walk(value, f"{pointer}/{key.replace('~', '~0').replace('/', '~1')}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, f"{pointer}/{i}")


def is_object_type(schema):
    t = schema.get("type")
    return t == "object" or (isinstance(t, list) and "object" in t)


def has_example(schema, schemas, seen=()):
    if "example" in schema or schema.get("examples"):
        return True
    ref = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        name = ref.rsplit("/", 1)[1]
        return name not in seen and has_example(schemas.get(name, {}), schemas, seen + (name,))
    if "items" in schema:
        return has_example(schema["items"], schemas, seen)
    branches = [b for b in schema.get("oneOf", schema.get("anyOf", [])) if b.get("type") != "null"]
    return bool(branches) and all(has_example(b, schemas, seen) for b in branches)


def operations(doc):
    for path, item in doc.get("paths", {}).items():
        for method, op in item.items():
            if method in ("get", "put", "post", "delete", "patch", "head", "options"):
                yield path, method, op


def example_findings(doc, schemas):
    findings = []
    for path, method, op in operations(doc):
        bodies = [("request body", op.get("requestBody", {}).get("content", {}))]
        for status, response in op.get("responses", {}).items():
            if status.startswith("2"):
                bodies.append((f"{status} response", response.get("content", {})))
        for what, content in bodies:
            for media, entry in content.items():
                if not has_example(entry.get("schema", {}), schemas) and "example" not in entry and not entry.get("examples"):
                    findings.append(f"{method.upper()} {path}: the {what} ({media}) has no example")
    registry = referencing.Registry().with_resource(
        "urn:doc", referencing.jsonschema.DRAFT202012.create_resource(doc)
    )
    for name, schema in schemas.items():
        examples = ([schema["example"]] if "example" in schema else []) + schema.get("examples", [])
        validator = jsonschema.Draft202012Validator(
            {"$ref": f"urn:doc#/components/schemas/{name}"},
            registry=registry,
            format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
        )
        for example in examples:
            for error in validator.iter_errors(example):
                at = "/".join(str(p) for p in error.absolute_path)
                findings.append(f"#/components/schemas/{name}: example breaks its schema at /{at}: {error.message[:200]}")
    return findings


def request_schemas(doc, schemas):
    pending, seen = [], set()

    def refs(node):
        for n, _ in walk(node, ""):
            ref = n.get("$ref", "")
            if ref.startswith("#/components/schemas/"):
                pending.append(ref.rsplit("/", 1)[1])

    for _, _, op in operations(doc):
        refs(op.get("requestBody", {}))
    while pending:
        name = pending.pop()
        if name not in seen:
            seen.add(name)
            refs(schemas.get(name, {}))
    return seen


def max_length_findings(doc, schemas):
    findings = []
    for name in sorted(request_schemas(doc, schemas)):
        for prop, schema in schemas[name].get("properties", {}).items():
            t = schema.get("type")
            is_string = t == "string" or (isinstance(t, list) and "string" in t)
            bounded = "maxLength" in schema or "enum" in schema or schema.get("format") in BOUNDED_FORMATS
            if is_string and not bounded:
                findings.append(f"#/components/schemas/{name}/properties/{prop}: a request string without maxLength")
    return findings


def main(path):
    with open(path) as f:
        doc = json.load(f)
    schemas = doc.get("components", {}).get("schemas", {})
    findings = []

    for name, schema in schemas.items():
        if not name.startswith("Page_"):
            continue
        item = name[len("Page_"):]
        items = schema.get("properties", {}).get("data", {}).get("items", {})
        want = f"#/components/schemas/{item}"
        if items.get("$ref") != want:
            got = items.get("$ref") or "an inline schema"
            findings.append(f"#/components/schemas/{name}/properties/data/items: is {got}, not a $ref to {want}")

    for node, pointer in walk(doc, "#"):
        if pointer.startswith("#/components/securitySchemes") or "/examples/" in pointer:
            continue
        if is_object_type(node) and not any(
            k in node for k in ("properties", "additionalProperties", "patternProperties", "$ref", "allOf", "oneOf", "anyOf")
        ):
            findings.append(f"{pointer}: object schema without properties or additionalProperties")

    findings += example_findings(doc, schemas)
    findings += max_length_findings(doc, schemas)

    for finding in findings:
        print(f"  {finding}")
    if findings:
        print(f"{len(findings)} finding(s) in {path}")
        return 1
    print(
        f"document conventions: {len(schemas)} schemas, page items are $refs, no empty objects, "
        "every request and response has a valid example, request strings have maxLength"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
