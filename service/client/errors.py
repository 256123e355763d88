"""What a failed call's rich details say (google.rpc.Status in grpc-status-details-bin)."""

from __future__ import annotations

import grpc
from google.rpc import error_details_pb2, status_pb2


def error_details(exc: grpc.RpcError) -> tuple[str, str]:
    """(ErrorInfo reason, the first BadRequest field), each "" when absent."""
    reason = field = ""
    metadata = exc.trailing_metadata() if hasattr(exc, "trailing_metadata") else None
    trailer: dict[str, object] = {str(item.key): item.value for item in metadata or ()}
    raw = trailer.get("grpc-status-details-bin")
    if isinstance(raw, bytes):
        for packed in status_pb2.Status.FromString(raw).details:
            info, request = error_details_pb2.ErrorInfo(), error_details_pb2.BadRequest()
            if packed.Unpack(info):
                reason = info.reason
            elif packed.Unpack(request) and request.field_violations and not field:
                field = request.field_violations[0].field
    return reason, field
