"""The gRPC edge: everything that knows protobuf or gRPC on the server side.

    boundary           handled (caller check, telemetry, errors -> status), lenient parsing, Edge
    *_service          the four thin servicers: convert, call the application layer, convert back
    orders             Order -> facts and Decision -> message, on the Route hot path
    messages           the control plane's messages <-> core types
    auth               bearer tokens and roles
    settings           Settings and their flags (one table)
    wiring             App: the application layer over the Redis stores (the composition root)
    server             create_server: servicers, health, reflection, TLS, limits
    process, workers   one `serve` process from start to SIGTERM; several sharing a port

May import: everything below it (rules, experiments, service.errors, service.storage, service.app,
service.telemetry), grpc and the generated orderroute.v1 code. Not service.cli nor service.client.
"""
