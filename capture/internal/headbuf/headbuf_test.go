package headbuf

import "testing"

func TestKeepsTheHead(t *testing.T) {
	b := New(5)
	for _, s := range []string{"abc", "defg", "hij"} {
		if n, err := b.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	if got := b.String(); got != "abcde" {
		t.Fatalf("kept %q, want %q", got, "abcde")
	}
}
