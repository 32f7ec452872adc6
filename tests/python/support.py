"""What the tests of the Python module share: where the examples and the
program are (CTest sets TAILSIM_SOURCE_DIR and TAILSIM_PROGRAM), and running
the program to compare the module's outputs with the command line's."""

import json
import os
import subprocess
import sys

SOURCE_DIR = os.environ.get(
    "TAILSIM_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
PROGRAM = os.environ.get("TAILSIM_PROGRAM", os.path.join(SOURCE_DIR, "build", "ci", "tailsim"))
MM1 = os.path.join(SOURCE_DIR, "examples", "mm1.yaml")
QUICKSTART = os.path.join(SOURCE_DIR, "examples", "quickstart.yaml")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def cli(*args, expect=0):
    """Runs `tailsim ARGS`; returns the completed process (stdout, stderr text)."""
    done = subprocess.run([PROGRAM, *args], capture_output=True, text=True, check=False)
    if done.returncode != expect:
        raise AssertionError(
            f"tailsim {' '.join(args)} exited {done.returncode}, not {expect}:\n{done.stderr}")
    return done


def cli_json(*args, expect=0):
    """`tailsim ARGS` whose stdout is a JSON document (`--json -`), parsed."""
    return json.loads(cli(*args, expect=expect).stdout)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()
