"""Opening a channel to an orderroute server as a client: TLS and a bearer token when given.

The token travels as `authorization: Bearer ...` metadata on every call,
added by an interceptor so stubs stay ordinary.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc


@dataclass(frozen=True, slots=True)
class ClientOptions:
    token: str | None = None
    tls_ca: Path | None = None
    """Trust this CA for the server's certificate (TLS); None with no other TLS option: plaintext."""
    tls_cert: Path | None = None
    tls_key: Path | None = None
    """A client certificate and key, for servers that require mutual TLS."""

    @staticmethod
    def from_env(**overrides: Any) -> ClientOptions:
        env = os.environ
        values: dict[str, Any] = {
            "token": env.get("ORDERROUTE_TOKEN") or None,
            "tls_ca": Path(env["ORDERROUTE_TLS_CA"]) if env.get("ORDERROUTE_TLS_CA") else None,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return ClientOptions(**values)

    @property
    def uses_tls(self) -> bool:
        return self.tls_ca is not None or self.tls_cert is not None


class _BearerToken(grpc.UnaryUnaryClientInterceptor):
    def __init__(self, token: str) -> None:
        self._metadata = ("authorization", f"Bearer {token}")

    def intercept_unary_unary(self, continuation: Callable[..., Any], details: Any, request: Any) -> Any:
        metadata = [*(details.metadata or ()), self._metadata]
        return continuation(details._replace(metadata=metadata), request)


def open_channel(target: str, options: ClientOptions = ClientOptions()) -> grpc.Channel:
    if options.uses_tls:
        credentials = grpc.ssl_channel_credentials(
            root_certificates=options.tls_ca.read_bytes() if options.tls_ca else None,
            private_key=options.tls_key.read_bytes() if options.tls_key else None,
            certificate_chain=options.tls_cert.read_bytes() if options.tls_cert else None,
        )
        channel = grpc.secure_channel(target, credentials)
    else:
        channel = grpc.insecure_channel(target)
    if options.token:
        channel = grpc.intercept_channel(channel, _BearerToken(options.token))
    return channel
