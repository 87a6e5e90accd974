package uploader

import (
	"errors"
	"testing"
)

func TestItemTarget(t *testing.T) {
	cases := []struct {
		name, file, dest string
		ok               bool
	}{
		{"plain", "a.webm.age", "", true},
		{"R-G2 dest folder", "a.webm.age", "vault", true},
		{"path in the name", "../a", "", false},
		{"path in dest", "a", "x/y", false},
		{"dot dest", "a", "..", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dest, name, partial, err := Item{Name: tc.file, Manifest: Manifest{Dest: tc.dest}}.Target()
			if !tc.ok {
				if !errors.Is(err, ErrPermanent) {
					t.Fatalf("err %v, want ErrPermanent", err)
				}
				return
			}
			if err != nil || dest != tc.dest || name != tc.file || partial != "."+tc.file+".part" {
				t.Fatalf("Target = %q %q %q %v", dest, name, partial, err)
			}
		})
	}
}
