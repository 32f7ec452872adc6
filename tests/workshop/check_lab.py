#!/usr/bin/env python3
"""Runs a workshop lab's commands and checks the numbers its text states.

Usage: check_lab.py TAILSIM SOURCE_DIR LAB.md

The lab format (docs/workshop/README.md, "How the labs stay true"):

- Commands: in a fenced ```sh block, a line that starts with `tailsim ` starts
  a command; a line ending in a backslash continues it. The commands run in
  order, with bash, in one fresh temporary folder that holds links to the
  source tree's `examples` and `docs`, with TAILSIM's folder first on PATH.
  Each must exit 0, unless its last line ends in a comment `# exit N` (a run
  whose SLO fails exits 1). Command k's standard output is kept as
  `console-k.txt` in that folder.
- Checks: an HTML comment `<!-- check: EXPR ± TOL -->` right after a number
  in the text says that EXPR, evaluated over the runs' outputs, is that
  number within TOL. `<!-- check: EXPR in [LO, HI] -->` checks a range and
  needs no number before it. `<!-- check: FILE contains TEXT -->` checks
  that a file the commands wrote holds TEXT (a chart's title in report.html,
  a line of the console), with any run of spaces matching any other, and
  `<!-- check: FILE lacks TEXT -->` that it does not. EXPR is arithmetic
  (+ - * / and parentheses) over numbers and references to outputs,
  separated by spaces; a reference is one token:
    out/a/results.json:paths.search.latency_ms.p50   a key of a JSON file
        (dotted; a list element by index, `history.9`, or by the value of
        its `name` field)
    out/a/timeseries.csv:time_s=60,entity=cache/products,metric=hit_ratio
        the `value` of the one row of a CSV file with those fields
    console-3.txt:/regex/   the first number of the first match's group 1
        (the regex may not contain spaces: write \\s)

A lab named NN-*.md must have the parts of LAB_SECTIONS, in that order.

Every check is evaluated even after one fails, so a failing lab lists all its
wrong numbers. Exit 0 when every command exited as stated and every check
held, 1 otherwise.
"""

import csv
import json
import os
import re
import subprocess
import sys
import tempfile

NUMBER = r"[-+]?\d[\d,]*(?:\.\d+)?"
# The number a check comment follows: digits, then at most a short unit
# ("ms", "%", "/s", "x") and spaces.
STATED = re.compile(r"(" + NUMBER + r")\s?[A-Za-z%/×]{0,10}\s*$")
CHECK = re.compile(r"<!--\s*check:\s*(.*?)\s*-->", re.S)
TOLERANCE = re.compile(r"^(.*?)\s*±\s*(" + NUMBER + r")$", re.S)
CONTAINS = re.compile(r"^(\S+)\s+(contains|lacks)\s+(.+)$", re.S)
RANGE = re.compile(r"^(.*?)\s+in\s+\[\s*(" + NUMBER + r")\s*,\s*(" + NUMBER + r")\s*\]$", re.S)
# A fence may open a list item: "2. ```sh".
LIST_ITEM = re.compile(r"^(?:\d+\.|[-*])\s+(?=```)")
EXIT = re.compile(r"#\s*exit\s+(\d+)\b")
# A lab's command takes a second or two; one that runs for minutes hangs, and is
# stopped so that the lab fails with its line number instead of at CTest's timeout.
COMMAND_TIMEOUT_S = 300


def to_number(text):
    return float(text.replace(",", ""))


def commands_of(markdown):
    """The lab's commands, each as (line number, text, expected exit code). A tailsim
    command in a fenced block of another language would silently go unchecked: it is
    refused (SyntaxError)."""
    commands = []
    fence = None  # the language of the fenced block the line is in, "" for none given
    current = None
    for number, line in enumerate(markdown.splitlines(), start=1):
        stripped = LIST_ITEM.sub("", line.strip())
        if stripped.startswith("```"):
            if current is not None:
                raise SyntaxError(f"line {current[0]}: the command's last line ends in a backslash")
            fence = stripped[3:].strip() if fence is None else None
            continue
        if fence != "sh":
            if fence is not None and stripped.startswith("tailsim "):
                raise SyntaxError(f"line {number}: a tailsim command in a ```{fence} block"
                                  " is not run; write it in a ```sh block")
            continue
        if current is None and stripped.startswith("tailsim "):
            current = [number, ""]
        if current is None:
            continue
        code = line.split(" #", 1)[0].rstrip() if " #" in line else line.rstrip()
        exit_match = EXIT.search(line)
        if code.endswith("\\"):
            current[1] += code[:-1].strip() + " "
            continue
        current[1] += code.strip()
        expected = int(exit_match.group(1)) if exit_match else 0
        commands.append((current[0], current[1].strip(), expected))
        current = None
    return commands


def json_value(data, keys, ref):
    for key in keys:
        if isinstance(data, list):
            if key.isdigit():
                if int(key) >= len(data):
                    raise KeyError(f"{ref}: no element {key}, the list has {len(data)}")
                data = data[int(key)]
                continue
            named = [e for e in data if isinstance(e, dict) and e.get("name") == key]
            if len(named) != 1:
                raise KeyError(f"{ref}: no single element named '{key}'")
            data = named[0]
        elif isinstance(data, dict) and key in data:
            data = data[key]
        else:
            raise KeyError(f"{ref}: no key '{key}'")
    if isinstance(data, bool) or not isinstance(data, (int, float)):
        raise ValueError(f"{ref}: not a number: {data!r}")
    return float(data)


def reference_value(ref, work):
    file_name, _, selector = ref.partition(":")
    path = os.path.join(work, file_name)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{ref}: no file {file_name} (did a command write it?)")
    if file_name.endswith(".json"):
        with open(path, encoding="utf-8") as f:
            return json_value(json.load(f), selector.split("."), ref)
    if file_name.endswith(".csv"):
        wanted = dict(field.split("=", 1) for field in selector.split(","))
        with open(path, encoding="utf-8", newline="") as f:
            rows = [r for r in csv.DictReader(f)
                    if all(r.get(k) == v or _same_number(r.get(k), v) for k, v in wanted.items())]
        if len(rows) != 1:
            raise KeyError(f"{ref}: {len(rows)} rows match, not one")
        return float(rows[0]["value"])
    if selector.startswith("/") and selector.endswith("/"):
        with open(path, encoding="utf-8") as f:
            match = re.search(selector[1:-1], f.read())
        if not match:
            raise KeyError(f"{ref}: no match")
        number = re.search(NUMBER, match.group(1))
        if not number:
            raise ValueError(f"{ref}: no number in '{match.group(1)}'")
        return to_number(number.group(0))
    raise ValueError(f"{ref}: cannot read this kind of file")


def _same_number(field, wanted):
    try:
        return field is not None and float(field) == float(wanted)
    except ValueError:
        return False


def evaluate(expression, work):
    """EXPR with each reference replaced by its value, then the arithmetic."""
    parts = []
    for token in expression.split():
        if ":" in token:
            parts.append(repr(reference_value(token, work)))
        elif re.fullmatch(r"[\d.eE+\-*/()]+", token):
            parts.append(token)
        else:
            raise ValueError(f"'{token}' is neither a number, an operator nor a FILE:KEY reference")
    return float(eval(" ".join(parts), {"__builtins__": {}}, {}))  # only numbers and operators


def file_contains(name, line, work, file_name, wanted, text):
    """Whether FILE holds TEXT (runs of white space alike) as WANTED; prints the verdict."""
    path = os.path.join(work, file_name)
    try:
        with open(path, encoding="utf-8") as f:
            content = " ".join(f.read().split())
    except OSError as e:
        print(f"FAILED: {name}:{line}: {e}")
        return False
    found = " ".join(text.split()) in content
    verb = "contains" if wanted else "lacks"
    print(f"{'ok' if found == wanted else 'FAILED'}: {name}:{line}: {file_name} {verb} '{text}'")
    return found == wanted


def checks_of(markdown):
    """Each check as (line number, stated number or None, expression, low, high); a check
    that a file contains a text has the text in place of the bounds."""
    checks = []
    for match in CHECK.finditer(markdown):
        line = markdown.count("\n", 0, match.start()) + 1
        body = match.group(1)
        contained = CONTAINS.match(body)
        if contained:
            checks.append((line, None, contained.group(1),
                           (contained.group(2) == "contains", contained.group(3)), None))
            continue
        ranged = RANGE.match(body)
        if ranged:
            checks.append((line, None, ranged.group(1), to_number(ranged.group(2)),
                           to_number(ranged.group(3))))
            continue
        toleranced = TOLERANCE.match(body)
        if not toleranced:
            raise SyntaxError(f"line {line}: a check is `EXPR ± TOL`, `EXPR in [LO, HI]`,"
                              f" `FILE contains TEXT` or `FILE lacks TEXT`: {body}")
        before = markdown[:match.start()]
        stated = STATED.search(before[-40:])
        if not stated:
            raise SyntaxError(f"line {line}: `± TOL` checks the number right before it;"
                              " there is none")
        value = to_number(stated.group(1))
        tolerance = to_number(toleranced.group(2))
        checks.append((line, value, toleranced.group(1), value - tolerance, value + tolerance))
    return checks


# The parts every lab of docs/workshop/ has (README.md there), in this order.
LAB_SECTIONS = ["## The question", "## The model", "## The commands",
                "## What to look at in report.html", "## Exercises", "<details>",
                "## What changed your mind"]


def missing_sections(markdown):
    """The parts of a lab that are missing or out of order."""
    missing = []
    position = 0
    for section in LAB_SECTIONS:
        found = markdown.find("\n" + section, position)
        if found < 0:
            missing.append(section)
        else:
            position = found
    return missing


def main():
    if len(sys.argv) != 4:
        print(__doc__.splitlines()[2])
        return 2
    tailsim, source_dir, lab = (os.path.realpath(a) for a in sys.argv[1:])
    with open(lab, encoding="utf-8") as f:
        markdown = f.read()
    name = os.path.basename(lab)
    try:
        commands = commands_of(markdown)
        checks = checks_of(markdown)
    except SyntaxError as e:
        print(f"FAILED: {name}: {e}")
        return 1
    if not commands:
        print(f"{name}: no tailsim command in a ```sh block")
        return 1
    failures = 0
    if re.match(r"\d\d-", name):
        for section in missing_sections(markdown):
            failures += 1
            print(f"FAILED: {name}: no '{section}' (or not in its place)")
    with tempfile.TemporaryDirectory(prefix="workshop-") as work:
        for link in ("examples", "docs"):
            os.symlink(os.path.join(source_dir, link), os.path.join(work, link))
        env = dict(os.environ, PATH=os.path.dirname(tailsim) + os.pathsep + os.environ["PATH"])
        for k, (line, command, expected) in enumerate(commands, start=1):
            print(f"$ {command}")
            with open(os.path.join(work, f"console-{k}.txt"), "w", encoding="utf-8") as out:
                try:
                    run = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=work,
                                         env=env, stdout=out, stderr=subprocess.PIPE, text=True,
                                         timeout=COMMAND_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    failures += 1
                    print(f"FAILED: {name}:{line}: still running after {COMMAND_TIMEOUT_S} s")
                    continue
            if run.returncode != expected:
                failures += 1
                print(f"FAILED: {name}:{line}: exit {run.returncode}, the lab says {expected}")
                with open(os.path.join(work, f"console-{k}.txt"), encoding="utf-8") as out:
                    sys.stdout.write(out.read()[-2000:])
                sys.stdout.write(run.stderr[-2000:])
        for line, stated, expression, low, high in checks:
            if high is None:
                failures += not file_contains(name, line, work, expression, *low)
                continue
            try:
                value = evaluate(expression, work)
            except (OSError, KeyError, ValueError, SyntaxError, ZeroDivisionError) as e:
                failures += 1
                print(f"FAILED: {name}:{line}: {e.args[0] if isinstance(e, KeyError) else e}")
                continue
            said = f"stated {stated:g}, " if stated is not None else ""
            # A value exactly on a bound of the rounding (54.45 for "54.4 ± 0.05")
            # is in, whatever the last bit of its binary fraction.
            slack = 1e-9 * max(abs(low), abs(high), 1.0)
            verdict = "ok" if low - slack <= value <= high + slack else "FAILED"
            if verdict != "ok":
                failures += 1
            print(f"{verdict}: {name}:{line}: {expression} = {value:.6g}"
                  f" ({said}allowed {low:g} to {high:g})")
    print(f"{name}: {len(commands)} commands, {len(checks)} checks, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
