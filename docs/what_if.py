"""A what-if capacity study in Python, end to end (docs/python.md).

The shop of examples/quickstart.yaml takes 50 checkouts a second. Marketing
plans a sale at eight times that, 400/s. Every checkout publishes an order
that the fulfillment service processes (20 ms of CPU on a one-core pod). How
many fulfillment replicas keep orders flowing, the p99 from publish to
processed under two seconds? (The study finds that replicas alone do not:
the orders queue's partitions cap how many orders are processed at once.)

Run it from the repository's top folder, with the built package on the path:

    PYTHONPATH=build/ci/python python3 docs/what_if.py

Each cell of a notebook would be one block below. The script checks its own
answer against queueing theory and exits non-zero when they disagree (CTest
runs it: python.what_if_doc).
"""

import math
import os
import sys

import tailsim

here = os.path.dirname(os.path.abspath(__file__))
MODEL = os.path.join(here, "..", "examples", "quickstart.yaml")
SALE_RATE = "400/s"
ORDERS_P99_TARGET_MS = 2000

# --- 1. The model at the sale's traffic ----------------------------------
sale = tailsim.load(MODEL, set={"workloads.checkout.rate": SALE_RATE})
print(f"model '{sale.name}' with checkout at {SALE_RATE}")
for warning in sale.validate():
    print("  warning:", warning)

# --- 2. What theory says, without simulating ------------------------------
analysis = sale.analyze()
fulfillment = analysis["services"]["fulfillment"]
replicas_now = 2  # quickstart.yaml's
partitions_now = 6
busy_cores = fulfillment["utilization"] * replicas_now  # CPU-seconds of work per second
theory_minimum = math.floor(busy_cores) + 1  # utilization below 100%
print(f"fulfillment: {fulfillment['arrival_rps']:.0f} orders/s need {busy_cores:.1f} cores busy; "
      f"at least {theory_minimum} one-core replicas, and as many of the queue's partitions "
      f"(each processes one order at a time), keep up")

# --- 3. One run as it stands: the queue falls behind -----------------------
now = sale.run(seed=1, duration="1m", attribution=False)
orders = now["paths"]["orders"]
print(f"with {replicas_now} replicas: orders p99 {orders['latency_ms']['p99'] / 1000:.0f} s, "
      f"the queue {now['queues']['orders']['depth_max']} orders deep at worst")

# --- 4. Sweep partitions and replicas, three replications each -------------
sweep = tailsim.sweep(sale, {"queues.orders.partitions": [partitions_now, 12],
                             "services.fulfillment.replicas": [8, 10, 12, 16]},
                      replications=3, seed=1, duration="1m")
print()
print(f"{'partitions':>10}  {'replicas':>8}  {'orders p99 (ms)':>18}  {'checkout p99 (ms)':>18}")
enough = []
for point in sweep["points"]:
    partitions = int(point["values"]["queues.orders.partitions"])
    replicas = int(point["values"]["services.fulfillment.replicas"])
    p99 = point["paths"]["orders"]["p99"]
    checkout = point["paths"]["checkout"]["p99"]
    print(f"{partitions:>10}  {replicas:>8}  {p99['mean']:>10.0f} ± {p99['half_width']:<5.0f}"
          f"  {checkout['mean']:>10.0f} ± {checkout['half_width']:<5.0f}")
    # The upper end of the 95% interval under the target: enough, with confidence.
    if p99["mean"] + p99["half_width"] < ORDERS_P99_TARGET_MS:
        enough.append((replicas, partitions))
print()

# --- 5. The same numbers with pandas, when it is installed -----------------
try:
    frame = sweep.frame()
except ImportError as error:
    print(f"(no pandas: {error})")
else:
    p99s = frame[(frame.path == "orders") & (frame.metric == "p99_ms")]
    table = p99s.pivot(index="services.fulfillment.replicas", columns="queues.orders.partitions",
                       values="mean")
    print("orders p99 (ms) by replicas (rows) and partitions (columns):")
    print(table.round(0).to_string())
    print()

# --- 6. The answer, checked ------------------------------------------------
if not enough:
    sys.exit(f"no candidate keeps the orders' p99 under {ORDERS_P99_TARGET_MS} ms")
replicas, partitions = min(enough)
print(f"answer: {replicas} fulfillment replicas and {partitions} partitions keep the orders' p99 "
      f"under {ORDERS_P99_TARGET_MS / 1000:.0f} s at {SALE_RATE}")
# Theory's bounds, whatever the noise: fewer replicas than the work needs
# cannot keep up, nor can six partitions (6 x 50 orders/s = 300/s < 400/s).
assert replicas >= theory_minimum, (replicas, theory_minimum)
assert all(p > partitions_now for _, p in enough), enough

# --- 7. Before and after, on the same random traffic ----------------------
after = sale.with_set({"services.fulfillment.replicas": replicas,
                       "queues.orders.partitions": partitions})
comparison = tailsim.compare(sale, after, replications=3, seed=1, duration="1m")
change = comparison["paths"]["orders"]["p99"]
print(f"before -> after: orders p99 {change['verdict']}, "
      f"{change['difference']['mean'] / 1000:+.1f} s ± {change['difference']['half_width'] / 1000:.1f}")
assert change["verdict"] == "better", change
