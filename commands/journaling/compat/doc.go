// Package compat holds only tests: they run the journal writer on events
// written by package commands itself (its Repository, ContactClaims and
// Metadata), so that a change to what commands writes that the writer would
// misread fails here. They live apart from package journaling's own tests
// so that those do not depend on package commands building.
package compat
