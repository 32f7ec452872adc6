#!/usr/bin/env python3
"""Writes a large OTLP/JSON Lines trace file to standard output, as an
OpenTelemetry collector's file exporter would (one TracesData per export
batch of 512 spans, a trace across batches), for measuring the trace reader
(bench/README.md, "Reading trace files").

    bench/trace_file.py N_SPANS [--seed S] [--varied] > traces.jsonl

Each trace is a request to `frontend` that calls `cart` and `catalog`
(through client spans), `catalog` calling a database: 10 spans, with the
attributes instrumentations write (HTTP and RPC keys, peer names, status
codes), an event on some spans and a tracestate on all. Spans are grouped
per service (resource) within a batch, so a batch holds several resources.

With --varied the traces come from 20 services in four layers (a gateway
with four HTTP routes, then 5, 7 and 7 gRPC services of two methods each,
the last layer calling PostgreSQL or Redis): each method calls one to four
methods of the next layers, some one after another and some in parallel
(fan-out), a call fails now and then and is retried after a backoff (up to
twice), each method's own time has a shape of its own (lognormal, gamma,
exponential, two modes, or constant), services run two or three pods, and
spans reach the file in the order they end, traces interleaved. So an
import of it fits about 40 endpoints and 80 call sites from varied samples.
"""

import argparse
import heapq
import json
import math
import random
import sys

SERVICES = {
    "frontend": {"host.name": "node-1", "k8s.pod.name": "frontend-7d9f8-x2k4q"},
    "cart": {"host.name": "node-2", "k8s.pod.name": "cart-5c6d7-ab12c"},
    "catalog": {"host.name": "node-3", "k8s.pod.name": "catalog-8e9f0-zz9yx"},
}
BATCH = 512


def attr(key, value):
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    return {"key": key, "value": {"stringValue": value}}


def trace_spans(rng, start_ns):
    """The 10 spans of one request, as (service, span) pairs."""
    trace_id = "%032x" % rng.getrandbits(128)
    ids = ["%016x" % rng.getrandbits(64) for _ in range(10)]
    failed = rng.random() < 0.01

    def span(i, parent, name, kind, begin, length, attrs, events=()):
        out = {"traceId": trace_id, "spanId": ids[i], "parentSpanId": parent,
               "traceState": "ot=th:c", "flags": 257, "name": name, "kind": kind,
               "startTimeUnixNano": str(start_ns + begin),
               "endTimeUnixNano": str(start_ns + begin + length),
               "attributes": attrs, "droppedAttributesCount": 0,
               "events": list(events), "status": {"code": 2} if failed and i == 0 else {}}
        return out

    ms = 1_000_000
    http_server = [attr("http.request.method", "GET"), attr("http.route", "/cart"),
                   attr("url.path", "/cart"), attr("http.response.status_code", 500 if failed else 200),
                   attr("server.address", "shop.example"), attr("user_agent.original", "load/1.0")]
    return [
        ("frontend", span(0, "", "GET /cart", 2, 0, 40 * ms, http_server,
                          [{"timeUnixNano": str(start_ns + ms), "name": "auth.checked",
                            "attributes": [attr("user", "u-%d" % rng.randrange(10000))]}])),
        ("frontend", span(1, ids[0], "render", 1, 30 * ms, 8 * ms, [attr("template", "cart.html")])),
        ("frontend", span(2, ids[0], "cart.Cart/Get", 3, 2 * ms, 10 * ms,
                          [attr("rpc.system", "grpc"), attr("rpc.service", "cart.Cart"),
                           attr("rpc.method", "Get"), attr("rpc.grpc.status_code", 0),
                           attr("peer.service", "cart"), attr("server.address", "cart")])),
        ("cart", span(3, ids[2], "cart.Cart/Get", 2, 3 * ms, 8 * ms,
                      [attr("rpc.system", "grpc"), attr("rpc.service", "cart.Cart"),
                       attr("rpc.method", "Get"), attr("rpc.grpc.status_code", 0)])),
        ("cart", span(4, ids[3], "GET", 3, 4 * ms, 3 * ms,
                      [attr("db.system", "redis"), attr("db.operation.name", "GET"),
                       attr("server.address", "redis")])),
        ("frontend", span(5, ids[0], "catalog.Catalog/List", 3, 13 * ms, 15 * ms,
                          [attr("rpc.system", "grpc"), attr("rpc.service", "catalog.Catalog"),
                           attr("rpc.method", "List"), attr("rpc.grpc.status_code", 0),
                           attr("peer.service", "catalog")])),
        ("catalog", span(6, ids[5], "catalog.Catalog/List", 2, 14 * ms, 13 * ms,
                         [attr("rpc.system", "grpc"), attr("rpc.service", "catalog.Catalog"),
                          attr("rpc.method", "List"), attr("rpc.grpc.status_code", 0)])),
        ("catalog", span(7, ids[6], "SELECT products", 3, 15 * ms, 6 * ms,
                         [attr("db.system", "postgresql"), attr("db.operation.name", "SELECT"),
                          attr("db.collection.name", "products"),
                          attr("db.query.text", "SELECT * FROM products WHERE id = ANY($1)")])),
        ("catalog", span(8, ids[6], "price", 1, 22 * ms, 4 * ms, [attr("currency", "EUR")])),
        ("frontend", span(9, ids[0], "GET", 3, 29 * ms, 1 * ms,
                          [attr("http.request.method", "GET"), attr("server.address", "ads"),
                           attr("http.response.status_code", 200)])),
    ]


class VariedTopology:
    """The services, methods and call plans of --varied, drawn once from the seed."""

    LAYERS = [1, 5, 7, 7]
    DATABASES = ["postgresql", "redis"]

    def __init__(self, rng):
        self.services = []  # (name, layer)
        layer_of = []
        for layer, count in enumerate(self.LAYERS):
            for i in range(count):
                name = "gateway" if layer == 0 else "svc-%d%d" % (layer, i)
                self.services.append(name)
                layer_of.append(layer)
        self.pods = {name: ["%s-%04x-%s" % (name, rng.getrandbits(16), chr(97 + p))
                            for p in range(rng.choice([2, 2, 3]))] for name in self.services}
        # Methods: (service, name, own time sampler, plan); a plan is a list
        # of stages run one after another, each stage a list of callees run
        # in parallel; a callee is a method index or a database name.
        self.methods = []
        by_layer = {}
        for service, layer in zip(self.services, layer_of):
            names = (["GET /api/%s" % r for r in ("home", "search", "item", "checkout")]
                     if layer == 0 else ["Get", "List"])
            for name in names:
                by_layer.setdefault(layer, []).append(len(self.methods))
                self.methods.append({"service": service, "name": name, "layer": layer,
                                     "own": self.own_sampler(rng), "plan": [],
                                     "fail": rng.choice([0.0, 0.005, 0.01, 0.03, 0.06])})
        for method in self.methods:
            layer = method["layer"]
            if layer == len(self.LAYERS) - 1:
                if rng.random() < 0.7:
                    method["plan"] = [[rng.choice(self.DATABASES)]]
                continue
            below = [m for l in range(layer + 1, len(self.LAYERS)) for m in by_layer[l]
                     if l == layer + 1 or rng.random() < 0.3]
            stages = []
            for _ in range(rng.randint(1, 3)):
                width = rng.choice([1, 1, 2, 3])
                stages.append(rng.sample(below, width))
            method["plan"] = stages
        self.entries = by_layer[0]

    @staticmethod
    def own_sampler(rng):
        """A method's own time in ns: a family and parameters of its own."""
        ms = 1_000_000
        shape = rng.choice(["lognormal", "gamma", "exponential", "bimodal", "constant"])
        scale = rng.uniform(0.3, 4.0)
        if shape == "lognormal":
            mu, sigma = math.log(scale * ms), rng.uniform(0.2, 0.8)
            return lambda r: int(r.lognormvariate(mu, sigma))
        if shape == "gamma":
            k = rng.uniform(1.5, 6.0)
            return lambda r: int(r.gammavariate(k, scale * ms / k))
        if shape == "exponential":
            return lambda r: int(r.expovariate(1.0 / (scale * ms)))
        if shape == "bimodal":
            slow = rng.uniform(5, 15)
            return lambda r: int(r.lognormvariate(math.log(scale * ms * (slow if r.random() < 0.1 else 1)),
                                                  0.25))
        value = int(scale * ms)
        return lambda r: value


def varied_trace(rng, topology, start_ns):
    """The spans of one request through `topology`, as (service, pod, span) triples."""
    trace_id = "%032x" % rng.getrandbits(128)
    out = []
    ms = 1_000_000

    def new_id():
        return "%016x" % rng.getrandbits(64)

    def span(span_id, parent, name, kind, begin, end, attrs, error):
        return {"traceId": trace_id, "spanId": span_id, "parentSpanId": parent, "flags": 257,
                "name": name, "kind": kind, "startTimeUnixNano": str(begin),
                "endTimeUnixNano": str(end), "attributes": attrs,
                "status": {"code": 2} if error else {}}

    def method_attrs(method):
        if method["layer"] == 0:
            verb, route = method["name"].split(" ")
            return [attr("http.request.method", verb), attr("http.route", route)]
        return [attr("rpc.system", "grpc"), attr("rpc.service", method["service"] + ".Api"),
                attr("rpc.method", method["name"])]

    def span_name(method):
        if method["layer"] == 0:
            return method["name"]
        return "%s.Api/%s" % (method["service"], method["name"])

    def invoke(index, parent, begin, fails):
        """A server span of method `index` starting at `begin`; its end time."""
        method = topology.methods[index]
        span_id = new_id()
        pod = rng.choice(topology.pods[method["service"]])
        own = method["own"](rng)
        now = begin + own // 2
        failed = fails
        if not fails:
            for stage in method["plan"]:
                ends = [call(callee, span_id, method, pod, now) for callee in stage]
                now = max(end for end, _ in ends)
                failed = failed or any(error for _, error in ends)
        end = now + own - own // 2
        out.append((method["service"], pod,
                    span(span_id, parent, span_name(method), 2, begin, end, method_attrs(method),
                         failed)))
        return end

    def call(callee, parent, caller, pod, begin):
        """A call with its retries, from `caller`'s span `parent`: (end, failed)."""
        now = begin
        for attempt in range(3):
            client_id = new_id()
            if isinstance(callee, str):  # a database: a client span alone
                length = int(rng.lognormvariate(math.log(0.8 * ms), 0.5))
                error = rng.random() < 0.01
                attrs = [attr("db.system", callee), attr("db.operation.name", "SELECT"),
                         attr("server.address", callee)]
                out.append((caller["service"], pod,
                            span(client_id, parent, "SELECT", 3, now, now + length, attrs, error)))
                end = now + length
            else:
                method = topology.methods[callee]
                error = rng.random() < method["fail"]
                net = int(rng.uniform(0.2, 0.6) * ms)
                server_end = invoke(callee, client_id, now + net, error)
                end = server_end + net
                attrs = method_attrs(method) + [attr("peer.service", method["service"])]
                out.append((caller["service"], pod,
                            span(client_id, parent, span_name(method), 3, now, end, attrs, error)))
            if not error:
                return end, False
            now = end + int(rng.uniform(1, 5) * ms)  # the backoff
        return end, True

    invoke(rng.choice(topology.entries), "", start_ns, False)
    return out


def varied_main(args, out):
    rng = random.Random(args.seed)
    topology = VariedTopology(rng)
    ending = []  # (end, sequence, (service, pod, span)): spans not yet ended
    pending = []
    written = 0
    sequence = 0
    start_ns = 1_700_000_000_000_000_000
    # The capture ends after N_SPANS spans: the spans still open then (of
    # the last traces) are not written, as a collector would not have them.
    while written + len(pending) < args.spans:
        if written + len(pending) + len(ending) < args.spans:
            for triple in varied_trace(rng, topology, start_ns):
                heapq.heappush(ending, (int(triple[2]["endTimeUnixNano"]), sequence, triple))
                sequence += 1
            start_ns += int(rng.expovariate(1.0 / 20_000_000))  # 50 requests per second
        else:
            start_ns = ending[0][0]
        while (ending and ending[0][0] <= start_ns and written + len(pending) < args.spans):
            pending.append(heapq.heappop(ending)[2])
            if len(pending) >= BATCH:
                out.write(batch_line(pending) + "\n")
                written += len(pending)
                pending = []
    if pending:
        out.write(batch_line(pending) + "\n")


def batch_line(spans_of):
    """One TracesData: (service, span) pairs, or (service, pod, span) triples."""
    by_resource = {}
    for item in spans_of:
        by_resource.setdefault(item[:-1], []).append(item[-1])
    resource_spans = []
    for resource, spans in by_resource.items():
        service = resource[0]
        resource_attrs = (SERVICES[service].items() if len(resource) == 1 else
                          [("host.name", "node-%d" % (sum(resource[1].encode()) % 8)),
                           ("k8s.pod.name", resource[1])])
        attrs = [attr("service.name", service)] + [attr(k, v) for k, v in resource_attrs]
        resource_spans.append({"resource": {"attributes": attrs},
                               "scopeSpans": [{"scope": {"name": "io.opentelemetry.grpc",
                                                         "version": "2.1.0"},
                                               "spans": spans}]})
    return json.dumps({"resourceSpans": resource_spans}, separators=(",", ":"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spans", type=int)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--varied", action="store_true",
                        help="20 services, fan-out, retries and varied own times")
    args = parser.parse_args()
    out = sys.stdout
    if args.varied:
        varied_main(args, out)
        return
    rng = random.Random(args.seed)
    pending = []
    written = 0
    start_ns = 1_700_000_000_000_000_000
    while written < args.spans:
        for pair in trace_spans(rng, start_ns):
            if written + len(pending) >= args.spans:
                break
            pending.append(pair)
        start_ns += 10_000_000  # 100 requests per second
        while len(pending) >= BATCH or (pending and written + len(pending) >= args.spans):
            chunk, pending = pending[:BATCH], pending[BATCH:]
            out.write(batch_line(chunk) + "\n")
            written += len(chunk)


if __name__ == "__main__":
    main()
