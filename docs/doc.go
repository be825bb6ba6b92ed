// Package docs holds Kabinet's documentation: the domain rules (DOMAIN.md),
// the HTTP API and the binary (API.md), the design (DESIGN.md) and the
// notes beside them. It has no code; its test keeps code comments and
// Markdown honest about what they cite: every Markdown file they name
// exists, every § is a section of DOMAIN.md, and every quoted section name
// is a heading of the file it follows.
package docs
