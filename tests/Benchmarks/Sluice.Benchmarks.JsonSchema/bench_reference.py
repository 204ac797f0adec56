#!/usr/bin/python3
"""Reference measurement: Debian's python3-jsonschema Draft4Validator on the benchmark data.

Same schema, documents and modes as the C# benchmark. Prints one JSON object for report.py.
Usage: /usr/bin/python3 bench_reference.py <data directory> [seconds per mode]
"""
import json
import sys
import time
from pathlib import Path

from jsonschema import Draft4Validator

data = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).with_name("data"))
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 5.0

schema = json.loads((data / "order-schema.json").read_text())
documents = json.loads((data / "order-documents.json").read_text())
texts = [json.dumps(document) for document in documents]
Draft4Validator.check_schema(schema)
validator = Draft4Validator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)


def run_for(duration, validate):
    validations = 0
    start = time.perf_counter()
    while time.perf_counter() - start < duration:
        for index in range(len(documents)):
            validate(index)
        validations += len(documents)
    return validations, time.perf_counter() - start


def measure(validate):
    run_for(min(1.0, seconds / 4), validate)
    validations, elapsed = run_for(seconds, validate)
    return validations / elapsed


results = {
    "validity": [validator.is_valid(document) for document in documents],
    "isValidPerSecond": measure(lambda index: validator.is_valid(documents[index])),
    "allErrorsPerSecond": measure(lambda index: not list(validator.iter_errors(documents[index]))),
    "parseAndValidatePerSecond": measure(lambda index: validator.is_valid(json.loads(texts[index]))),
}
print(json.dumps(results))
