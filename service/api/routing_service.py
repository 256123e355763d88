"""RoutingService: Route and RouteBatch. The hot path: convert, decide, copy the decision out."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import grpc
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from rules import InvalidOrder
from service.api.boundary import Edge, error_to_proto, handled
from service.api.decisions import DecisionMessages
from service.api.order_keys import OrderReaders
from service.app import Router
from service.errors import InvalidArgument


class RoutingServicer(pb_grpc.RoutingServiceServicer):
    SERVICE = "orderroute.v1.RoutingService"

    def __init__(self, router: Router, max_batch: int, edge: Edge) -> None:
        self._router = router
        self._max_batch = max_batch
        self._messages = DecisionMessages()
        self._readers = OrderReaders()
        self.edge = edge

    @handled
    def Route(self, request: pb.RouteRequest, context: grpc.ServicerContext) -> pb.RouteResponse:
        target = self._router.target(request.rule_set)  # NOT_FOUND before any order check
        response = pb.RouteResponse()
        order = request.order
        facts, key = self._readers.read(target.active, order, "order")
        routed = self._router.decide(target, (facts,), (order,), (key,))
        self._messages.fill(routed, [response.decision])
        return response

    @handled
    def RouteBatch(self, request: pb.RouteBatchRequest, context: grpc.ServicerContext) -> pb.RouteBatchResponse:
        """One result per order; the valid ones are evaluated with one engine call per version."""
        orders = request.orders
        if len(orders) > self._max_batch:
            raise InvalidArgument("orders", f"at most {self._max_batch} orders per batch, got {len(orders)}")
        target = self._router.target(request.rule_set)
        response = pb.RouteBatchResponse()
        valid: list[Mapping[str, Any]] = []
        keys: list[Hashable] = []
        sources: list[pb.Order] = []
        slots: list[pb.Decision] = []
        read = self._readers.read
        for index, order in enumerate(orders):
            result = response.results.add()
            try:
                facts, key = read(target.active, order, f"orders[{index}]")
            except InvalidOrder as exc:
                result.error.CopyFrom(error_to_proto(exc))
                continue
            valid.append(facts)
            keys.append(key)
            sources.append(order)
            slots.append(result.decision)
        self._messages.fill(self._router.decide(target, valid, sources, keys), slots)
        return response
