"""Model.run: results.json's content as `tailsim run` writes it, the same for
the same seed, M/M/1 theory within the confidence interval, the time series
as a DataFrame, the GIL released while simulating."""

import json
import math
import signal
import subprocess
import sys
import threading
import time
import unittest
from unittest import mock

import support
import tailsim


class RunTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.mm1 = tailsim.load(support.MM1)

    def test_results_are_the_command_lines_results_json(self):
        results = self.mm1.run(seed=11, duration="1m")
        printed = support.cli("run", support.MM1, "--seed", "11", "--duration", "1m", "--quiet",
                              "--json", "-").stdout
        self.assertEqual(results, json.loads(printed))
        self.assertIn("attribution", results["paths"]["requests"])
        self.assertEqual(results["seed"], 11)

    def test_replicated_results_are_the_command_lines(self):
        results = self.mm1.run(seed=3, duration="30s", replications=4, jobs=2)
        printed = support.cli_json("run", support.MM1, "--seed", "3", "--duration", "30s",
                                   "--replications", "4", "--jobs", "2", "--quiet", "--json", "-")
        self.assertEqual(results, printed)
        self.assertEqual(results["replications"]["n"], 4)
        # A seed list names the replications' seeds, as --seed 5..7 does.
        listed = self.mm1.run(seed="5..7", duration="10s", attribution=False)
        self.assertEqual(listed["replications"]["seeds"], [5, 6, 7])

    def test_same_seed_same_results_other_seed_other_results(self):
        a = self.mm1.run(seed=21, duration="1m")
        b = self.mm1.run(seed=21, duration="1m")
        c = self.mm1.run(seed=22, duration="1m")
        self.assertEqual(a, b)
        self.assertNotEqual(a["paths"]["requests"]["latency_ms"],
                            c["paths"]["requests"]["latency_ms"])

    def test_duration_in_seconds_and_the_models_own(self):
        self.assertEqual(self.mm1.run(seed=2, duration=45, attribution=False),
                         self.mm1.run(seed=2, duration="45s", attribution=False))
        self.assertEqual(self.mm1.run(seed=2, duration=45, attribution=False)["duration_s"], 45)
        self.assertEqual(self.mm1.run(attribution=False)["duration_s"], 300)  # mm1.yaml's 5m

    def test_an_interval_longer_than_the_duration_is_warned_of(self):
        # As `tailsim run --duration 500ms`: the load warned against the
        # model's own 5m, and this run's duration is another.
        short = self.mm1.run(seed=1, duration="500ms", attribution=False)
        self.assertIn("the time-series interval (1s) is longer than the simulated duration "
                      "(duration=500ms)", short.warnings)
        longer = self.mm1.run(seed=1, duration="2s", attribution=False)
        self.assertFalse(any("time-series interval" in w for w in longer.warnings),
                         longer.warnings)

    def test_attribution_off_leaves_it_out(self):
        results = self.mm1.run(seed=1, duration="30s", attribution=False)
        self.assertNotIn("attribution", results["paths"]["requests"])

    def test_mm1_mean_and_p99_match_theory(self):
        # M/M/1, service 10 ms, 80/s: rho = 0.8, mean sojourn S / (1 - rho) =
        # 50 ms, and the sojourn time is exponential with rate mu - lambda =
        # 20/s, so p99 = ln(100) / 20 s = 230.3 ms. Ten replications of 5
        # minutes; the theory must lie within twice the 95% half-width.
        plain = self.mm1.run(seed=1, duration="10s", attribution=False)
        self.assertEqual(plain["paths"]["requests"]["analytic_mean_ms"], 50.0)
        results = self.mm1.run(seed=1, replications=10, jobs=2, attribution=False)
        latency = results["replications"]["paths"]["requests"]["latency_ms"]
        mean, p99 = latency["mean"], latency["p99"]
        self.assertEqual(mean["n"], 10)
        self.assertLess(mean["half_width"], 5.0)  # the interval says something
        self.assertLessEqual(abs(mean["mean"] - 50.0), 2 * mean["half_width"], mean)
        self.assertLessEqual(abs(p99["mean"] - 1000 * math.log(100) / 20), 2 * p99["half_width"],
                             p99)

    def test_timeseries_frame(self):
        results = self.mm1.run(seed=1, duration="30s", attribution=False)
        self.assertTrue(results.timeseries_csv.startswith("time_s,entity,metric,value\n"))
        try:
            import pandas  # noqa: F401
        except ImportError:
            self.skipTest("pandas is not installed")
        frame = tailsim.timeseries_frame(results)
        self.assertEqual(list(frame.columns), ["time_s", "entity", "metric", "value"])
        arrivals = frame[(frame.entity == "path/requests") & (frame.metric == "arrivals")]
        # One row a second over the measured 30 s, about 80 arrivals each.
        self.assertGreaterEqual(len(arrivals), 30)
        self.assertAlmostEqual(arrivals.value.mean(), 80, delta=8)
        self.assertTrue(frame.equals(results.timeseries()))

    def test_without_pandas_the_error_says_so(self):
        results = self.mm1.run(seed=1, duration="10s", attribution=False)
        with mock.patch.dict(sys.modules, {"pandas": None}):
            with self.assertRaisesRegex(ImportError, "needs pandas"):
                results.timeseries()

    def test_bad_arguments_raise_value_error(self):
        with self.assertRaisesRegex(ValueError, "seed"):
            self.mm1.run(seed=-3)
        with self.assertRaisesRegex(ValueError, "duration"):
            self.mm1.run(duration="10")
        with self.assertRaisesRegex(ValueError, "duration"):
            self.mm1.run(duration=0)
        with self.assertRaisesRegex(ValueError, "replications"):
            self.mm1.run(replications=0)
        with self.assertRaisesRegex(ValueError, "jobs"):
            self.mm1.run(replications=2, jobs=5000)

    def test_the_gil_is_released_while_simulating(self):
        # A long run in a thread: with the GIL released, this thread keeps
        # counting while it simulates; with it held, it could not.
        model = tailsim.load(support.MM1, set={"workloads.requests.rate": "90/s"})
        done = threading.Event()
        outcome = {}

        def simulate():
            outcome["results"] = model.run(seed=1, duration="3h", attribution=False)
            done.set()

        thread = threading.Thread(target=simulate)
        started = time.monotonic()
        thread.start()
        counted = 0
        while not done.is_set():
            counted += 1
        thread.join()
        elapsed = time.monotonic() - started
        self.assertGreater(outcome["results"]["paths"]["requests"]["requests"], 900_000)
        self.assertGreater(elapsed, 0.05)
        self.assertGreater(counted, 10_000, f"{counted} loops in {elapsed:.2f}s")

    def test_ctrl_c_stops_a_run_and_raises_keyboard_interrupt(self):
        # A run of 500 simulated hours (minutes of wall time), interrupted
        # after a second as a notebook's interrupt button does: SIGINT.
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD_RUN, support.MM1], stdout=subprocess.PIPE, text=True)
        try:
            self.assertEqual(child.stdout.readline(), "ready\n")
            time.sleep(1.0)
            child.send_signal(signal.SIGINT)
            out, _ = child.communicate(timeout=60)
        finally:
            child.kill()
        self.assertRegex(out, r"^KeyboardInterrupt after [0-9.]+ s\n$")
        self.assertLess(float(out.split()[2]), 30)


CHILD_RUN = """
import sys, time, tailsim
model = tailsim.load(sys.argv[1], set={"workloads.requests.rate": "90/s"})
started = time.monotonic()
try:
    print("ready", flush=True)
    model.run(seed=1, duration="500h", attribution=False)
except KeyboardInterrupt:
    print(f"KeyboardInterrupt after {time.monotonic() - started:.2f} s", flush=True)
else:
    print("ran to its end", flush=True)
"""


if __name__ == "__main__":
    unittest.main()
