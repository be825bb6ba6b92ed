// Package projections builds Kabinet's read models: it feeds each projector
// from the event store's global log through a watermill router (resuming
// from the projector's own checkpoint), tracks how far each has come for
// read-your-writes, and rebuilds a projector from position 0.
package projections
