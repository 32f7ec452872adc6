"""tailsim.load: from a path and from text, `set` overrides, the errors of a
bad model (ModelError at the command line's line and column), validate."""

import os
import pathlib
import tempfile
import unittest

import support
import tailsim


class LoadTest(unittest.TestCase):
    def test_from_path_str_and_pathlike(self):
        model = tailsim.load(support.MM1)
        self.assertEqual(model.name, "mm1")
        self.assertEqual(model.source, support.MM1)
        same = tailsim.load(pathlib.Path(support.MM1))
        self.assertEqual(same.name, "mm1")

    def test_from_text_runs_as_the_file_does(self):
        text = support.read(support.MM1)
        from_text = tailsim.load(text)
        self.assertIsNone(from_text.source)
        from_file = tailsim.load(support.MM1)
        a = from_text.run(seed=4, duration="30s", attribution=False)
        b = from_file.run(seed=4, duration="30s", attribution=False)
        self.assertGreater(a["paths"]["requests"]["requests"], 1000)
        self.assertEqual(a, b)

    def test_missing_yaml_file_is_not_taken_for_text(self):
        with self.assertRaises(FileNotFoundError):
            tailsim.load("examples/no-such-model.yaml")
        with self.assertRaises(FileNotFoundError):
            tailsim.load(pathlib.Path("no-such-model.yaml"))

    def test_set_overrides_as_python_data_and_yaml_text(self):
        # Two servers at 50/s of 10 ms work: each is 25% busy.
        model = tailsim.load(support.MM1, set={"services.server.replicas": 2,
                                               "workloads.requests.rate": "50/s"})
        analysis = model.analyze()
        self.assertAlmostEqual(analysis["services"]["server"]["utilization"], 0.25)
        self.assertAlmostEqual(analysis["paths"]["requests"]["rate_rps"], 50.0)
        # The command line's form, a list of PATH=VALUE.
        listed = tailsim.load(support.MM1, set=["workloads.requests.rate=50/s"])
        self.assertAlmostEqual(listed.analyze()["services"]["server"]["utilization"], 0.5)
        # with_set adds to the model's own overrides.
        both = listed.with_set({"services.server.replicas": 5})
        self.assertAlmostEqual(both.analyze()["services"]["server"]["utilization"], 0.1)
        self.assertEqual(both.overrides,
                         ["workloads.requests.rate=50/s", "services.server.replicas=5"])

    def test_set_values_as_lists_and_booleans(self):
        model = tailsim.load(support.MM1, set={"slos.requests": ["p99 < 1s", "errors < 1%"]})
        results = model.run(seed=1, duration="10s", attribution=False)
        checks = [s["check"] for s in results["slos"]]
        self.assertEqual(checks, ["p99 < 1s", "errors < 1%"])

    def test_bad_set_raises_model_error_naming_it(self):
        with self.assertRaises(tailsim.ModelError) as caught:
            tailsim.load(support.MM1, set={"services.server.replicas": "lots"})
        self.assertIn("--set services.server.replicas", str(caught.exception))
        self.assertIsInstance(caught.exception, ValueError)

    def test_bad_model_error_has_the_command_lines_place_and_text(self):
        lines = support.read(support.MM1).splitlines(keepends=True)
        row = next(i for i, line in enumerate(lines) if "replicas: 1" in line)
        lines[row] = lines[row].replace("replicas: 1", "replicas: lots")
        column = lines[row].index("lots") + 1
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "bad.yaml")
            with open(path, "w", encoding="utf-8") as f:
                f.write("".join(lines))
            with self.assertRaises(tailsim.ModelError) as caught:
                tailsim.load(path)
            error = caught.exception
            self.assertEqual(error.file, path)
            self.assertEqual((error.line, error.column), (row + 1, column))
            self.assertTrue(str(error).startswith(f"{path}:{row + 1}:{column}: error: "))
            # The same text `tailsim validate` prints, line for line.
            printed = support.cli("validate", path, expect=2).stderr.splitlines()
            for line in str(error).splitlines():
                self.assertIn(line, printed)
            self.assertEqual(error.diagnostics[0]["line"], row + 1)
            self.assertEqual(error.diagnostics[0]["severity"], "error")
        # The same model as text: named <string>, or as asked.
        with self.assertRaises(tailsim.ModelError) as caught:
            tailsim.load("".join(lines), name="draft.yaml")
        self.assertEqual(caught.exception.file, "draft.yaml")
        self.assertEqual((caught.exception.line, caught.exception.column), (row + 1, column))

    def test_not_yaml_at_all(self):
        with self.assertRaises(tailsim.ModelError) as caught:
            tailsim.load("version: 1\nname: [unclosed\n")
        self.assertEqual(caught.exception.file, "<string>")
        self.assertIsNotNone(caught.exception.line)

    def test_validate_returns_warnings_and_the_predicted_saturation(self):
        self.assertEqual(tailsim.load(support.MM1).validate(), [])
        saturated = tailsim.load(support.MM1, set={"workloads.requests.rate": "150/s"})
        warnings = saturated.validate()
        self.assertTrue(any("service 'server' is predicted to saturate" in w for w in warnings),
                        warnings)

    def test_graph(self):
        model = tailsim.load(support.QUICKSTART)
        self.assertIn("digraph", model.graph())
        self.assertEqual(model.graph("json"), support.cli_json("graph", support.QUICKSTART,
                                                                "--format", "json"))
        with self.assertRaises(ValueError):
            model.graph("svg")


if __name__ == "__main__":
    unittest.main()
