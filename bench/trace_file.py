#!/usr/bin/env python3
"""Writes a large OTLP/JSON Lines trace file to standard output, as an
OpenTelemetry collector's file exporter would (one TracesData per export
batch of 512 spans, a trace across batches), for measuring the trace reader
(bench/README.md, "Reading trace files").

    bench/trace_file.py N_SPANS [--seed S] > traces.jsonl

Each trace is a request to `frontend` that calls `cart` and `catalog`
(through client spans), `catalog` calling a database: 10 spans, with the
attributes instrumentations write (HTTP and RPC keys, peer names, status
codes), an event on some spans and a tracestate on all. Spans are grouped
per service (resource) within a batch, so a batch holds several resources.
"""

import argparse
import json
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


def batch_line(pairs):
    by_service = {}
    for service, span in pairs:
        by_service.setdefault(service, []).append(span)
    resource_spans = []
    for service, spans in by_service.items():
        attrs = [attr("service.name", service)] + [attr(k, v) for k, v in SERVICES[service].items()]
        resource_spans.append({"resource": {"attributes": attrs},
                               "scopeSpans": [{"scope": {"name": "io.opentelemetry.grpc",
                                                         "version": "2.1.0"},
                                               "spans": spans}]})
    return json.dumps({"resourceSpans": resource_spans}, separators=(",", ":"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spans", type=int)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    out = sys.stdout
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
