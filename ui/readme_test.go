package ui

import (
	"os"
	"strings"
	"testing"
)

// Issue 11 point 12: the README's key table says what ? says, key for key
// (the toolbar shows the same keys: single keys in the list, chords in a
// text field).
func TestReadmeKeys(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, g := range newKeyMap().helpGroups() {
		for _, r := range g.rows {
			var keys []string
			for _, k := range strings.Fields(r.keys) {
				keys = append(keys, "`"+k+"`")
			}
			row := "| " + strings.Join(keys, " ") + " | " + r.desc + " |"
			if !strings.Contains(readme, row) {
				t.Errorf("README.md lacks the key row %q", row)
			}
		}
	}
}
