#!/usr/bin/python3
"""Prints the comparison table of run.sh from the two JSON results; fails if the validators disagree."""
import json
import sys

reference = json.loads(sys.argv[1])
sluice = json.loads(sys.argv[2])

if reference["validity"] != sluice["validity"]:
    disagreements = [index for index, (a, b) in enumerate(zip(reference["validity"], sluice["validity"])) if a != b]
    sys.exit(f"validators disagree on documents {disagreements}")

documents = len(sluice["validity"])
valid = sum(sluice["validity"])
print(f"documents: {documents} ({valid} valid, {documents - valid} invalid); both validators agree on every one")
print()
rows = [
    ("is valid (stop at first error)", "isValidPerSecond"),
    ("all errors collected", "allErrorsPerSecond"),
    ("parse JSON text + is valid", "parseAndValidatePerSecond"),
]
print(f"| {'mode':<32} | {'python-jsonschema /s':>20} | {'Sluice.JsonSchema /s':>20} | {'ratio':>7} |")
print(f"|{'-' * 34}|{'-' * 22}|{'-' * 22}|{'-' * 9}|")
for label, key in rows:
    ratio = sluice[key] / reference[key]
    print(f"| {label:<32} | {reference[key]:>20,.0f} | {sluice[key]:>20,.0f} | {ratio:>6.1f}x |")
