"""AccessService: who the caller is (the console's sign-in checks a token with it)."""

from __future__ import annotations

from typing import Any

import grpc
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from service.api.auth import CURRENT_CALLER
from service.api.boundary import Edge, handled


class AccessServicer(pb_grpc.AccessServiceServicer):
    SERVICE = "orderroute.v1.AccessService"

    def __init__(self, edge: Edge) -> None:
        self.edge = edge

    @handled
    def GetCaller(self, request: pb.GetCallerRequest, context: grpc.ServicerContext) -> Any:
        caller = CURRENT_CALLER.get()  # checked by `handled` already
        if caller is None:
            return pb.GetCallerResponse(auth_enabled=self.edge.auth is not None)
        return pb.GetCallerResponse(auth_enabled=True, name=caller.name, roles=sorted(caller.roles))
