package script

import (
	"context"
	"strings"
	"testing"
)

// BenchmarkKeyRoundTrip measures one `key` step: bytes into the pipe,
// through bubbletea's input parser, Update, View, and back to the runner.
func BenchmarkKeyRoundTrip(b *testing.B) {
	src := strings.Repeat("key a\n", b.N)
	s, err := Parse("bench", strings.NewReader(src))
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	res, err := Run(context.Background(), s, Env{Model: &counter{}})
	if ExitCode(res, err) != ExitPass {
		b.Fatalf("%v %+v", err, res)
	}
}

// BenchmarkParse measures parsing a 1,000-line script.
func BenchmarkParse(b *testing.B) {
	src := strings.Repeat("key ctrl+r enter\ntype \"hello \\\"world\\\"\"\nwait \"Connected\" timeout 2s\n# comment\n", 250)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := Parse("bench", strings.NewReader(src)); err != nil {
			b.Fatal(err)
		}
	}
}
