#!/usr/bin/env python3
"""Checks every example of the OpenAPI document against its schema (JSON Schema 2020-12, which
OpenAPI 3.1 schemas are): the examples of request bodies and responses, and the `example` of every
component schema. Exits non-zero naming each example that does not validate.

    usage: python3 .ci/check_examples.py openapi/openapi.json
"""

import json
import sys

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

ROOT = "urn:duban:openapi"


def main(path: str) -> int:
    with open(path, encoding="utf-8") as file:
        document = json.load(file)
    # `$ref`s point into the document (`#/components/schemas/…`): resolve them against it.
    registry = Registry().with_resource(ROOT, Resource(contents=document, specification=DRAFT202012))

    failures: list[str] = []
    checked = 0

    def check(schema_pointer: str, value: object, where: str) -> None:
        nonlocal checked
        checked += 1
        validator = Draft202012Validator({"$ref": f"{ROOT}#{schema_pointer}"}, registry=registry)
        failures.extend(f"{where}: {error.json_path}: {error.message[:300]}" for error in validator.iter_errors(value))

    def escape(part: str) -> str:
        return part.replace("~", "~0").replace("/", "~1")

    for path_name, item in document["paths"].items():
        for method, operation in item.items():
            base = f"/paths/{escape(path_name)}/{method}"
            bodies = [("requestBody", operation.get("requestBody", {}))]
            bodies += [(f"responses/{status}", response) for status, response in operation.get("responses", {}).items()]
            for where, body in bodies:
                for media_type, content in body.get("content", {}).items():
                    if "schema" not in content:
                        continue
                    schema_pointer = f"{base}/{where}/content/{escape(media_type)}/schema"
                    label = f"{operation.get('operationId')} {where} {media_type}"
                    if "example" in content:
                        check(schema_pointer, content["example"], f"{label} example")
                    for name, example in content.get("examples", {}).items():
                        check(schema_pointer, example["value"], f"{label} examples.{name}")
    for name, schema in document["components"]["schemas"].items():
        if "example" in schema:
            check(f"/components/schemas/{escape(name)}", schema["example"], f"schema {name} example")
    for failure in failures:
        print(failure)
    print(f"examples: {checked} checked, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "openapi/openapi.json"))
