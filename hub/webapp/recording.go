package webapp

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/agentdesk/agentdesk/hub/store"
)

type lineView struct {
	At    float64
	Who   string
	From  string
	Text  string
	InCut bool // said while the recording was stopped: shown at the cut
}

type chapterView struct {
	Chapter
	X, W float64 // on a 1000-wide timeline
}

type bookmarkView struct {
	Bookmark
	Own bool
}

type recordingPage struct {
	Rec        store.Recording
	Length     float64
	Lines      []lineView
	Chapters   []chapterView
	Pauses     bool
	Bookmarks  []bookmarkView
	MediaURL   string
	NeedReason bool
	File       *store.FileRef
	History    *historyView // who accessed it (nil: not the user's to see)
}

// fileOf picks the stored file to play: the one asked for, or the first.
func fileOf(rec store.Recording, id string) (store.FileRef, bool) {
	for _, f := range rec.Files {
		if id == "" || f.ID == id {
			return f, true
		}
	}
	return store.FileRef{}, false
}

func (a *App) recording(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r.Context())
	u := *s.user
	rec, err := a.b.Recording(r.Context(), u, r.PathValue("id"))
	if errors.Is(err, ErrNotFound) {
		a.logAccess(r, Access{Action: "view", Recording: r.PathValue("id"), Outcome: OutcomeNotFound})
		a.notFound(w, r)
		return
	}
	if err != nil {
		a.unavailable(w, r, "a recording", err)
		return
	}
	a.logAccess(r, recAccess("view", rec))
	tl := NewTimeline(rec)
	p := recordingPage{Rec: rec, Length: tl.Length().Seconds()}
	for _, l := range rec.Lines {
		at, in := tl.Map(l.At)
		who := l.Name
		if who == "" {
			who = l.From
		}
		p.Lines = append(p.Lines, lineView{At: at.Seconds(), Who: who, From: l.From, Text: l.Text, InCut: !in})
	}
	slices.SortStableFunc(p.Lines, func(x, y lineView) int {
		switch {
		case x.At < y.At:
			return -1
		case x.At > y.At:
			return 1
		}
		return 0
	})
	for _, c := range tl.Chapters(rec.Log) {
		cv := chapterView{Chapter: c}
		if p.Length > 0 {
			cv.X, cv.W = 1000*c.Start/p.Length, 1000*(c.End-c.Start)/p.Length
		}
		p.Pauses = p.Pauses || c.Kind == "pause"
		p.Chapters = append(p.Chapters, cv)
	}
	p.Bookmarks = a.bookmarks(r, u, rec.ID)
	p.History = a.history(r, u, rec.ID)
	if f, ok := fileOf(rec, r.URL.Query().Get("file")); ok {
		p.File = &f
		var reason string
		a.sessions.with(func() { reason = s.reasons[rec.ID] })
		p.NeedReason = a.b.Rights(u).Reason && reason == ""
		if !p.NeedReason {
			p.MediaURL = "/app/recordings/" + rec.ID + "/media?file=" + f.ID
		}
	}
	a.render(w, r, http.StatusOK, "recording", p)
}

func (a *App) bookmarks(r *http.Request, u User, rec string) []bookmarkView {
	bs, err := a.b.Bookmarks(r.Context(), u, rec)
	if err != nil {
		a.o.Log.Error("webapp: bookmarks", "err", err)
		return nil
	}
	out := make([]bookmarkView, 0, len(bs))
	for _, b := range bs {
		out = append(out, bookmarkView{Bookmark: b, Own: b.By == u.ID})
	}
	return out
}

// media serves the recording's decrypted file with Range, once access is
// decided: in scope, and the reason given when the role needs one.
func (a *App) media(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r.Context())
	u := *s.user
	rec, err := a.b.Recording(r.Context(), u, r.PathValue("id"))
	if errors.Is(err, ErrNotFound) {
		a.logAccess(r, Access{Action: "play", Recording: r.PathValue("id"), Outcome: OutcomeNotFound})
		http.Error(w, "no such recording, or not yours to see", http.StatusNotFound)
		return
	}
	if err != nil {
		http.Error(w, "the store cannot be read just now", http.StatusServiceUnavailable)
		return
	}
	f, ok := fileOf(rec, r.URL.Query().Get("file"))
	if !ok {
		http.Error(w, "no such file of this recording", http.StatusNotFound)
		return
	}
	var reason string
	var first bool
	a.sessions.with(func() {
		reason = s.reasons[rec.ID]
		first = !s.played[rec.ID]
		s.played[rec.ID] = true
	})
	if a.b.Rights(u).Reason && reason == "" {
		a.sessions.with(func() { delete(s.played, rec.ID) })
		acc := recAccess("play", rec)
		acc.Outcome = OutcomeDenied
		a.logAccess(r, acc)
		http.Error(w, "give a reason to play this recording first (on its page)", http.StatusForbidden)
		return
	}
	if first {
		acc := recAccess("play", rec)
		acc.Reason = reason
		a.logAccess(r, acc)
	}
	a.b.ServeMedia(w, r, rec, f)
}

const maxReason, maxComment = 200, 500

func (a *App) giveReason(w http.ResponseWriter, r *http.Request) {
	s := sessionOf(r.Context())
	id := r.PathValue("id")
	if _, err := a.b.Recording(r.Context(), *s.user, id); err != nil {
		a.notFound(w, r)
		return
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if reason == "" || utf8.RuneCountInString(reason) > maxReason {
		a.render(w, r, http.StatusBadRequest, "message", messagePage{Title: "A reason is needed",
			Message: "Say why you play this recording (at most 200 characters): it is kept with the access.", Back: "/app/recordings/" + id})
		return
	}
	a.sessions.with(func() { s.reasons[id] = reason })
	next := "/app/recordings/" + id
	if f := r.PostFormValue("fragment"); fragment.MatchString(f) {
		next += f
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// fromScript: the request came from player.js (fetch with the token in a
// header), which wants the bookmark list back rather than a redirect.
func fromScript(r *http.Request) bool { return r.Header.Get("X-CSRF-Token") != "" }

func (a *App) addBookmark(w http.ResponseWriter, r *http.Request) {
	u := *sessionOf(r.Context()).user
	rec, err := a.b.Recording(r.Context(), u, r.PathValue("id"))
	if err != nil {
		a.notFound(w, r)
		return
	}
	at, err := strconv.ParseFloat(r.PostFormValue("t"), 64)
	comment := strings.TrimSpace(r.PostFormValue("comment"))
	length := NewTimeline(rec).Length().Seconds()
	if err != nil || at < 0 || at > length+1 || at != at || comment == "" || utf8.RuneCountInString(comment) > maxComment {
		msg := "A bookmark needs a comment (at most 500 characters) and a moment within the recording."
		if fromScript(r) {
			http.Error(w, msg, http.StatusBadRequest)
			return
		}
		a.render(w, r, http.StatusBadRequest, "message", messagePage{Title: "Not saved", Message: msg, Back: "/app/recordings/" + rec.ID})
		return
	}
	b, err := a.b.AddBookmark(r.Context(), u, Bookmark{Recording: rec.ID, By: u.ID, At: at, Comment: comment})
	acc := recAccess("bookmark", rec)
	acc.Query = url.Values{"op": {"add"}, "id": {b.ID}, "t": {strconv.FormatFloat(at, 'f', 1, 64)}}.Encode()
	if err != nil {
		acc.Outcome = OutcomeFailed
	}
	a.logAccess(r, acc) // the comment stays out of the audit log, which nothing erases
	if err != nil {
		a.unavailable(w, r, "save a bookmark", err)
		return
	}
	a.bookmarksDone(w, r, u, rec.ID, "#t="+strconv.FormatFloat(b.At, 'f', 1, 64))
}

func (a *App) deleteBookmark(w http.ResponseWriter, r *http.Request) {
	u := *sessionOf(r.Context()).user
	id := r.PathValue("id")
	rec, err := a.b.Recording(r.Context(), u, id)
	if err != nil {
		a.notFound(w, r)
		return
	}
	err = a.b.DeleteBookmark(r.Context(), u, id, r.PathValue("bid"))
	acc := recAccess("bookmark", rec)
	acc.Query = url.Values{"op": {"delete"}, "id": {r.PathValue("bid")}}.Encode()
	switch {
	case errors.Is(err, ErrNotFound):
		acc.Outcome = OutcomeNotFound
	case err != nil:
		acc.Outcome = OutcomeFailed
	}
	a.logAccess(r, acc)
	if errors.Is(err, ErrNotFound) {
		a.render(w, r, http.StatusNotFound, "message", messagePage{Title: "Not deleted",
			Message: "No such bookmark of yours on this recording.", Back: "/app/recordings/" + id})
		return
	}
	if err != nil {
		a.unavailable(w, r, "delete a bookmark", err)
		return
	}
	a.bookmarksDone(w, r, u, id, "")
}

// bookmarksDone answers a bookmark change: the list for player.js, or
// back to the page.
func (a *App) bookmarksDone(w http.ResponseWriter, r *http.Request, u User, rec, frag string) {
	if !fromScript(r) {
		http.Redirect(w, r, "/app/recordings/"+rec+frag, http.StatusSeeOther)
		return
	}
	var buf bytes.Buffer
	t := a.pages.byName["recording"]
	v := view{User: &u, CSRF: sessionOf(r.Context()).csrf, Page: recordingPage{Rec: store.Recording{ID: rec}, Bookmarks: a.bookmarks(r, u, rec)}}
	if err := t.ExecuteTemplate(&buf, "bookmarks", v); err != nil {
		http.Error(w, "the list could not be drawn", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}
