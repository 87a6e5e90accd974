package api

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
)

func TestTokensLookup(t *testing.T) {
	toks := NewTokens(
		Token{Secret: "t-ada", Caller: Caller{Role: RoleAgent, ID: "ada"}},
		Token{Secret: "t-sue", Caller: Caller{Role: RoleSupervisor, ID: "sue"}},
		Token{Secret: "", Caller: Caller{Role: RoleSupervisor, ID: "nobody"}},
	)
	cases := []struct {
		name, header, query string
		allowQuery          bool
		want                Caller
		ok                  bool
	}{
		{"agent bearer", "Bearer t-ada", "", false, Caller{Role: RoleAgent, ID: "ada"}, true},
		{"supervisor bearer", "Bearer t-sue", "", false, Caller{Role: RoleSupervisor, ID: "sue"}, true},
		{"wrong token", "Bearer t-eve", "", false, Caller{}, false},
		{"empty bearer never matches an empty secret", "Bearer ", "", false, Caller{}, false},
		{"no header", "", "", false, Caller{}, false},
		{"query refused unless allowed", "", "t-sue", false, Caller{}, false},
		{"query when allowed", "", "t-sue", true, Caller{Role: RoleSupervisor, ID: "sue"}, true},
		{"basic auth is not bearer", "Basic t-ada", "", false, Caller{}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/x?access_token="+c.query, nil)
			if c.header != "" {
				r.Header.Set("Authorization", c.header)
			}
			got, ok := toks.FromRequest(r, c.allowQuery)
			if got != c.want || ok != c.ok {
				t.Fatalf("got %+v %v, want %+v %v", got, ok, c.want, c.ok)
			}
		})
	}
}

func TestWriteError(t *testing.T) {
	w := httptest.NewRecorder()
	WriteError(w, 404, ErrNoSuchFile, "no file %q", "x")
	var e Error
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || w.Code != 404 || e.Error.Code != ErrNoSuchFile || e.Error.Message != `no file "x"` {
		t.Fatalf("%d %s %v", w.Code, w.Body, err)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("content type %q", ct)
	}
}
