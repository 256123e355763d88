"""The orderroute service, in layers. Each may import only what its row says (tests/test_layers.py
checks it; each layer's ruff.toml bans the rest):

    package     holds                                              may import (besides the stdlib)
    errors      the errors every layer raises                      nothing
    telemetry   metrics, traces, the latency histogram             experiments, errors; opentelemetry
    storage     store ports, Redis and in-memory adapters, key     rules, experiments, errors; redis
                layout, codec, connection, change feed
    app         catalog, gray releases, supervisor, routing,       rules, experiments, errors, telemetry,
                outcomes, decision log, clock                      storage ports and records
    api         servicers, error boundary, protobuf conversion,    all of the above; grpc, orderroute.v1
                auth, settings, wiring, server, process, workers
    client      channel, order documents, reports, simulator       rules, experiments; grpc, orderroute.v1
    console     the web console (Starlette, Jinja2, htmx)          rules, experiments, client; grpc,
                                                                   orderroute.v1
    cli         the command line, one module per command group     client, api (settings; serve), console,
                                                                   rules, experiments, loadtest (bench)

rules/ and experiments/ beside it are pure logic: no gRPC, no Redis, no protobuf.
"""
