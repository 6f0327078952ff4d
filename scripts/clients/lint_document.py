"""Checks what OpenAPI validators accept but client generators get wrong, in an OpenAPI document.

- A list page (`Page_X`) must reference its item schema (`$ref` to `X`): an inlined copy becomes
  a second, differently named type in generated clients (`PageContactDataItem`, not `Contact`).
- An object schema with neither `properties` nor `additionalProperties` must say what its values
  are: openapi-typescript makes it an empty object (`Record<string, never>`), so nothing can be
  read from or put into it.

Usage: lint_document.py openapi.json; prints every finding and exits 1 when there is one.
"""

import json
import sys


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

    for finding in findings:
        print(f"  {finding}")
    if findings:
        print(f"{len(findings)} finding(s) in {path}")
        return 1
    print(f"document conventions: {len(schemas)} schemas, page items are $refs, no empty objects")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
