package hub

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/hub/store"
)

// csvDo runs GET url with token and accept, and returns the status, the
// Content-Type and the body.
func csvDo(t *testing.T, url, token, accept string) (int, string, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), b
}

// Issue 12 point 3 (R-V5, R-V9): GET /v1/recordings?…&format=csv (or
// Accept: text/csv) exports every recording the search matches, past its
// pages, with each stored file's id, SHA-256 and size; no cell can be read
// as a formula (CSV injection); only a caller who may export gets it (the
// flow's token: 403), and every export, allowed or not, is in the access
// log.
func TestRecordingExportCSV(t *testing.T) {
	r := recHub(t, func(c *Config) { c.Recording.MetadataTags = []string{"case"} })
	r.press(t, "record")
	r.say(t, "hello")
	r.finishWrapped(t, sessionWrap("Resolved", map[string]string{"case": "=HYPERLINK(\"http://evil\")"}))
	first := r.chat
	r.next(t, "@SUM(A1)")
	r.press(t, "snip")
	r.say(t, "bye")
	r.finish(t)
	second := r.chat
	f := store.File{Name: "a.webm", Path: "a.webm", SHA256: strings.Repeat("ab", 32), Size: 4242, Interaction: first,
		Recording: first + "-record-1", Manifest: []byte(`{"tracks":[{"type":"audio","codec":"opus"}]}`)}
	if err := r.s.Store().PutFile(context.Background(), &f); err != nil {
		t.Fatal(err)
	}
	code, ctype, body := csvDo(t, r.http+"/v1/recordings?agent=grace&format=csv&limit=1", "t-sue", "")
	if code != http.StatusOK || !strings.HasPrefix(ctype, "text/csv") {
		t.Fatalf("export: %d %s %s", code, ctype, body)
	}
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || strings.Join(rows[0], ",") != strings.Join(store.CSVHeader, ",") {
		t.Fatalf("export: header and two rows (limit=1 does not bound it), got %d rows: %q", len(rows), rows)
	}
	col := func(row []string, name string) string {
		for i, h := range store.CSVHeader {
			if h == name {
				return row[i]
			}
		}
		t.Fatalf("no column %s", name)
		return ""
	}
	a, b := rows[1], rows[2]
	if col(a, "interaction") != first || col(a, "file_ids") != f.ID || col(a, "file_sha256") != f.SHA256 ||
		col(a, "file_sizes") != "4242" || col(a, "voice") != "true" || col(a, "disposition") != "Resolved" {
		t.Errorf("the first row: %q", a)
	}
	if got := col(a, "tags"); got != `case==HYPERLINK("http://evil")` { // a formula only at a cell's start
		t.Errorf("tags cell %q", got)
	}
	if col(b, "interaction") != second || col(b, "customer") != "'@SUM(A1)" || col(b, "kind") != "snip" {
		t.Errorf("the second row (its customer must not be a formula): %q", b)
	}
	for _, row := range rows[1:] {
		for i, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
				t.Errorf("column %s begins with %q: a spreadsheet would run it", store.CSVHeader[i], cell[:1])
			}
		}
	}
	// Accept: text/csv asks the same; a search narrows it.
	code, _, body = csvDo(t, r.http+"/v1/recordings?kind=snip", "t-sue", "text/csv;q=0.9, application/json;q=0.5")
	if rows, _ := csv.NewReader(bytes.NewReader(body)).ReadAll(); code != http.StatusOK || len(rows) != 2 || rows[1][1] != second {
		t.Errorf("Accept text/csv, kind=snip: %d %q", code, body)
	}
	// The flow may not export; a bad parameter is still a 400 in words.
	code, _, body = csvDo(t, r.http+"/v1/recordings?format=csv", "t-ivr", "")
	if code != http.StatusForbidden || !strings.Contains(string(body), `"forbidden"`) {
		t.Errorf("the flow's export: %d %s", code, body)
	}
	code, _, body = csvDo(t, r.http+"/v1/recordings?format=csv&voice=maybe", "t-sue", "")
	if code != http.StatusBadRequest || !strings.Contains(string(body), "voice:") {
		t.Errorf("a bad parameter: %d %s", code, body)
	}
	// Every export is in the access log (R-V9), newest first.
	p, err := r.s.Store().Accesses(context.Background(), store.AccessFilter{Action: store.ActionExport})
	if err != nil {
		t.Fatal(err)
	}
	var log []string
	for _, a := range p.Accesses {
		log = append(log, a.User+" "+a.Outcome+" "+a.Query)
	}
	want := []string{"ivr denied ", "sue ok kind=snip", "sue ok agent=grace"}
	if strings.Join(log, "\n") != strings.Join(want, "\n") {
		t.Errorf("access log:\n%s\nwant\n%s", strings.Join(log, "\n"), strings.Join(want, "\n"))
	}
}
