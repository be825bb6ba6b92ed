// Package commands is Kabinet's write side: one handler per command, the
// repository that loads, decides and appends ForeignerAccount streams, and
// the ports the handlers need (notifier, clock, ids, registries) with the
// event-store adapters behind them. The HTTP transport lives in cmdhttp.
package commands
