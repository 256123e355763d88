"""When Redis goes away: routing keeps answering from memory, writes say UNAVAILABLE."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from service.api.server import create_server
from service.api.settings import Settings
from service.api.wiring import build_app
from service.storage.local_redis import free_port, start_redis
from tests.conftest import EXAMPLES


def test_redis_outage_keeps_routes_and_refuses_writes_cleanly(tmp_path: Path) -> None:
    port = free_port()
    redis_process = start_redis(tmp_path / "redis", port)
    settings = Settings(redis_url=f"redis://127.0.0.1:{port}/0", data_dir=tmp_path, port=0)
    app = build_app(settings)
    server, grpc_port, _ = create_server(settings, app)
    server.start()
    try:
        redis_process.terminate()
        redis_process.wait(10)
        with grpc.insecure_channel(f"127.0.0.1:{grpc_port}") as channel:
            routing = pb_grpc.RoutingServiceStub(channel)
            decision = routing.Route(pb.RouteRequest(order=pb.Order(order_id="o"))).decision
            assert decision.rule_set == "fulfilment"

            rulesets = pb_grpc.RuleSetServiceStub(channel)
            source = (EXAMPLES / "fulfilment-candidate.yaml").read_text()
            with pytest.raises(grpc.RpcError) as info:
                rulesets.PublishRuleSet(pb.PublishRuleSetRequest(source=source, author="a"))
            assert info.value.code() is grpc.StatusCode.UNAVAILABLE
            with pytest.raises(grpc.RpcError) as info:
                rulesets.ListRuleSets(pb.ListRuleSetsRequest())
            assert info.value.code() is grpc.StatusCode.UNAVAILABLE
    finally:
        server.stop(0).wait()
        app.close()
        if redis_process.poll() is None:
            redis_process.kill()
