package hub

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agentdesk/agentdesk/hub/api"
	"github.com/agentdesk/agentdesk/hub/auth"
	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/session"
	"github.com/agentdesk/agentdesk/uploader"
	"github.com/agentdesk/agentdesk/uploader/hubsink"
)

// uploadPart sends a recording file as agent token's desktop does (its
// real client, uploader/hubsink, with the manifest the combiner writes)
// and returns the stored file's id.
func uploadPart(t *testing.T, httpBase, token, agent, chat, rec, name string, made time.Time, data []byte) string {
	t.Helper()
	sink, err := hubsink.New(httpBase, token, hubsink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	var stored string
	item := uploader.Item{ID: name, Name: name, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]),
		Manifest:   uploader.Manifest{Version: 1, Recording: rec, Interaction: chat, Agent: agent, Kind: "dynamic", Created: made},
		SaveResume: func(string) error { return nil }, Stored: func(id string) { stored = id }}
	if err := sink.Put(testCtx(t, 30*time.Second), item, bytes.NewReader(data), nil); err != nil {
		t.Fatalf("%s's upload: %v", agent, err)
	}
	if stored == "" {
		t.Fatalf("%s's upload: no stored id", agent)
	}
	return stored
}

// TestTransferredRecordingParts_R_G1: a recording that goes on across a
// transfer is captured by two desktops, Ada's until the transfer and
// Alan's after it (issue 14 point 7); each uploads its own part, and the
// store joins them: GET /v1/recordings lists one recording naming both
// agents (R-G1: a transferred chat's recording names every agent who
// handled it), its files the two parts in the order they were made, each
// with the agent who captured it, whatever order they were uploaded in.
// Each part plays from the store.
func TestTransferredRecordingParts_R_G1(t *testing.T) {
	var users []auth.User
	for _, u := range []auth.User{{ID: "sup", Role: api.RoleSupervisor, Team: "north"}, {ID: "far", Role: api.RoleSupervisor, Team: "south"}} {
		h, err := auth.HashPassword("password-" + u.ID)
		if err != nil {
			t.Fatal(err)
		}
		u.Password = h
		users = append(users, u)
	}
	_, base := startHub(t, partyConfig(func(c *Config) {
		c.Store.Dir = t.TempDir()
		c.Teams = []auth.Team{{Name: "north"}, {Name: "south"}}
		c.Users = users
		c.Agents[0].Team, c.Agents[2].Team = "north", "north" // ada, alan
	}))
	httpBase := "http" + strings.TrimPrefix(base, "ws")
	ada, cust, chat := partyChat(t, base)
	if code, body := apiDo(t, http.MethodPost, httpBase+"/v1/recording", "t-sue", `{"operation":3013,"interaction":"`+chat+`","id":"dyn-1"}`); code != http.StatusOK {
		t.Fatalf("start: %d %s", code, body)
	}
	recFrame(ada)
	alan, _ := agentLogin(t, base, "t-alan", true)
	transferTo(t, ada, alan, chat, session.InviteRequest{Agent: "alan"})
	code, body := postFile(t, httpBase, chat, joinedResume(t, cust), "receipt.png", pngBytes) // R-I6: part of the recording
	var sent session.FileAnswer
	if code != http.StatusCreated || json.Unmarshal(body, &sent) != nil || sent.Line.File == nil {
		t.Fatalf("the customer's file: %d %s", code, body)
	}
	finishChat(t, alan, chat)

	// Alan's desktop uploads at once; Ada's was offline and uploads after
	// it, though her part came first.
	adaMade := time.Now().Add(-time.Minute).UTC()
	alanData, adaData := randomBytes(t, 48<<10), randomBytes(t, 32<<10)
	alanID := uploadPart(t, httpBase, "t-alan", "alan", chat, "dyn-1", "dyn-1.webm.age", adaMade.Add(30*time.Second), alanData)
	adaID := uploadPart(t, httpBase, "t-ada", "ada", chat, "dyn-1", "dyn-1.webm.age", adaMade, adaData)

	l := listed(t, base, chat)
	if len(l.Recordings) != 1 || len(l.Dropped) != 0 {
		t.Fatalf("one recording, not %d (dropped %d): %+v", len(l.Recordings), len(l.Dropped), l.Recordings)
	}
	r := l.Recordings[0]
	if r.ID != "dyn-1" || !slices.Equal(r.Agents, []string{"ada", "alan"}) {
		t.Fatalf("R-G1: the recording names every agent who handled it: %s %v", r.ID, r.Agents)
	}
	got := func(f []store.FileRef) []string {
		var out []string
		for _, x := range f {
			out = append(out, x.ID+" by "+x.Agent)
		}
		return out
	}(r.Files)
	if want := []string{adaID + " by ada", alanID + " by alan"}; !slices.Equal(got, want) {
		t.Fatalf("the parts, in the order they were made, with who captured each: %v, want %v", got, want)
	}
	if r.Files[0].Name == r.Files[1].Name {
		t.Fatalf("two parts stored under one name: %+v", r.Files)
	}
	for id, want := range map[string][]byte{adaID: adaData, alanID: alanData} {
		if code, body, _ := getFile(t, httpBase, id, "", "t-sue", nil); code != http.StatusOK || !bytes.Equal(body, want) {
			t.Fatalf("part %s: %d, %d bytes", id, code, len(body))
		}
	}

	// The web app's recording page lists the parts with who captured
	// each, each playable, and the file the customer sent (R-I6), which
	// downloads for those who may see the recording and for nobody else.
	sup := newAppClient(t, httpBase)
	if !sup.login("sup", "password-sup") {
		t.Fatal("sup cannot log in")
	}
	code, page := sup.do(http.MethodGet, "/app/recordings/dyn-1", nil)
	partRE := regexp.MustCompile(`href="/app/recordings/dyn-1\?file=([^"]+)" class="part">[^<]*</a> captured by <span class="agent">(\w+)</span>`)
	var parts []string
	for _, m := range partRE.FindAllStringSubmatch(page, -1) {
		parts = append(parts, m[1]+" by "+m[2])
	}
	if want := []string{adaID + " by ada", alanID + " by alan"}; code != http.StatusOK || !slices.Equal(parts, want) {
		t.Fatalf("the recording page's parts: %d %v, want %v", code, parts, want)
	}
	if !strings.Contains(page, `href="/app/recordings/dyn-1?file=`+alanID+`" id="next-part">Next part, captured by alan`) {
		t.Fatal("the first part's page does not lead to the next part")
	}
	if code, page := sup.do(http.MethodGet, "/app/recordings/dyn-1?file="+alanID, nil); code != http.StatusOK || strings.Contains(page, `id="next-part"`) ||
		!strings.Contains(page, `src="/app/recordings/dyn-1/media?file=`+alanID+`"`) {
		t.Fatalf("the second part does not play on its page: %d", code)
	}
	link := "/app/recordings/dyn-1/chatfiles/" + sent.Line.File.ID
	if !strings.Contains(page, `href="`+link+`"`) || !strings.Contains(page, "receipt.png") {
		t.Fatal("the recording page does not list the file sent in the chat")
	}
	if code, got := sup.do(http.MethodGet, link, nil); code != http.StatusOK || got != string(pngBytes) {
		t.Fatalf("the chat's file from the recording page: %d %q", code, got)
	}
	far := newAppClient(t, httpBase)
	if !far.login("far", "password-far") {
		t.Fatal("far cannot log in")
	}
	if code, _ := far.do(http.MethodGet, link, nil); code != http.StatusNotFound {
		t.Fatalf("a supervisor of another team gets the chat's file: %d", code)
	}
	if code, _ := sup.do(http.MethodGet, "/app/recordings/dyn-1/chatfiles/"+strings.Repeat("0", 64), nil); code != http.StatusNotFound {
		t.Fatalf("a file not in the recording: %d", code)
	}
}
