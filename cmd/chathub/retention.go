package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/agentdesk/agentdesk/hub"
	"github.com/agentdesk/agentdesk/hub/api"
	"github.com/agentdesk/agentdesk/hub/retention"
	"github.com/agentdesk/agentdesk/hub/store"
)

const retentionUsage = `chathub retention, chathub hold — retention, legal holds and erasure
(issue 13, docs/retention.md). Each asks the running hub over its API, as a
compliance officer or an admin: the hub holds its store and applies the
rules, checks the holds and audits every action; nothing here opens the
store folder.

Usage:
  chathub retention run --dry-run      list what the rules would archive and
                                       purge now, and why (and what a legal
                                       hold stops)
  chathub retention run                archive and purge it now
  chathub retention restore RECORDING --reason WHY [--interaction ID]
                                       move an archived recording back
  chathub retention erase RECORDING --reason WHY [--interaction ID]
                                       erase a recording (GDPR art. 17): its
                                       file, transcript and index rows go; a
                                       tombstone with its hash stays
  chathub hold list [--all]            the legal holds in force (--all: lifted
                                       ones too)
  chathub hold place --recording ID [--interaction ID] --reason WHY
  chathub hold place --matter NAME (--search SAVED | --query Q) --reason WHY
                                       a hold on one recording, or on a matter
                                       covering one of your saved searches (its
                                       name or id) or a search query, such as
                                       "agent=ada&from=2026-01-01"
  chathub hold lift HOLD --reason WHY

Flags (each subcommand):
  --hub URL          the hub, e.g. https://hub.example.org (default: $CHATHUB_URL,
                     else http://127.0.0.1:8080)
  --token-file FILE  a file holding your API token (chathub user token);
                     default: $CHATHUB_TOKEN. Never on the command line.
  --json             print the hub's JSON answer as it is

Exit codes: 0 done; 1 the hub refused (on hold, immutable, not found…);
2 bad arguments; 3 the hub cannot be reached or the token read.
`

// Exit codes of chathub retention and hold.
const (
	retOK      = 0
	retRefused = 1
	retUsage   = 2
	retUnread  = 3
)

// retentionCmd holds what every retention and hold subcommand takes.
type retentionCmd struct {
	hubURL, token string
	json          bool
	stdout        io.Writer
	stderr        io.Writer
	name          string // "retention" or "hold"
}

// runRetention is `chathub retention …` and `chathub hold …` (name).
func runRetention(ctx context.Context, name string, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, retentionUsage)
		return retOK
	}
	verb, rest := args[0], args[1:]
	fs := flag.NewFlagSet("chathub "+name+" "+verb, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	hubURL := fs.String("hub", "", "the hub's URL")
	tokenFile := fs.String("token-file", "", "a file holding the API token")
	asJSON := fs.Bool("json", false, "print the hub's JSON")
	dry := fs.Bool("dry-run", false, "list only")
	reason := fs.String("reason", "", "why")
	interaction := fs.String("interaction", "", "the recording's interaction")
	recording := fs.String("recording", "", "the recording to hold")
	matter := fs.String("matter", "", "the matter's name")
	search := fs.String("search", "", "a saved search's name or id")
	query := fs.String("query", "", "a search query")
	all := fs.Bool("all", false, "lifted holds too")
	var pos []string
	for len(rest) > 0 {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(stdout, retentionUsage)
				return retOK
			}
			fmt.Fprintf(stderr, "chathub %s: %v\n", name, err)
			return retUsage
		}
		rest = fs.Args()
		if len(rest) > 0 {
			pos, rest = append(pos, rest[0]), rest[1:]
		}
	}
	c := retentionCmd{hubURL: *hubURL, json: *asJSON, stdout: stdout, stderr: stderr, name: name}
	if code := c.setup(*tokenFile); code != retOK {
		return code
	}
	one := func(what string) (string, bool) {
		if len(pos) != 1 {
			fmt.Fprintf(stderr, "chathub %s %s: give one %s\n", name, verb, what)
			return "", false
		}
		return pos[0], true
	}
	withInteraction := func(path string) string {
		if *interaction != "" {
			path += "?interaction=" + url.QueryEscape(*interaction)
		}
		return path
	}
	reasonBody := func() any { return hub.ReasonRequest{Reason: *reason} }
	switch name + " " + verb {
	case "retention run":
		if *dry {
			return c.call(ctx, http.MethodGet, "/v1/retention", nil, c.printReport)
		}
		return c.call(ctx, http.MethodPost, "/v1/retention/run", nil, c.printReport)
	case "retention restore", "retention erase":
		id, ok := one("recording id")
		if !ok {
			return retUsage
		}
		path, method := "/v1/recordings/"+url.PathEscape(id), http.MethodDelete
		if verb == "restore" {
			path, method = path+"/restore", http.MethodPost
		}
		return c.call(ctx, method, withInteraction(path), reasonBody(), c.printDone(verb+"d "+id))
	case "hold list":
		path := "/v1/holds"
		if *all {
			path += "?all=1"
		}
		return c.call(ctx, http.MethodGet, path, nil, c.printHolds)
	case "hold place":
		req := hub.HoldRequest{Recording: *recording, Interaction: *interaction, Matter: *matter, Search: *search, Query: *query, Reason: *reason}
		return c.call(ctx, http.MethodPost, "/v1/holds", req, c.printHold("placed"))
	case "hold lift":
		id, ok := one("hold id")
		if !ok {
			return retUsage
		}
		return c.call(ctx, http.MethodPost, "/v1/holds/"+url.PathEscape(id)+"/lift", reasonBody(), c.printHold("lifted"))
	}
	fmt.Fprintf(stderr, "chathub %s: unknown command %q\n\n%s", name, verb, retentionUsage)
	return retUsage
}

// setup finds the hub's URL and reads the token.
func (c *retentionCmd) setup(tokenFile string) int {
	if c.hubURL == "" {
		c.hubURL = os.Getenv("CHATHUB_URL")
	}
	if c.hubURL == "" {
		c.hubURL = "http://127.0.0.1:8080"
	}
	u, err := url.Parse(c.hubURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		fmt.Fprintf(c.stderr, "chathub %s: --hub %q is not an http or https URL\n", c.name, c.hubURL)
		return retUsage
	}
	c.hubURL = strings.TrimSuffix(c.hubURL, "/")
	c.token = os.Getenv("CHATHUB_TOKEN")
	if tokenFile != "" {
		b, err := os.ReadFile(tokenFile) // #nosec G304 G703 -- the operator names their token file
		if err != nil {
			fmt.Fprintf(c.stderr, "chathub %s: --token-file: %v\n", c.name, err)
			return retUnread
		}
		c.token = strings.TrimSpace(string(b))
	}
	if c.token == "" {
		fmt.Fprintf(c.stderr, "chathub %s: no token: give --token-file FILE (a compliance officer's or admin's API token, chathub user token) or set CHATHUB_TOKEN\n", c.name)
		return retUsage
	}
	return retOK
}

// call sends one request and prints its answer with show (or as JSON).
func (c *retentionCmd) call(ctx context.Context, method, path string, body any, show func([]byte) error) int {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			fmt.Fprintf(c.stderr, "chathub %s: %v\n", c.name, err)
			return retUsage
		}
		rd = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute) // a run over a large store takes a while
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, c.hubURL+path, rd)
	if err != nil {
		fmt.Fprintf(c.stderr, "chathub %s: %v\n", c.name, err)
		return retUsage
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req) // #nosec G704 -- the operator names their own hub
	if err != nil {
		fmt.Fprintf(c.stderr, "chathub %s: the hub at %s: %v (is it running?)\n", c.name, c.hubURL, err)
		return retUnread
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		fmt.Fprintf(c.stderr, "chathub %s: the hub's answer: %v\n", c.name, err)
		return retUnread
	}
	if resp.StatusCode/100 != 2 {
		var e api.Error
		msg := strings.TrimSpace(string(b))
		if json.Unmarshal(b, &e) == nil && e.Error.Message != "" {
			msg = e.Error.Code + ": " + e.Error.Message
		}
		if resp.StatusCode == http.StatusNotFound && e.Error.Code == "not_found" {
			msg += " (the token must be a compliance officer's or an admin's)"
		}
		fmt.Fprintf(c.stderr, "chathub %s: %s\n", c.name, msg)
		if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode >= 500 {
			return retUnread
		}
		return retRefused
	}
	if c.json {
		_, _ = c.stdout.Write(append(b, '\n'))
		return retOK
	}
	if err := show(b); err != nil {
		fmt.Fprintf(c.stderr, "chathub %s: the hub's answer: %v\n", c.name, err)
		return retUnread
	}
	return retOK
}

// printReport prints a dry run's or a run's list.
func (c *retentionCmd) printReport(b []byte) error {
	var rep retention.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ACTION\tRECORDING\tINTERACTION\tKIND\tQUEUE\tFINISHED\tAGE\tRULE\tOUTCOME")
	for _, it := range rep.Items {
		outcome := "would be done"
		switch {
		case it.Error != "":
			outcome = "failed: " + it.Error
		case it.Skipped != "":
			outcome = "skipped: " + it.Skipped
		case it.Done:
			outcome = "done"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", it.Action, it.Recording, it.Interaction, it.Kind, it.Queue,
			it.Finished.UTC().Format(time.DateOnly), it.Age, it.Rule, outcome)
	}
	_ = tw.Flush()
	verb := "done"
	if rep.DryRun {
		verb = "would be done (dry run: nothing changed)"
	}
	fmt.Fprintf(c.stdout, "%d to archive, %d to purge %s; %d skipped, %d failed\n", rep.Archived, rep.Purged, verb, rep.Skipped, rep.Failed)
	return nil
}

// printHolds prints the holds.
func (c *retentionCmd) printHolds(b []byte) error {
	var l hub.HoldList
	if err := json.Unmarshal(b, &l); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HOLD\tON\tPLACED\tBY\tREASON\tLIFTED")
	for _, h := range l.Holds {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", h.ID, holdTarget(h), h.PlacedAt.UTC().Format(time.DateOnly), h.PlacedBy, h.Reason, lifted(h))
	}
	return tw.Flush()
}

func holdTarget(h store.Hold) string {
	if h.Matter != "" {
		return "matter " + h.Matter + " (" + h.Query + ")"
	}
	return "recording " + h.Recording + " of " + h.Interaction
}

func lifted(h store.Hold) string {
	if h.Active() {
		return "-"
	}
	return h.LiftedAt.UTC().Format(time.DateOnly) + " by " + h.LiftedBy + ": " + h.LiftReason
}

// printHold prints one hold placed or lifted.
func (c *retentionCmd) printHold(what string) func([]byte) error {
	return func(b []byte) error {
		var h store.Hold
		if err := json.Unmarshal(b, &h); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "legal hold %s %s: %s\n", h.ID, what, holdTarget(h))
		return nil
	}
}

// printDone prints a restore's or an erasure's outcome.
func (c *retentionCmd) printDone(what string) func([]byte) error {
	return func(b []byte) error {
		var ans hub.ErasureAnswer
		if err := json.Unmarshal(b, &ans); err != nil {
			return err
		}
		fmt.Fprintln(c.stdout, what)
		for _, t := range ans.Tombstones {
			fmt.Fprintf(c.stdout, "  tombstone: file %s sha256 %s size %d\n", t.File, t.SHA256, t.Size)
		}
		return nil
	}
}
