package main

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestREADME_ConfigurationTableHasEverySetting keeps README's table in step
// with the settings the binary reads.
func TestREADME_ConfigurationTableHasEverySetting(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	readme := string(raw)
	for _, s := range settings {
		assert.True(t, strings.Contains(readme, "| `--"+s.flag+"` | `"+s.env+"` |"), "README lacks the row of --%s (%s)", s.flag, s.env)
	}
}
