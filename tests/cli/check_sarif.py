#!/usr/bin/env python3
"""Checks a SARIF log against the required structure of SARIF 2.1.0 (the
parts GitHub code scanning reads) and that it reports the expected rules.

    check_sarif.py FILE [--errors N] RULE...
        exit 0 when valid, every RULE is a result's ruleId and, with
        --errors, exactly N results have level "error"; messages on stderr
"""
import json
import sys

LEVELS = {"none", "note", "warning", "error"}


def fail(message):
    print(f"check_sarif: {message}", file=sys.stderr)
    sys.exit(1)


def check_location(loc, where, related=False):
    if related and not isinstance(loc.get("id"), int):
        fail(f"{where}: related location without an integer id")
    if related and not isinstance(loc.get("message", {}).get("text"), str):
        fail(f"{where}: related location without message.text")
    phys = loc.get("physicalLocation")
    if not isinstance(phys, dict):
        fail(f"{where}: no physicalLocation")
    uri = phys.get("artifactLocation", {}).get("uri")
    if not isinstance(uri, str) or not uri or uri.startswith("/"):
        fail(f"{where}: artifactLocation.uri must be a relative URI")
    region = phys.get("region", {})
    for key in ("startLine", "startColumn", "endLine", "endColumn"):
        if not isinstance(region.get(key), int) or region[key] < 1:
            fail(f"{where}: region.{key} must be a positive integer")
    if (region["endLine"], region["endColumn"]) < (region["startLine"],
                                                    region["startColumn"]):
        fail(f"{where}: region ends before it starts")


def check_result(result, index, rules):
    where = f"results[{index}]"
    rule = result.get("ruleId")
    if not isinstance(rule, str) or not rule:
        fail(f"{where}: no ruleId")
    if "ruleIndex" in result and rules[result["ruleIndex"]]["id"] != rule:
        fail(f"{where}: ruleIndex does not point at rule '{rule}'")
    if result.get("level") not in LEVELS:
        fail(f"{where}: level {result.get('level')!r} is not a SARIF level")
    if not isinstance(result.get("message", {}).get("text"), str):
        fail(f"{where}: no message.text")
    for k, loc in enumerate(result.get("locations", [])):
        check_location(loc, f"{where}.locations[{k}]")
    for k, loc in enumerate(result.get("relatedLocations", [])):
        check_location(loc, f"{where}.relatedLocations[{k}]", related=True)
    return rule


def parse_args(args):
    """FILE, the expected error count (None: any) and the rules."""
    if not args:
        fail("usage: check_sarif.py FILE [--errors N] RULE...")
    path, rest = args[0], args[1:]
    errors = None
    if rest[:1] == ["--errors"]:
        if len(rest) < 2 or not rest[1].isdigit():
            fail("--errors needs a count")
        errors, rest = int(rest[1]), rest[2:]
    return path, errors, rest


def main():
    path, errors, wanted = parse_args(sys.argv[1:])
    try:
        with open(path, encoding="utf-8") as handle:
            log = json.load(handle)
    except ValueError as exc:
        fail(f"not JSON: {exc}")
    if log.get("version") != "2.1.0":
        fail("version is not 2.1.0")
    if "sarif" not in str(log.get("$schema", "")):
        fail("no SARIF $schema")
    runs = log.get("runs")
    if not isinstance(runs, list) or len(runs) != 1:
        fail("expected exactly one run")
    driver = runs[0].get("tool", {}).get("driver", {})
    if driver.get("name") != "kaplac" or not driver.get("version"):
        fail("tool.driver needs name 'kaplac' and a version")
    rules = driver.get("rules")
    if not isinstance(rules, list) or not rules:
        fail("tool.driver.rules is empty")
    for rule in rules:
        if not rule.get("id") or not rule.get("shortDescription", {}).get(
                "text"):
            fail(f"rule {rule!r} lacks an id or shortDescription.text")
    results = runs[0].get("results", [])
    seen = {check_result(r, i, rules) for i, r in enumerate(results)}
    missing = [r for r in wanted if r not in seen]
    if missing:
        fail(f"no result for rule(s) {', '.join(missing)}")
    found = sum(1 for r in results if r.get("level") == "error")
    if errors is not None and found != errors:
        fail(f"{found} results of level error, expected {errors}")


if __name__ == "__main__":
    main()
