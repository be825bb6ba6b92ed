// Package observability gives Kabinet its metrics, logs and traces: the
// Prometheus collectors every layer reports to, the HTTP middleware that
// labels requests by route, the correlation id that ties one request's log
// lines, events and journal entries together, and the access log.
//
// # What may be logged
//
// Kabinet handles personal data of foreign citizens (152-FZ), so logs hold
// only what is needed to operate the service:
//
//   - the method, the chi route pattern (/v1/accounts/{id}/cabinet), never the
//     raw path, which carries account ids, phone numbers in lookups or
//     application numbers;
//   - the status, the duration, the bytes written and the correlation id;
//   - never query strings, request or response bodies, headers (tokens,
//     cookies), client IP addresses or anything typed by a user.
//
// Handlers log through the request's logger (LoggerFrom) with attributes
// they choose deliberately: ids of aggregates are fine, names, contacts,
// document numbers and codes are not.
//
// # Traces
//
// OpenTelemetry traces are off unless the standard OTEL_* variables ask for
// them (SetupTracing). A request's span (otelhttp) is named by its route;
// every event a command writes carries the span's W3C traceparent in its
// metadata, and the projections and the journal writer start their spans
// from it (StartFromEvents), so one command is one trace from HTTP through
// the store to the read models. SQL statements are spans too (bunotel,
// with placeholders, never the values). The attributes of raw paths,
// queries, client addresses and user agents are blanked as spans start;
// log lines carry trace_id and span_id.
package observability
