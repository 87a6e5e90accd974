package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/agentdesk/agentdesk/hub"
	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/ui/script"
	"github.com/agentdesk/agentdesk/ui/script/simcustomers"
)

// runOnDemo runs a script of the suite on a demo of the suite's hub config,
// as `agentdesk demo --config testdata/scripts/hub.yaml --script FILE
// --events E` does, and returns the running demo (for its hub) and the
// events log. The script must pass.
func runOnDemo(t *testing.T, name string) (*demo, []map[string]any) {
	t.Helper()
	raw, err := os.ReadFile(suiteConfig)
	if err != nil {
		t.Fatal(err)
	}
	s, err := script.Load(filepath.Join(suiteDir, name), nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := startDemo(t.Context(), demoOptions{Config: raw, Customers: 0})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	evPath := filepath.Join(t.TempDir(), "events.jsonl")
	events, err := script.CreateEventLog(evPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := simcustomers.New(d.URL)
	defer c.Close()
	setup := &scriptSetup{script: s, events: events, cols: script.DefaultCols, rows: script.DefaultRows, flags: &scriptFlags{}}
	var out, errb bytes.Buffer
	err = setup.run(t.Context(), d.Client, scriptPeers{customers: c, hub: d.Net, api: d.recordingAPI()}, &out, &errb)
	if cerr := events.Close(); cerr != nil {
		t.Fatal(cerr)
	}
	if err != nil {
		t.Fatalf("%s: %v\n%s%s", name, err, out.String(), errb.String())
	}
	return d, readEvents(t, evPath)
}

// recordings reads GET /v1/recordings of the demo hub with the supervisor
// token, as a supervisor's tool would.
func recordings(t *testing.T, d *demo) hub.RecordingList {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, d.URL+"/v1/recordings", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+d.APIToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/recordings: %s", resp.Status)
	}
	var l hub.RecordingList
	if err := json.NewDecoder(resp.Body).Decode(&l); err != nil {
		t.Fatal(err)
	}
	return l
}

// texts are the lines of a stored recording as "From: text", or the text
// alone for system lines.
func texts(sr store.Recording) []string {
	var out []string
	for _, l := range sr.Lines {
		if l.From != "" && l.From != "system" {
			out = append(out, l.From+": "+l.Text)
			continue
		}
		out = append(out, l.Text)
	}
	return out
}

// TestRecordedChatIsStored: after record-stop-continue.script recorded a
// chat in two parts and marked it done, the hub holds one recording (R-C6)
// of two parts (R-C1) with exactly the lines said while it was on (R-C5),
// delivered to the agent as an ad hoc Record is (R-C7). The events log has
// a recording event for each change (issue 3 point 3).
func TestRecordedChatIsStored(t *testing.T) {
	d, evs := runOnDemo(t, "record-stop-continue.script")
	l := recordings(t, d)
	if len(l.Recordings) != 1 || len(l.Live) != 0 || len(l.Dropped) != 0 {
		t.Fatalf("recordings %d, live %d, dropped %d; want exactly one finished recording", len(l.Recordings), len(l.Live), len(l.Dropped))
	}
	sr := l.Recordings[0]
	if sr.Kind != "record" || len(sr.Parts) != 2 || sr.Delivery != hub.DeliveryAgent || !sr.Produced || sr.Name == "" {
		t.Errorf("stored %+v; want one produced ad hoc record of 2 parts, delivered to the agent, named", sr)
	}
	got := texts(sr)
	told := hub.DefaultNoticeRecording // what the customer was told, as the recording starts
	want := []string{
		"Recording started (Record)", told, "customer: part one", "Recording stopped (Record)",
		"Recording continued (Record)", told, "customer: part two",
		"Ada Lovelace ended the chat", "Recording stopped (Record)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("recorded lines:\n%q\nwant exactly\n%q", got, want)
	}
	for _, l := range got {
		if strings.Contains(l, "before recording") || strings.Contains(l, "off the record") {
			t.Errorf("recorded %q, said while not recording (R-C5)", l)
		}
	}
	for _, want := range []map[string]any{
		{"kind": "recording", "recording": true, "paused": false},
		{"kind": "recording", "recording": false, "paused": false},
	} {
		if !hasEvent(evs, want) {
			t.Errorf("events log lacks %v", want)
		}
	}
	kinds := 0
	for _, ev := range evs {
		if ev["kind"] == "recording" && ev["recording"] == true {
			if k, _ := ev["kinds"].([]any); len(k) == 1 && k[0] == "record" && strings.Contains(ev["change"].(string), "Record") {
				kinds++
			}
		}
	}
	if kinds != 2 {
		t.Errorf("%d recording events with kinds [record] and the change in words, want 2 (start, continue)", kinds)
	}
}

// TestSnipRefusedSendsNothing: snip-refused-after-record.script presses s
// twice on a chat recorded with Record (R-C2); the desktop shows the reason
// and sends no snip press to the hub, while the record presses did go out.
func TestSnipRefusedSendsNothing(t *testing.T) {
	_, evs := runOnDemo(t, "snip-refused-after-record.script")
	presses := map[string]int{}
	for _, ev := range evs {
		if ev["kind"] != "proto" || ev["dir"] != "out" || ev["type"] != "record" {
			continue
		}
		data, _ := ev["data"].(map[string]any)
		b, _ := data["button"].(string)
		presses[b]++
	}
	if presses["record"] != 2 || presses["snip"] != 0 {
		t.Errorf("record frames sent by button: %v; want record 2, snip 0", presses)
	}
	if !hasEvent(evs, map[string]any{"kind": "key", "key": "s"}) {
		t.Error("the events log lacks the s key: the script did not press Snip")
	}
}

// TestAPIRecordingIsStored: the recording api-codes.script began with
// `api start id sue-1 record source partitions "quality,eu"` and continued
// by a second START keeps its id, side and partitions (R-G3), begun by a
// supervisor, in two parts; each api step is in the events log with its
// code, the refused ones with the API's error code.
func TestAPIRecordingIsStored(t *testing.T) {
	d, evs := runOnDemo(t, "api-codes.script")
	var sue *store.Recording
	l := recordings(t, d)
	for i, sr := range l.Recordings {
		if sr.ID == "sue-1" {
			sue = &l.Recordings[i]
		}
	}
	if sue == nil {
		t.Fatalf("no stored recording sue-1 in %+v", l)
	}
	if sue.Kind != "dynamic" || sue.Side != "source" || !slices.Equal(sue.Partitions, []string{"quality", "eu"}) ||
		len(sue.Parts) != 2 || sue.Delivery != hub.DeliveryStore {
		t.Errorf("sue-1 stored as %+v; want dynamic, source, [quality eu], 2 parts, to the store", sue)
	}
	if len(sue.Log) == 0 || sue.Log[0].By.Role != "supervisor" {
		t.Errorf("sue-1 log %+v; want it begun by the supervisor", sue.Log)
	}
	for _, want := range []map[string]any{
		{"kind": "api", "op": "3013", "ok": true},
		{"kind": "api", "op": "3014", "ok": true},
		{"kind": "api", "op": "3015", "ok": true},
		{"kind": "api", "op": "3016", "ok": true},
		{"kind": "api", "op": "3013", "ok": false, "code": "wrong_state", "status": 409.0},
		{"kind": "api", "op": "3014", "ok": false, "code": "no_such_recording", "status": 404.0},
		{"kind": "api", "op": "3015", "ok": false, "code": "no_such_interaction", "status": 404.0},
		{"kind": "recording", "observed": true},
	} {
		if !hasEvent(evs, want) {
			t.Errorf("events log lacks %v", want)
		}
	}
}
