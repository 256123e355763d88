// Drives orderroute from Node as an integrator would (@grpc/grpc-js, @grpc/proto-loader), and prints what
// it saw as one JSON line: a Route, a RouteBatch with a bad order, a Route with that order, an outcome for
// the first decision, and health. Errors are read from the standard rich details (google.rpc.Status in
// grpc-status-details-bin), decoded with protobufjs from googleapis' own error_details.proto.
//
//   node client.js TARGET PROTO_DIR GOOGLEAPIS_DIR ORDERS_JSON
"use strict";

const fs = require("fs");
const path = require("path");
const grpc = require("@grpc/grpc-js");
const loader = require("@grpc/proto-loader");
const protobuf = require("protobufjs");

const [target, protoDir, googleapisDir, ordersFile] = process.argv.slice(2);
const options = { keepCase: true, longs: Number, enums: String, defaults: false, oneofs: true };
const contract = grpc.loadPackageDefinition(
  loader.loadSync(path.join(protoDir, "orderroute/v1/orderroute.proto"), {
    ...options,
    includeDirs: [protoDir, googleapisDir],
  }),
).orderroute.v1;
const health = grpc.loadPackageDefinition(loader.loadSync(path.join(__dirname, "health.proto"), options)).grpc
  .health.v1;

const rpc = new protobuf.Root();
rpc.resolvePath = (_origin, target) => (target.startsWith("google/protobuf/") ? target : path.join(googleapisDir, target));
rpc.loadSync(["google/rpc/status.proto", "google/rpc/error_details.proto"]);
const Status = rpc.lookupType("google.rpc.Status");
const DETAILS = {
  "type.googleapis.com/google.rpc.ErrorInfo": rpc.lookupType("google.rpc.ErrorInfo"),
  "type.googleapis.com/google.rpc.BadRequest": rpc.lookupType("google.rpc.BadRequest"),
};

// What a client learns from a google.rpc.Status: code, reason, first bad field.
function described(status) {
  const out = { code: status.code, message: status.message, reason: "", field: "" };
  for (const any of status.details || []) {
    const type = DETAILS[any.type_url || any.typeUrl];
    if (!type) continue;
    const detail = type.decode(any.value);
    if (detail.reason) out.reason = detail.reason;
    const violations = detail.fieldViolations || detail.field_violations || [];
    if (violations.length && !out.field) out.field = violations[0].field;
  }
  return out;
}

function call(client, method, request) {
  return new Promise((resolve, reject) => client[method](request, (error, reply) => (error ? reject(error) : resolve(reply))));
}

async function main() {
  const { good, bad } = JSON.parse(fs.readFileSync(ordersFile, "utf8"));
  const credentials = grpc.credentials.createInsecure();
  const routing = new contract.RoutingService(target, credentials);
  const outcomes = new contract.OutcomeService(target, credentials);
  const checks = new health.Health(target, credentials);
  const seen = {};

  const routed = await call(routing, "Route", { order: good });
  seen.route = { path: routed.decision.path, version: routed.decision.version, decision_id: routed.decision.decision_id };

  const batch = await call(routing, "RouteBatch", { orders: [good, bad] });
  seen.batch = batch.results.map((r) => (r.result === "decision" ? { kind: "decision" } : { kind: "error", ...described(r.error) }));

  try {
    await call(routing, "Route", { order: bad });
    seen.route_error = null;
  } catch (error) {
    const raw = error.metadata.get("grpc-status-details-bin")[0];
    seen.route_error = { grpc_code: error.code, ...described(Status.decode(raw)) };
  }

  const recorded = await call(outcomes, "RecordOutcome", { outcome: { decision_id: seen.route.decision_id, on_time: true } });
  seen.outcome = { decision_id: recorded.decision_id };

  const status = await call(checks, "Check", { service: "orderroute.v1.RoutingService" });
  seen.health = status.status;
  process.stdout.write(JSON.stringify(seen) + "\n");
  for (const client of [routing, outcomes, checks]) client.close();
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
