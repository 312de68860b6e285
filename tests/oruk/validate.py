#!/usr/bin/env python3
"""Validates ORUK response bodies against the profile's JSON schemas.

    python3 tests/oruk/validate.py <dir>

Each file in <dir> is named `<schema>__<anything>.json` and is checked against
tests/fixtures/oruk/<schema>.json, as the ORUK validator does. Needs `jsonschema`
(pip install jsonschema). Exit 0 when every body is valid; 1 with the errors otherwise.
"""
import json
import pathlib
import sys

import jsonschema

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "tests" / "fixtures" / "oruk"


def main(directory):
    failures = 0
    checked = 0
    for body_path in sorted(pathlib.Path(directory).glob("*.json")):
        schema_name = body_path.name.split("__")[0]
        schema = json.loads((SCHEMAS / f"{schema_name}.json").read_text())
        body = json.loads(body_path.read_text())
        validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
        errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
        checked += 1
        for e in errors[:10]:
            failures += 1
            path = "/".join(str(p) for p in e.absolute_path)
            print(f"{body_path.name}: {path}: {e.message[:300]}")
    print(f"{checked} bodies checked, {failures} schema errors")
    return 1 if failures or not checked else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
