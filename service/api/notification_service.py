"""NotificationService: the webhook delivery log (service.app.webhook_delivery), for the console."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

import grpc
from orderroute.v1 import orderroute_pb2 as pb
from orderroute.v1 import orderroute_pb2_grpc as pb_grpc

from service.api.boundary import Edge, handled
from service.api.messages import timestamp
from service.app.webhook_delivery import Webhooks
from service.errors import InvalidArgument

DEFAULT_LIMIT, MAX_LIMIT = 100, 1_000


class NotificationServicer(pb_grpc.NotificationServiceServicer):
    SERVICE = "orderroute.v1.NotificationService"

    def __init__(self, webhooks: Webhooks, edge: Edge) -> None:
        self._webhooks = webhooks
        self.edge = edge

    @handled
    def ListWebhookDeliveries(self, request: pb.ListWebhookDeliveriesRequest, context: grpc.ServicerContext) -> Any:
        if not 0 <= request.limit <= MAX_LIMIT:
            raise InvalidArgument("limit", f"must be from 0 (meaning {DEFAULT_LIMIT}) to {MAX_LIMIT}")
        config = self._webhooks.config
        return pb.ListWebhookDeliveriesResponse(
            deliveries=[
                pb.WebhookDelivery(
                    event_id=d.event_id,
                    event=d.kind,
                    url=without_query(d.url),
                    state=d.state,
                    status=d.status,
                    error=d.error,
                    attempts=d.attempts,
                    at=timestamp(d.at),
                )
                for d in self._webhooks.deliveries(request.limit or DEFAULT_LIMIT)
            ],
            urls=[without_query(u) for u in config.urls] if config is not None else [],
            events=sorted(str(e) for e in config.events) if config is not None else [],
            queued=self._webhooks.depth(),
        )


def without_query(url: str) -> str:
    """The URL shown: a query string (or user info) may carry a receiver's credentials."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
