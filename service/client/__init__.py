"""Client-side code shared by the CLI, the simulator, the load tests (and the console): talking to a
server over the gRPC API only.

    channel    open_channel with TLS and a bearer token (ClientOptions)
    documents  order documents (YAML / JSON) -> Order messages
    errors     what a failed call's rich details say (reason, field)
    report     tables of experiments and results for a terminal
    simulate   drive a running service with synthetic orders and outcomes

May import: rules, experiments (pure), grpc and the generated orderroute.v1 code. Nothing of the
server side (service.app, service.storage, service.api).
"""
