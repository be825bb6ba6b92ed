// Package domain is the ForeignerAccount aggregate: its events, the rules that
// decide them and the value types they carry. Pure Go: no I/O, no clock, no
// randomness of its own — time and random sources are passed in.
package domain
