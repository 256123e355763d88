"""Server reflection under both its names: the released `grpc.reflection.v1` (what grpcurl, Postman
and current gRPC clients ask first) and the older `grpc.reflection.v1alpha`.

grpcio-reflection serves v1alpha only. The two protocols are the same messages under another
package, so one servicer answers both: v1 requests are read and answered in the v1alpha classes
(the bytes on the wire are identical), and the v1 file itself is added to the descriptor pool so
reflection can describe the v1 service too.
"""

from __future__ import annotations

from collections.abc import Sequence

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool
from google.protobuf.descriptor import FileDescriptor
from grpc_reflection.v1alpha import reflection, reflection_pb2, reflection_pb2_grpc

V1_FILE = "grpc/reflection/v1/reflection.proto"
V1_SERVICE = "grpc.reflection.v1.ServerReflection"
SERVICE_NAMES = (V1_SERVICE, reflection.SERVICE_NAME)


def v1_file() -> FileDescriptor:
    """grpc/reflection/v1/reflection.proto in the default pool: the v1alpha file renamed."""
    pool = descriptor_pool.Default()
    try:
        return pool.FindFileByName(V1_FILE)
    except KeyError:
        pass
    proto = descriptor_pb2.FileDescriptorProto()
    reflection_pb2.DESCRIPTOR.CopyToProto(proto)
    old, new = f".{proto.package}.", ".grpc.reflection.v1."
    proto.name, proto.package = V1_FILE, "grpc.reflection.v1"
    for message in proto.message_type:
        for field in message.field:
            if field.HasField("type_name"):
                field.type_name = field.type_name.replace(old, new, 1)
    for service in proto.service:
        for method in service.method:
            method.input_type = method.input_type.replace(old, new, 1)
            method.output_type = method.output_type.replace(old, new, 1)
    return pool.AddSerializedFile(proto.SerializeToString())


def enable(server: grpc.Server, service_names: Sequence[str]) -> None:
    """Reflection on v1 and v1alpha, listing `service_names` and both reflection services."""
    v1_file()
    servicer = reflection.ReflectionServicer((*service_names, *SERVICE_NAMES))
    reflection_pb2_grpc.add_ServerReflectionServicer_to_server(servicer, server)
    v1 = grpc.stream_stream_rpc_method_handler(
        servicer.ServerReflectionInfo,
        request_deserializer=reflection_pb2.ServerReflectionRequest.FromString,
        response_serializer=reflection_pb2.ServerReflectionResponse.SerializeToString,
    )
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(V1_SERVICE, {"ServerReflectionInfo": v1}),))
