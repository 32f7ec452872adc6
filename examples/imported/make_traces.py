#!/usr/bin/env python3
"""Makes traces.otlp.json from a tailsim run of system.yaml, keeping what an
OpenTelemetry SDK in each instrumented service would have exported: the
server and client spans of the services that run pods, without tailsim's
own attributes. The load generator's root spans, the internal spans (cpu,
waits, backoff) and the spans of the external services (the bank and the
books database, which no one here instruments) are left out.

    tailsim run system.yaml --quiet --traces 100000 --out /tmp/bookshop
    python3 make_traces.py /tmp/bookshop/traces.otlp.json > traces.otlp.json
"""

import json
import sys

WORKLOADS = {"home", "order"}  # the load generator's spans are named after them
EXTERNAL = {"bank", "books-db"}


def main(path):
    with open(path, encoding="utf-8") as f:
        document = json.load(f)
    dropped = set()
    kept = []
    for resource_spans in document["resourceSpans"]:
        attributes = {a["key"]: a["value"]["stringValue"]
                      for a in resource_spans["resource"]["attributes"]}
        service = attributes["service.name"]
        instrumented = service not in WORKLOADS and service not in EXTERNAL
        spans = []
        for scope_spans in resource_spans["scopeSpans"]:
            for span in scope_spans["spans"]:
                if not instrumented or span["kind"] == 1:  # 1: INTERNAL
                    dropped.add(span["spanId"])
                    continue
                span["attributes"] = [a for a in span["attributes"]
                                      if not a["key"].startswith("tailsim.")]
                spans.append(span)
        if spans:
            kept.append({"resource": resource_spans["resource"],
                         "scopeSpans": [{"scope": {"name": "io.opentelemetry.example",
                                                   "version": "1.0"},
                                         "spans": spans}]})
    for resource_spans in kept:
        for span in resource_spans["scopeSpans"][0]["spans"]:
            if span.get("parentSpanId") in dropped:
                del span["parentSpanId"]  # the gateway's span is the root now
    json.dump({"resourceSpans": kept}, sys.stdout, separators=(",", ":"))
    print()


if __name__ == "__main__":
    main(sys.argv[1])
