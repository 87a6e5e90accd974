package session

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestFileName(t *testing.T) { // R-H4
	f := FileNameFields{At: time.Date(2026, 11, 21, 9, 5, 7, 0, time.UTC), Interaction: "c-42", Agent: "ada", Queue: "billing", Customer: "Bob", Kind: "record", ID: "r1"}
	cases := []struct {
		name, tmpl string
		f          FileNameFields
		want       string
	}{
		{"default template", DefaultFileNameTemplate, f, "2026-11-21_090507_billing_ada_c-42_record_r1"},
		{"service is the queue", "{service}-{customer}", f, "billing-Bob"},
		{"path separators never pass", "{customer}", FileNameFields{Customer: "../../etc/passwd"}, "etc_passwd"},
		{"windows-hostile characters", "{customer}", FileNameFields{Customer: `a:b*c?"d<e>f|g\h`}, "a_b_c__d_e_f_g_h"},
		{"control characters", "{customer}", FileNameFields{Customer: "bob\x00\n\x1b[31m"}, "bob___[31m"},
		{"dots only", "{customer}", FileNameFields{Customer: ".."}, "recording"},
		{"empty", "{customer}", FileNameFields{}, "recording"},
		{"reserved device name", "{customer}", FileNameFields{Customer: "CON"}, "_CON"},
		{"unicode kept", "{customer}", FileNameFields{Customer: "Zoë Ångström"}, "Zoë_Ångström"},
		{"reserved name at the length limit (found by FuzzFileName)", "{customer}", FileNameFields{Customer: "CON." + strings.Repeat("0", 300)}, "_CON." + strings.Repeat("0", 195)},
		{"a cut never ends in a dot", "{customer}", FileNameFields{Customer: strings.Repeat("a", 199) + ".b"}, strings.Repeat("a", 199)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FileName(tc.tmpl, tc.f, nil)
			if err != nil || got != tc.want {
				t.Fatalf("FileName = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestFileNameNeverCollides(t *testing.T) { // R-H4
	taken := map[string]bool{}
	for range 5 {
		name, err := FileName("{agent}", FileNameFields{Agent: "ada"}, func(s string) bool { return taken[s] })
		if err != nil {
			t.Fatal(err)
		}
		if taken[name] {
			t.Fatalf("R-H4: %q given twice", name)
		}
		taken[name] = true
	}
	if !taken["ada"] || !taken["ada-5"] {
		t.Fatalf("names: %v", taken)
	}
}

func TestFileNameTemplateErrors(t *testing.T) {
	for tmpl, want := range map[string]string{
		"{date":         "never closed",
		"date}":         "without '{'",
		"{dat}-{agent}": "unknown placeholder {dat}",
	} {
		if err := ValidateFileNameTemplate(tmpl); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", tmpl, err, want)
		}
	}
}

func FuzzFileName(f *testing.F) {
	f.Add("../x", "a/b")
	f.Add("\x00", "CON.txt")
	f.Fuzz(func(t *testing.T, customer, agent string) {
		name, err := FileName("{customer}_{agent}", FileNameFields{Customer: customer, Agent: agent}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if name == "" || name == "." || name == ".." || len(name) > maxFileName || strings.ContainsAny(name, "/\\\x00") {
			t.Fatalf("unsafe name %q", name)
		}
		if !utf8.ValidString(name) {
			t.Fatalf("invalid UTF-8 name %q", name)
		}
	})
}
