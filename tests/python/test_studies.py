"""tailsim.sweep, compare and analyze: the documents `tailsim sweep`,
`compare` and `analyze` write with --json, and what they say."""

import os
import tempfile
import unittest

import support
import tailsim


class SweepTest(unittest.TestCase):
    def test_sweep_is_the_command_lines_and_p99_rises_with_the_rate(self):
        model = tailsim.load(support.MM1)
        sweep = tailsim.sweep(model, {"workloads.requests.rate": ["40/s", "60/s", "80/s"]},
                              replications=3, seed=5, duration="1m", jobs=2)
        printed = support.cli_json("sweep", support.MM1, "--vary",
                                   "workloads.requests.rate=40/s,60/s,80/s", "--replications", "3",
                                   "--seed", "5", "--duration", "1m", "--jobs", "2", "--quiet",
                                   "--json", "-")
        self.assertEqual(sweep, printed)
        self.assertEqual(sweep["replications"], 3)
        self.assertEqual(len(sweep["points"]), 3)
        p99 = [p["paths"]["requests"]["p99"]["mean"] for p in sweep["points"]]
        self.assertLess(p99[0], p99[1])
        self.assertLess(p99[1], p99[2])
        # M/M/1's mean at 40/s: 10 ms / (1 - 0.4) = 16.7 ms.
        mean = sweep["points"][0]["paths"]["requests"]["mean"]
        self.assertLessEqual(abs(mean["mean"] - 1000 / 60), 2 * mean["half_width"] + 0.5, mean)

    def test_values_as_python_data_and_as_a_range(self):
        model = tailsim.load(support.MM1, set={"workloads.requests.rate": "150/s"})
        listed = tailsim.sweep(model, {"services.server.replicas": [2, 3]}, replications=2,
                               duration="20s")
        ranged = tailsim.sweep(model, {"services.server.replicas": "2..3:1"}, replications=2,
                               duration="20s")
        self.assertEqual(listed, ranged)
        self.assertEqual([p["values"] for p in listed["points"]],
                         [{"services.server.replicas": "2"}, {"services.server.replicas": "3"}])
        # Two varies: every combination, the first varying slowest.
        grid = tailsim.sweep(model, {"services.server.replicas": [2, 3], "load": [0.5, 1]},
                             replications=2, duration="10s")
        self.assertEqual([(p["values"]["services.server.replicas"], p["values"]["load"])
                          for p in grid["points"]],
                         [("2", "0.5x"), ("2", "1x"), ("3", "0.5x"), ("3", "1x")])

    def test_frame(self):
        sweep = tailsim.sweep(support.MM1, {"workloads.requests.rate": ["50/s", "70/s"]},
                              replications=2, duration="20s")
        self.assertTrue(sweep.csv.startswith("workloads.requests.rate"))
        try:
            import pandas  # noqa: F401
        except ImportError:
            self.skipTest("pandas is not installed")
        frame = sweep.frame()
        for column in ("path", "metric", "mean", "half_width", "n"):
            self.assertIn(column, frame.columns)
        p99 = frame[(frame.path == "requests") & (frame.metric == "p99_ms")]
        self.assertEqual(len(p99), 2)

    def test_a_point_with_errors_raises_model_error(self):
        with self.assertRaises(tailsim.ModelError) as caught:
            tailsim.sweep(support.MM1, {"services.server.replicas": [1, "lots"]},
                          replications=2, duration="10s")
        self.assertIn("lots", str(caught.exception))
        with self.assertRaises(ValueError):
            tailsim.sweep(support.MM1, {"services.server.replicas": "2..x"})


class CompareTest(unittest.TestCase):
    def test_more_replicas_is_better_and_the_command_line_agrees(self):
        a = tailsim.load(support.MM1)
        b = a.with_set({"services.server.replicas": 2})
        comparison = tailsim.compare(a, b, replications=4, seed=9, duration="1m", jobs=2)
        self.assertEqual(comparison["replications"], 4)
        self.assertEqual(comparison["paths"]["requests"]["p99"]["verdict"], "better")
        self.assertLess(comparison["paths"]["requests"]["p99"]["difference"]["mean"], 0)
        self.assertEqual(comparison["gate"], "pass")
        with tempfile.TemporaryDirectory() as folder:
            path_b = os.path.join(folder, "mm1-two.yaml")
            with open(path_b, "w", encoding="utf-8") as f:
                f.write(support.read(support.MM1).replace("replicas: 1", "replicas: 2"))
            printed = support.cli_json("compare", support.MM1, path_b, "--replications", "4",
                                       "--seed", "9", "--duration", "1m", "--jobs", "2",
                                       "--quiet", "--json", "-")
        self.assertEqual(comparison, printed)

    def test_needs_two_replications(self):
        with self.assertRaisesRegex(ValueError, "at least 2 replications"):
            tailsim.compare(support.MM1, support.MM1, replications=1)


class AnalyzeTest(unittest.TestCase):
    def test_mm1_analysis_is_queueing_theory_and_the_command_lines(self):
        analysis = tailsim.analyze(support.MM1)
        self.assertEqual(analysis, support.cli_json("analyze", support.MM1, "--json", "-"))
        self.assertAlmostEqual(analysis["services"]["server"]["utilization"], 0.8)
        self.assertAlmostEqual(analysis["paths"]["requests"]["mean_ms"], 50.0)
        self.assertAlmostEqual(analysis["paths"]["requests"]["max_rps"], 100.0)
        self.assertEqual(analysis["bottleneck"], "server")
        self.assertTrue(analysis["analytic_regime"])

    def test_load_factor(self):
        # 1.3 x 80/s = 104/s, past the server's 100/s.
        analysis = tailsim.analyze(support.MM1, load=1.3)
        self.assertAlmostEqual(analysis["services"]["server"]["arrival_rps"], 104.0)
        self.assertTrue(analysis["services"]["server"]["saturated"])
        self.assertEqual(analysis, support.cli_json("analyze", support.MM1, "--load", "1.3x",
                                                    "--json", "-"))
        self.assertIsNone(analysis["paths"]["requests"]["mean_ms"])  # infinite: null


if __name__ == "__main__":
    unittest.main()
