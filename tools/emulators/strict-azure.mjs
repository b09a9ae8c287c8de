#!/usr/bin/env node
// strict-azure: a reverse proxy in front of Azurite's table and queue endpoints that answers as Azure
// does where Azurite is lenient (docs/decisions/0011-strict-azure-layer.md). Node's standard library
// only; it listens on and forwards to 127.0.0.1, nothing else. Requests it does not refuse are
// forwarded byte for byte (SharedKey signatures cover the path and headers) and Azurite's answers are
// passed back unchanged.
//
// THE RULES. A new Azure limit learned later goes here, with a test in tests/Wati.Tests/Strict:
//  T1 Query Entities / Query Tables with $top over 1000 -> 400 InvalidInput (JSON OData error).
//     Azure: "Query Entities" returns at most 1,000 entities per page; a larger $top is refused
//     (Azure/azure-sdk-for-net #26035, PalmEmanuel/AzBobbyTables PR #140). Azurite clamps it silently.
//  T2 Insert / Update / Merge / Insert-or-* of an entity with a property over 64 KiB (strings as
//     UTF-16, 2 bytes a character; binary as bytes) -> 400 PropertyValueTooLarge.
//  T3 ... of an entity over 1 MiB, sized by "Understanding the Table service data model":
//     4 + 2 x len(PartitionKey + RowKey) + per property 8 + 2 x len(name) + value (string 4 + 2 x chars,
//     binary 4 + bytes, bool 1, int32 4, guid 16, everything else 8) -> 400 EntityTooLarge.
//     Azurite measures the UTF-8 body instead, so ASCII text up to twice the limit gets through.
//  T4 An entity group transaction ($batch, "Performing entity group transactions"):
//     a. body over 4 MiB -> 413 RequestBodyTooLarge (top-level);
//     b. over 100 operations -> 202 + a change set answering 400 InvalidInput "99:The batch request
//        operation exceeds the maximum 100 changes per change set.";
//     c. an operation on another PartitionKey than the first -> 202 + 400
//        CommandsInBatchActOnDifferentPartitions "<index>:All commands in a batch must operate on same
//        entity group." (Azurite accepts cross-partition transactions);
//     d. T2/T3 for each operation, answered at that operation's index as Azure does
//        (Azure/azure-sdk-for-net #20533: 202 + a 400 sub-response, no "0:" prefix at index 0).
//  M1 On a managed-identity listener (--mi-table / --mi-queue): the app's identity holds Storage Table
//     Data Contributor and Storage Queue Data Contributor (infra/main.bicep). Their permissions cover
//     tables/queues (read, write, delete) and entities/messages, not the service itself
//     (tableServices/read, queueServices/read), so every ?restype=service request (Get/Set Service
//     Properties, Get Service Stats) -> 403 AuthorizationPermissionMismatch (OData JSON on tables, XML
//     on queues).
//     Listing tables or queues is queues/read / tables/read, which the roles grant: passed through.
//     (Xabaril/AspNetCore.Diagnostics.HealthChecks PR #1409, issue #783.)
//
// Usage: node strict-azure.mjs --table-upstream P --queue-upstream P
//          [--table P] [--queue P] [--mi-table P] [--mi-queue P]
// Prints one line "strict-azure: listening ..." when every listener is up.

import http from "node:http";
import { randomUUID } from "node:crypto";

const LOOPBACK = "127.0.0.1";
const MAX_TOP = 1000;
const MAX_PROPERTY_BYTES = 64 * 1024;
const MAX_ENTITY_BYTES = 1024 * 1024;
const MAX_BATCH_BODY_BYTES = 4 * 1024 * 1024;
const MAX_BATCH_OPERATIONS = 100;
const JSON_ERROR_TYPE = "application/json;odata=minimalmetadata;streaming=true;charset=utf-8";

// ---- arguments ----

function parseArgs(argv) {
  const options = {};
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i]?.replace(/^--/, "");
    const port = Number(argv[i + 1]);
    if (!name || !Number.isInteger(port) || port <= 0 || port >= 65536) {
      throw new Error(`bad argument ${argv[i]} ${argv[i + 1] ?? ""}`);
    }
    options[name] = port;
  }
  return options;
}

// ---- Azure's error answers ----

function requestId() {
  return randomUUID();
}

function errorText(message, id) {
  return `${message}\nRequestId:${id}\nTime:${new Date().toISOString()}`;
}

function odataError(code, message, id) {
  return JSON.stringify({ "odata.error": { code, message: { lang: "en-US", value: errorText(message, id) } } });
}

function xmlError(code, message, id) {
  const escaped = errorText(message, id).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  return `\uFEFF<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${escaped}</Message></Error>`;
}

function sendError(res, req, status, statusText, code, body, contentType, id) {
  const bytes = Buffer.from(body, "utf8");
  res.writeHead(status, statusText, {
    "Content-Type": contentType,
    "Content-Length": bytes.length,
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "x-ms-request-id": id,
    "x-ms-version": req.headers["x-ms-version"] ?? "2019-02-02",
    "x-ms-error-code": code,
    Date: new Date().toUTCString(),
  });
  res.end(bytes);
}

function sendTableError(res, req, status, statusText, code, message) {
  const id = requestId();
  sendError(res, req, status, statusText, code, odataError(code, message, id), JSON_ERROR_TYPE, id);
}

function sendXmlError(res, req, status, statusText, code, message) {
  const id = requestId();
  sendError(res, req, status, statusText, code, xmlError(code, message, id), "application/xml", id);
}

/** A transaction refused at one operation: 202 Accepted, one change set answering 400 (T4). */
function sendBatchError(res, req, index, code, message) {
  const id = requestId();
  const batch = `batchresponse_${randomUUID()}`;
  const changeset = `changesetresponse_${randomUUID()}`;
  const value = index > 0 ? `${index}:${message}` : message;
  const body =
    `--${batch}\r\nContent-Type: multipart/mixed; boundary=${changeset}\r\n\r\n` +
    `--${changeset}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n` +
    `HTTP/1.1 400 Bad Request\r\nContent-ID: ${index + 1}\r\nX-Content-Type-Options: nosniff\r\n` +
    `Cache-Control: no-cache\r\nDataServiceVersion: 3.0;\r\nContent-Type: ${JSON_ERROR_TYPE}\r\n\r\n` +
    `${odataError(code, value, id)}\r\n--${changeset}--\r\n--${batch}--\r\n`;
  const bytes = Buffer.from(body, "utf8");
  res.writeHead(202, "Accepted", {
    "Content-Type": `multipart/mixed; boundary=${batch}`,
    "Content-Length": bytes.length,
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "x-ms-request-id": id,
    "x-ms-version": req.headers["x-ms-version"] ?? "2019-02-02",
    Date: new Date().toUTCString(),
  });
  res.end(bytes);
}

const REFUSALS = {
  top: ["InvalidInput", "One of the request inputs is not valid."],
  property: [
    "PropertyValueTooLarge",
    "The property value exceeds the maximum allowed size (64KB). If the property value is a string, it is UTF-16 encoded and the maximum number of characters should be 32K or less.",
  ],
  entity: ["EntityTooLarge", "The entity is larger than the maximum allowed size (1MB)."],
  operations: ["InvalidInput", "The batch request operation exceeds the maximum 100 changes per change set."],
  partitions: ["CommandsInBatchActOnDifferentPartitions", "All commands in a batch must operate on same entity group."],
  body: ["RequestBodyTooLarge", "The request body is too large and exceeds the maximum permissible limit."],
  permission: ["AuthorizationPermissionMismatch", "This request is not authorized to perform this operation using this permission."],
};

// ---- entity sizes (T2, T3) ----

/** The first rule the entity breaks ("property" or "entity"), or null. */
function entityRefusal(entity, partitionKey, rowKey) {
  if (entity === null || typeof entity !== "object" || Array.isArray(entity)) return null;
  const pk = typeof entity.PartitionKey === "string" ? entity.PartitionKey : partitionKey ?? "";
  const rk = typeof entity.RowKey === "string" ? entity.RowKey : rowKey ?? "";
  let size = 4 + 2 * (pk.length + rk.length);
  for (const [name, value] of Object.entries(entity)) {
    if (name === "PartitionKey" || name === "RowKey" || name === "Timestamp") continue;
    if (name.startsWith("odata.") || name.includes("@")) continue; // annotations, not properties
    if (value === null || value === undefined) continue;
    const type = entity[`${name}@odata.type`];
    let bytes;
    if (type === "Edm.Binary" && typeof value === "string") {
      bytes = Buffer.from(value, "base64").length;
      if (bytes > MAX_PROPERTY_BYTES) return "property";
      bytes += 4;
    } else if (typeof value === "string" && (type === undefined || type === "Edm.String")) {
      if (2 * value.length > MAX_PROPERTY_BYTES) return "property";
      bytes = 4 + 2 * value.length;
    } else if (typeof value === "boolean") {
      bytes = 1;
    } else if (type === "Edm.Guid") {
      bytes = 16;
    } else if (type === "Edm.Int32" || (typeof value === "number" && type === undefined && Number.isInteger(value))) {
      bytes = 4;
    } else {
      bytes = 8; // Int64, Double, DateTime
    }
    size += 8 + 2 * name.length + bytes;
  }
  return size > MAX_ENTITY_BYTES ? "entity" : null;
}

/** The keys named in an entity URL: .../table(PartitionKey='a',RowKey='b'). */
function keysOf(path) {
  const decoded = safeDecode(path);
  const pk = /PartitionKey='((?:[^']|'')*)'/.exec(decoded);
  const rk = /RowKey='((?:[^']|'')*)'/.exec(decoded);
  return { partitionKey: pk?.[1].replace(/''/g, "'"), rowKey: rk?.[1].replace(/''/g, "'") };
}

function safeDecode(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // Azurite answers malformed bodies itself
  }
}

// ---- transactions (T4) ----

/** The operations of a $batch body: [{ method, url, body }], or null when it is not a change set. */
function batchOperations(text, contentType) {
  const outer = /boundary=("?)([^";]+)\1/i.exec(contentType ?? "")?.[2];
  if (!outer) return null;
  const inner = /boundary=("?)(changeset[^";\r\n]*)\1/i.exec(text)?.[2];
  if (!inner) return null;
  const parts = text.split(`--${inner}`).slice(1);
  const operations = [];
  for (const part of parts) {
    if (part.startsWith("--")) break;
    const [, request] = splitOnce(part, /\r?\n\r?\n/);
    if (request === undefined) continue;
    const [head, body] = splitOnce(request, /\r?\n\r?\n/);
    const line = /^\s*(\S+)\s+(\S+)\s+HTTP\/1\.1/.exec(head);
    if (!line) continue;
    operations.push({ method: line[1].toUpperCase(), url: line[2], body: (body ?? "").trim() });
  }
  return operations;
}

/** The path of an operation's URL; a malformed one is left for Azurite to answer. */
function pathOf(url) {
  try {
    return new URL(url, `http://${LOOPBACK}`).pathname;
  } catch {
    return "";
  }
}

function splitOnce(text, separator) {
  const match = separator.exec(text);
  return match ? [text.slice(0, match.index), text.slice(match.index + match[0].length)] : [text, undefined];
}

/** The first refusal of a parsed transaction: { index, kind } or null. */
function batchRefusal(operations) {
  if (operations.length > MAX_BATCH_OPERATIONS) return { index: MAX_BATCH_OPERATIONS - 1, kind: "operations" };
  let firstPartition;
  for (let i = 0; i < operations.length; i++) {
    const op = operations[i];
    const keys = keysOf(pathOf(op.url));
    const entity = op.body ? parseJson(op.body) : undefined;
    const partitionKey = typeof entity?.PartitionKey === "string" ? entity.PartitionKey : keys.partitionKey;
    if (i === 0) firstPartition = partitionKey;
    else if (partitionKey !== undefined && partitionKey !== firstPartition) return { index: i, kind: "partitions" };
    if (entity !== undefined) {
      const kind = entityRefusal(entity, keys.partitionKey, keys.rowKey);
      if (kind) return { index: i, kind };
    }
  }
  return null;
}

// ---- forwarding ----

// A fresh loopback connection per forwarded request: a pooled one can be closed by Azurite's idle
// timeout just as it is reused, which would surface as a failure Azure never shows.
const upstreamAgent = new http.Agent({ keepAlive: false });

/** The client's headers as sent, less the hop-by-hop ones (not signed; they describe this connection only). */
function forwardedHeaders(rawHeaders) {
  const headers = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (!/^(connection|keep-alive)$/i.test(rawHeaders[i])) headers.push(rawHeaders[i], rawHeaders[i + 1]);
  }
  return headers;
}

function forward(req, res, upstreamPort, body) {
  const upstream = http.request(
    {
      host: LOOPBACK, port: upstreamPort, method: req.method, path: req.url,
      headers: forwardedHeaders(req.rawHeaders), setHost: false, agent: upstreamAgent,
    },
    (answer) => {
      res.writeHead(answer.statusCode, answer.statusMessage, answer.rawHeaders);
      answer.pipe(res);
    },
  );
  upstream.on("error", (e) => {
    console.error(`strict-azure: upstream ${upstreamPort} failed: ${e.message}`);
    if (!res.headersSent) res.writeHead(502, { "Content-Length": 0 });
    res.end();
  });
  if (body === undefined) req.pipe(upstream);
  else upstream.end(body);
}

/** Reads the whole body; resolves null (after draining the rest) once it exceeds `limit` bytes. */
function readBody(req, limit) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let length = 0;
    let over = false;
    req.on("data", (chunk) => {
      if (over) return;
      length += chunk.length;
      if (length > limit) {
        over = true;
        chunks.length = 0;
      } else chunks.push(chunk);
    });
    req.on("end", () => resolve(over ? null : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function refuseAfterDrain(req, send) {
  req.resume();
  req.on("end", send);
}

// ---- the listeners ----

/** Table entity writes: POST .../{table}, PUT/PATCH/MERGE .../{table}(PartitionKey=..,RowKey=..). */
function isEntityWrite(method, pathname) {
  if (!["POST", "PUT", "PATCH", "MERGE"].includes(method)) return false;
  const last = pathname.split("/").filter(Boolean).at(-1) ?? "";
  return !/^tables(\(|$)/i.test(last) && last !== "$batch";
}

async function handleTable(req, res, listener, url) {
  const method = req.method.toUpperCase();
  const top = url.searchParams.get("$top");
  if (method === "GET" && top !== null && !(Number(top) <= MAX_TOP)) {
    return refuseAfterDrain(req, () => refuse(res, req, "table", 400, "Bad Request", "top"));
  }
  if (method === "POST" && url.pathname.endsWith("/$batch")) {
    const declared = Number(req.headers["content-length"]);
    if (declared > MAX_BATCH_BODY_BYTES) {
      return refuseAfterDrain(req, () => refuse(res, req, "table", 413, "Request Entity Too Large", "body"));
    }
    const body = await readBody(req, MAX_BATCH_BODY_BYTES);
    if (body === null) return refuse(res, req, "table", 413, "Request Entity Too Large", "body");
    const operations = batchOperations(body.toString("utf8"), req.headers["content-type"]);
    const refusal = operations && batchRefusal(operations);
    if (refusal) {
      const [code, message] = REFUSALS[refusal.kind];
      log(req, code);
      return sendBatchError(res, req, refusal.index, code, message);
    }
    return forward(req, res, listener.upstream, body);
  }
  if (isEntityWrite(method, url.pathname) && /json/i.test(req.headers["content-type"] ?? "")) {
    const body = await readBody(req, MAX_BATCH_BODY_BYTES);
    if (body === null) return refuse(res, req, "table", 413, "Request Entity Too Large", "body");
    const keys = keysOf(url.pathname);
    const kind = entityRefusal(parseJson(body.toString("utf8")), keys.partitionKey, keys.rowKey);
    if (kind) return refuse(res, req, "table", 400, "Bad Request", kind);
    return forward(req, res, listener.upstream, body);
  }
  forward(req, res, listener.upstream);
}

function refuse(res, req, service, status, statusText, kind) {
  const [code, message] = REFUSALS[kind];
  log(req, code);
  // The table service answers errors as OData JSON (what its clients parse), the queue service as XML.
  if (service === "table") sendTableError(res, req, status, statusText, code, message);
  else sendXmlError(res, req, status, statusText, code, message);
}

function log(req, code) {
  // Method and path only: the query may carry a SAS signature, the headers a SharedKey.
  console.error(`strict-azure: ${code} for ${req.method} ${req.url.split("?")[0]}`);
}

function handler(listener) {
  return (req, res) => {
    const url = new URL(req.url, `http://${LOOPBACK}`);
    if (listener.managedIdentity && url.searchParams.get("restype")?.toLowerCase() === "service") {
      return refuseAfterDrain(req, () => refuse(res, req, listener.service, 403, "Forbidden", "permission"));
    }
    if (listener.service === "table") {
      handleTable(req, res, listener, url).catch((e) => {
        console.error(`strict-azure: ${e.message}`);
        if (!res.headersSent) res.writeHead(500, { "Content-Length": 0 });
        res.end();
      });
      return;
    }
    forward(req, res, listener.upstream);
  };
}

function listen(listener) {
  return new Promise((resolve, reject) => {
    const server = http.createServer(handler(listener));
    // Idle client connections stay open longer than .NET keeps them pooled (one minute), so a client
    // never reuses a connection the proxy is closing.
    server.keepAliveTimeout = 120_000;
    server.headersTimeout = 125_000;
    server.on("error", reject);
    server.listen(listener.port, LOOPBACK, () => resolve(server));
  });
}

const options = parseArgs(process.argv.slice(2));
if (!options["table-upstream"] || !options["queue-upstream"]) {
  console.error("usage: strict-azure.mjs --table-upstream P --queue-upstream P [--table P] [--queue P] [--mi-table P] [--mi-queue P]");
  process.exit(2);
}
const listeners = [
  { name: "table", service: "table", managedIdentity: false },
  { name: "queue", service: "queue", managedIdentity: false },
  { name: "mi-table", service: "table", managedIdentity: true },
  { name: "mi-queue", service: "queue", managedIdentity: true },
]
  .filter((l) => options[l.name])
  .map((l) => ({ ...l, port: options[l.name], upstream: options[`${l.service}-upstream`] }));

const servers = await Promise.all(listeners.map(listen));
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => {
    for (const server of servers) server.close();
    process.exit(0);
  });
}
console.log(`strict-azure: listening ${listeners.map((l) => `${l.name} 127.0.0.1:${l.port} -> ${l.upstream}`).join(", ")}`);
