// Package commands is Kabinet's write side: one handler per command, the
// repository that loads, decides and appends ForeignerAccount streams, the
// ports the handlers need (notifier, clock, ids) with their embedded
// adapters, and the HTTP transport that turns requests into commands.
package commands
