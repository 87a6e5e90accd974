package store

import (
	"testing"
)

// TestSafeCell: a cell a spreadsheet would read as a formula gets a
// leading ' (CSV injection); any other is left as it is.
func TestSafeCell(t *testing.T) {
	for in, want := range map[string]string{
		"=1+2": "'=1+2", "+33 1 23": "'+33 1 23", "-2": "'-2", "@SUM(A1)": "'@SUM(A1)", "\tx": "'\tx", "\rx": "'\rx",
		"": "", "Bea": "Bea", "a=b": "a=b", "'quoted": "'quoted", "1.5": "1.5",
	} {
		if got := SafeCell(in); got != want {
			t.Errorf("SafeCell(%q) = %q, want %q", in, got, want)
		}
	}
}
