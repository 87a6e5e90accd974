package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"golang.org/x/term"

	"github.com/agentdesk/agentdesk/hub"
	"github.com/agentdesk/agentdesk/hub/api"
	"github.com/agentdesk/agentdesk/hub/auth"
)

const userUsage = `chathub user — the people of the recording store (issue 12)

Usage:
  chathub user list                          users, their roles, teams and tokens
  chathub user add ID --role ROLE [--team T] [--name "Full Name"]
                                             add a user and set their password
  chathub user passwd ID                     set a user's password
  chathub user token ID NAME                 make an API token for a user's
                                             scripts; printed once, only its
                                             SHA-256 is kept
  chathub user revoke ID NAME                delete a user's API token
  chathub user disable ID | enable ID        stop or allow a user's logins and tokens
  chathub user remove ID                     delete a user
  chathub user team NAME [--parent P]        add a team (under P)

Every command takes --users FILE (the users file), or --config FILE to use
its access.users_file and check teams against the config's own.

Roles: agent (their own ad hoc recordings), quality (their team tree's, for
evaluation, no snippets), supervisor (their team tree's, snippets too),
compliance (all but snippets; may export), admin (all; manages people).

A password is never taken from the command line: it is asked on the
terminal (twice, not echoed), or read as one line from standard input when
that is not a terminal (for scripts: echo "$PW" | chathub user …).
At least 10 characters. Stored as an argon2id hash; the file is written
0600 and a running hub reads it again within seconds.

Exit codes: 0 ok, 1 the file cannot be read or written, 2 bad arguments.
`

// runUser is `chathub user …`.
func runUser(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fail := func(code int, f string, a ...any) int {
		fmt.Fprintf(stderr, "chathub user: "+f+"\n", a...)
		return code
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, userUsage)
		return 0
	}
	verb, rest := args[0], args[1:]
	fs := flag.NewFlagSet("chathub user "+verb, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	usersPath := fs.String("users", "", "the users file")
	cfgPath := fs.String("config", "", "the hub config (for access.users_file)")
	role := fs.String("role", "", "the user's role")
	team := fs.String("team", "", "the user's team")
	name := fs.String("name", "", "the user's name")
	parent := fs.String("parent", "", "the team's parent")
	// Flags may come after the positional arguments: chathub user add sue --role supervisor.
	var pos []string
	for len(rest) > 0 {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(stdout, userUsage)
				return 0
			}
			if strings.Contains(err.Error(), "-password") {
				return fail(2, "no password on the command line (it would stay in the shell's history and the process list); it is asked for")
			}
			return fail(2, "%v\n\n%s", err, userUsage)
		}
		if fs.NArg() == 0 {
			break
		}
		pos, rest = append(pos, fs.Arg(0)), fs.Args()[1:]
	}
	var cfg *hub.Config
	if *cfgPath != "" {
		c, err := hub.LoadConfig(*cfgPath)
		if err != nil {
			return fail(2, "%v", err)
		}
		cfg = c
		if *usersPath == "" {
			*usersPath = c.Access.UsersFile
		}
	}
	if *usersPath == "" {
		return fail(2, "which users file? give --users FILE, or --config FILE whose access.users_file names one")
	}
	p, err := auth.ReadPeople(*usersPath)
	if err != nil {
		return fail(1, "%v", err)
	}
	want := func(n int, what string) bool {
		return len(pos) == n || fail(2, "%s %s: want %s", verb, strings.Join(pos, " "), what) == 0
	}
	find := func(id string) int {
		return slices.IndexFunc(p.Users, func(u auth.User) bool { return u.ID == id })
	}
	changed := true
	switch verb {
	case "list":
		changed = false
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tROLE\tTEAM\tNAME\tPASSWORD\tTOKENS")
		for _, u := range p.Users {
			pw := "set"
			switch {
			case u.Disabled:
				pw = "disabled"
			case u.Password == "":
				pw = "none"
			}
			var toks []string
			for _, t := range u.Tokens {
				toks = append(toks, t.Name)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Role, dash(u.Team), dash(u.Name), pw, dash(strings.Join(toks, ",")))
		}
		_ = tw.Flush()
		for _, t := range p.Teams {
			fmt.Fprintf(stdout, "team %s", t.Name)
			if t.Parent != "" {
				fmt.Fprintf(stdout, " (in %s)", t.Parent)
			}
			fmt.Fprintln(stdout)
		}
	case "add":
		if !want(1, "one user id") {
			return 2
		}
		if find(pos[0]) >= 0 {
			return fail(2, "user %q exists: use passwd to change their password", pos[0])
		}
		if !slices.Contains(api.Roles, *role) {
			return fail(2, "--role: want one of %s", strings.Join(api.Roles, ", "))
		}
		u := auth.User{ID: pos[0], Role: *role, Team: *team, Name: *name}
		if u.Password, err = askPassword(stdin, stderr, u.ID); err != nil {
			return fail(2, "%v", err)
		}
		p.Users = append(p.Users, u)
	case "passwd":
		if !want(1, "one user id") {
			return 2
		}
		i := find(pos[0])
		if i < 0 {
			return fail(2, "no user %q in %s", pos[0], *usersPath)
		}
		if p.Users[i].Password, err = askPassword(stdin, stderr, pos[0]); err != nil {
			return fail(2, "%v", err)
		}
	case "token":
		if !want(2, "a user id and a name for the token") {
			return 2
		}
		i := find(pos[0])
		if i < 0 {
			return fail(2, "no user %q in %s", pos[0], *usersPath)
		}
		if slices.ContainsFunc(p.Users[i].Tokens, func(t auth.UserToken) bool { return t.Name == pos[1] }) {
			return fail(2, "%s already has a token named %q: revoke it first", pos[0], pos[1])
		}
		secret, sum, err := auth.NewToken()
		if err != nil {
			return fail(1, "%v", err)
		}
		p.Users[i].Tokens = append(p.Users[i].Tokens, auth.UserToken{Name: pos[1], SHA256: sum})
		defer fmt.Fprintf(stdout, "%s\n", secret)
		fmt.Fprintf(stderr, "API token %q for %s (shown once; send it as Authorization: Bearer …):\n", pos[1], pos[0])
	case "revoke":
		if !want(2, "a user id and the token's name") {
			return 2
		}
		i := find(pos[0])
		if i < 0 {
			return fail(2, "no user %q in %s", pos[0], *usersPath)
		}
		n := len(p.Users[i].Tokens)
		p.Users[i].Tokens = slices.DeleteFunc(p.Users[i].Tokens, func(t auth.UserToken) bool { return t.Name == pos[1] })
		if len(p.Users[i].Tokens) == n {
			return fail(2, "%s has no token named %q", pos[0], pos[1])
		}
	case "disable", "enable", "remove":
		if !want(1, "one user id") {
			return 2
		}
		i := find(pos[0])
		if i < 0 {
			return fail(2, "no user %q in %s", pos[0], *usersPath)
		}
		if verb == "remove" {
			p.Users = slices.Delete(p.Users, i, i+1)
		} else {
			p.Users[i].Disabled = verb == "disable"
		}
	case "team":
		if !want(1, "one team name") {
			return 2
		}
		if slices.ContainsFunc(p.Teams, func(t auth.Team) bool { return t.Name == pos[0] }) {
			return fail(2, "team %q exists", pos[0])
		}
		p.Teams = append(p.Teams, auth.Team{Name: pos[0], Parent: *parent})
	default:
		return fail(2, "unknown command %q\n\n%s", verb, userUsage)
	}
	if !changed {
		return 0
	}
	check := p
	if cfg != nil {
		check = auth.People{Teams: cfg.Teams, Users: cfg.Users}.Merge(p)
	}
	if err := check.Validate(nil); err != nil {
		hint := ""
		if cfg == nil && onlyUnknownTeams(err) {
			hint = " (if the hub's config declares it, give --config FILE)"
		}
		return fail(2, "not written: %v%s", err, hint)
	}
	if err := auth.WritePeople(*usersPath, p); err != nil {
		return fail(1, "%v", err)
	}
	if verb != "token" {
		fmt.Fprintf(stdout, "%s: %s %s\n", *usersPath, verb, strings.Join(pos, " "))
	}
	return 0
}

// onlyUnknownTeams reports whether every problem is a team the users file
// does not declare (the hub's config may): without --config they cannot
// be checked.
func onlyUnknownTeams(err error) bool {
	for _, e := range strings.Split(err.Error(), "; ") {
		if !strings.Contains(e, ": no team ") {
			return false
		}
	}
	return true
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// askPassword reads a new password: twice, unechoed, on a terminal; one
// line of stdin otherwise. It returns its argon2id hash.
func askPassword(stdin io.Reader, stderr io.Writer, id string) (string, error) {
	var pw string
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) { // #nosec G115 -- a file descriptor
		fmt.Fprintf(stderr, "new password for %s: ", id)
		a, err := term.ReadPassword(int(f.Fd())) // #nosec G115 -- a file descriptor
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(stderr, "again: ")
		b, err := term.ReadPassword(int(f.Fd())) // #nosec G115 -- a file descriptor
		fmt.Fprintln(stderr)
		if err != nil {
			return "", err
		}
		if string(a) != string(b) {
			return "", errors.New("the two passwords differ; nothing changed")
		}
		pw = string(a)
	} else {
		line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
		if err != nil && line == "" {
			return "", errors.New("no password on standard input (one line)")
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	return auth.HashPassword(pw)
}
