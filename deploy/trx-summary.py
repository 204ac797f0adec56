#!/usr/bin/python3
"""Sums the VSTest TRX files of one test run and prints the suite's closing line.

Usage: trx-summary.py RESULTS_DIR [--dotnet-exit-code N]

Prints any reason for failure first, then exactly one final line "N passed, N failed, N skipped".
Exits 1 when a test failed, when `dotnet test` failed (e.g. a build error or a crashed test host),
or when no test ran at all; 0 otherwise.
"""

import argparse
import glob
import os
import sys
import xml.etree.ElementTree as ElementTree

# Counter attributes of <ResultSummary><Counters .../> that mean a test did not pass.
FAILURE_COUNTERS = ("failed", "error", "timeout", "aborted")


def read_summary(trx_path):
    """(outcome of the run, counters) from <ResultSummary outcome=".."><Counters .../>."""
    for element in ElementTree.parse(trx_path).iter():
        # TRX elements are namespaced; match on the local name only.
        if element.tag.rsplit("}", 1)[-1] == "ResultSummary":
            for child in element:
                if child.tag.rsplit("}", 1)[-1] == "Counters":
                    counters = {name: int(value) for name, value in child.attrib.items() if value.isdigit()}
                    return element.get("outcome", ""), counters
    raise ValueError(f"no <ResultSummary><Counters> in {trx_path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results_dir")
    parser.add_argument("--dotnet-exit-code", type=int, default=0)
    args = parser.parse_args()

    passed = failed = skipped = executed = 0
    problems = []
    trx_files = sorted(glob.glob(os.path.join(args.results_dir, "**", "*.trx"), recursive=True))
    for trx_path in trx_files:
        try:
            outcome, counters = read_summary(trx_path)
        except (ElementTree.ParseError, ValueError, OSError) as error:
            problems.append(f"unreadable TRX {trx_path}: {error}")
            continue
        file_failed = sum(counters.get(name, 0) for name in FAILURE_COUNTERS)
        if outcome != "Completed" and file_failed == 0:
            # A crashed or killed (hung) test host fails the run without failing a test.
            problems.append(f"test run {outcome or 'without outcome'} in {os.path.basename(trx_path)}")
        file_passed = counters.get("passed", 0) + counters.get("passedButRunAborted", 0)
        passed += file_passed
        failed += file_failed
        executed += counters.get("executed", 0)
        # Skipped tests are counted in total but not executed.
        skipped += max(counters.get("total", 0) - file_passed - file_failed, 0)

    if not trx_files:
        problems.append(f"no TRX file in {args.results_dir}")
    elif executed == 0:
        problems.append("no test was executed")
    if args.dotnet_exit_code != 0:
        problems.append(f"dotnet test exited with code {args.dotnet_exit_code}")
    if failed:
        problems.append(f"{failed} test(s) failed")

    for problem in problems:
        print(f"test summary: {problem}")
    print(f"{passed} passed, {failed} failed, {skipped} skipped", flush=True)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
