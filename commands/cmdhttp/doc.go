// Package cmdhttp is the command side's HTTP transport: it decodes
// requests into commands for package commands' handlers and writes their
// results or errors as answers, with Idempotency-Key replay and the
// journaling of refusals that wrote no events.
package cmdhttp
