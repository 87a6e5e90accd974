package webapp

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestSafeCSV (issue 13 point 3): a cell a spreadsheet would run as a
// formula starts with an apostrophe in an export; others are untouched.
func TestSafeCSV(t *testing.T) {
	in := []string{"=1+1", "+cmd", "-2", "@SUM(A1)", "\tx", "\rx", "ada", "", "a=b", "2026-12-03T09:00:00Z"}
	want := []string{"'=1+1", "'+cmd", "'-2", "'@SUM(A1)", "'\tx", "'\rx", "ada", "", "a=b", "2026-12-03T09:00:00Z"}
	if got := safeCSV(slices.Clone(in)); !slices.Equal(got, want) {
		t.Fatalf("safeCSV(%q) = %q, want %q", in, got, want)
	}
}

// TestParseAuditFilter: the audit page's filter from its query string; a
// bad one is a clear error.
func TestParseAuditFilter(t *testing.T) {
	day := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name, q string
		want    AuditFilter
		err     string
	}{
		{"empty", "", AuditFilter{}, ""},
		{"fields", "user=ada&recording=r-1&action=play&outcome=denied&before=40", AuditFilter{User: "ada", Recording: "r-1", Action: "play", Outcome: "denied", Before: 40}, ""},
		{"days: to includes its day", "from=2026-12-03&to=2026-12-03", AuditFilter{From: day, To: day.AddDate(0, 0, 1)}, ""},
		{"minutes", "from=2026-12-03T09:30&to=2026-12-03T09:45", AuditFilter{From: day.Add(9*time.Hour + 30*time.Minute), To: day.Add(9*time.Hour + 46*time.Minute)}, ""},
		{"not a date", "from=yesterday", AuditFilter{}, "is not a date"},
		{"backwards", "from=2026-12-04&to=2026-12-02", AuditFilter{}, "after from"},
		{"bad cursor", "before=-3", AuditFilter{}, "out of date"},
		{"too long", "user=" + strings.Repeat("x", 201), AuditFilter{}, "at most 200"},
	} {
		t.Run(c.name, func(t *testing.T) {
			q, _ := url.ParseQuery(c.q)
			f, err := parseAuditFilter(q)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want %q", err, c.err)
				}
				return
			}
			if err != nil || f != c.want {
				t.Fatalf("%+v %v, want %+v", f, err, c.want)
			}
		})
	}
}
