package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/agentdesk/agentdesk/hub"
	"github.com/agentdesk/agentdesk/hub/audit"
	"github.com/agentdesk/agentdesk/hub/store"
	"github.com/agentdesk/agentdesk/hub/store/postgres"
	"github.com/agentdesk/agentdesk/hub/store/sqlite"
)

const auditUsage = `chathub audit — the tamper-evident audit log (issue 13, docs/audit.md)

Usage:
  chathub audit key --store DIR          print the verifier key of the hub's
                                         checkpoints (give it to whoever checks)
  chathub audit verify --store DIR [--checkpoint FILE]… [--checkpoints DIR]
                                         recompute the log's Merkle tree from
                                         its entries and check it against every
                                         signed checkpoint the store keeps and
                                         every one given (kept elsewhere)
  chathub audit prove --store DIR [--out FILE] ENTRY
                                         write the inclusion proof of entry
                                         ENTRY (its number, or the id of the
                                         access or stored file it audits) in
                                         the latest checkpoint
  chathub audit check-proof PROOF --key VERIFIER
                                         check a proof with the verifier key
                                         alone (no hub, no store)

--store is the hub's store folder (index.db and audit.key in it); the store
is opened read-only and may belong to a running hub. --config FILE takes
store.dir, audit.key_file and audit.checkpoint_dir from the hub's config. --key-file FILE names
the signing key when it is not DIR/audit.key; --key VERIFIER (the key or a
file holding it) is the verifier key, instead of the one derived from it.

Exit codes: 0 verified; 1 tampering found, or the proof does not check;
2 bad arguments; 3 the store, a key, a checkpoint or the proof cannot be
read.
`

// Exit codes of chathub audit.
const (
	auditOK       = 0
	auditTampered = 1
	auditUsage2   = 2
	auditUnread   = 3
)

// runAudit is `chathub audit …`.
func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fail := func(code int, f string, a ...any) int {
		fmt.Fprintf(stderr, "chathub audit: "+f+"\n", a...)
		return code
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, auditUsage)
		return auditOK
	}
	verb, rest := args[0], args[1:]
	fs := flag.NewFlagSet("chathub audit "+verb, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dir := fs.String("store", "", "the store folder")
	cfgPath := fs.String("config", "", "the hub config (store.dir, audit.key_file, audit.checkpoint_dir)")
	keyFile := fs.String("key-file", "", "the signing key")
	vkey := fs.String("key", "", "the verifier key, or a file holding it")
	out := fs.String("out", "", "where to write the proof")
	ckDir := fs.String("checkpoints", "", "a folder of checkpoints kept elsewhere")
	var ckFiles multi
	fs.Var(&ckFiles, "checkpoint", "a checkpoint kept elsewhere (repeatable)")
	var pos []string
	for len(rest) > 0 {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(stdout, auditUsage)
				return auditOK
			}
			return fail(auditUsage2, "%v", err)
		}
		rest = fs.Args()
		if len(rest) > 0 {
			pos, rest = append(pos, rest[0]), rest[1:]
		}
	}
	pgDSN := "" // the config's PostgreSQL store (store.driver: postgres)
	if *cfgPath != "" && verb != "check-proof" {
		cfg, err := hub.LoadConfig(*cfgPath)
		if err != nil {
			return fail(auditUnread, "%v", err)
		}
		pgDSN = cfg.Store.PostgresDSN()
		if *dir == "" {
			*dir = cfg.Store.Dir
		}
		if *keyFile == "" {
			*keyFile = cfg.Audit.KeyFile
		}
		if *ckDir == "" && verb == "verify" {
			*ckDir = cfg.Audit.CheckpointDir
		}
	}
	switch verb {
	case "key", "verify", "prove":
		if *dir == "" {
			return fail(auditUsage2, "%s: --store DIR (the hub's store folder) or --config FILE is required", verb)
		}
	case "check-proof":
		if len(pos) != 1 || *vkey == "" {
			return fail(auditUsage2, "check-proof: give the proof file (- for standard input) and --key VERIFIER")
		}
	default:
		return fail(auditUsage2, "unknown command %q\n\n%s", verb, auditUsage)
	}
	var verifier note.Verifier
	if *vkey != "" {
		v, err := readVerifier(*vkey)
		if err != nil {
			return fail(auditUnread, "%v", err)
		}
		verifier = v
	}
	if verb == "check-proof" {
		return checkProof(pos[0], verifier, stdout, stderr)
	}
	if *keyFile == "" {
		*keyFile = filepath.Join(*dir, audit.KeyFile)
	}
	if verifier == nil || verb == "key" {
		b, err := os.ReadFile(*keyFile) // #nosec G304 G703 -- the key file the operator names
		if err != nil {
			return fail(auditUnread, "the audit key: %v (give --key VERIFIER or --key-file FILE)", err)
		}
		k, err := audit.VerifierKey(strings.TrimSpace(string(b)))
		if err != nil {
			return fail(auditUnread, "the audit key %s: %v", *keyFile, err)
		}
		if verb == "key" {
			fmt.Fprintln(stdout, k)
			return auditOK
		}
		if verifier, err = note.NewVerifier(k); err != nil {
			return fail(auditUnread, "the audit key %s: %v", *keyFile, err)
		}
	}
	db, err := openAuditLog(ctx, *dir, pgDSN)
	if err != nil {
		return fail(auditUnread, "%v", err)
	}
	defer db.Close()
	switch verb {
	case "verify":
		extra, err := readCheckpoints(ckFiles, *ckDir)
		if err != nil {
			return fail(auditUnread, "%v", err)
		}
		rep, err := audit.Verify(ctx, db, verifier, extra)
		if err != nil {
			return fail(auditUnread, "verify: %v", err)
		}
		if !rep.OK() {
			fmt.Fprintf(stdout, "TAMPERED: the audit log of %d entries fails verification against %d signed checkpoints\n", rep.Size, rep.Checkpoints)
			for _, f := range rep.Findings {
				fmt.Fprintf(stdout, "  %s\n", f)
			}
			return auditTampered
		}
		if rep.Checkpoints == 0 {
			fmt.Fprintf(stdout, "the audit log holds %d entries; no signed checkpoint yet to check it against\n", rep.Size)
			return auditOK
		}
		fmt.Fprintf(stdout, "OK: %d entries, root %x, consistent with %d signed checkpoints\n", rep.Size, rep.Root[:], rep.Checkpoints)
		return auditOK
	case "prove":
		if len(pos) != 1 {
			return fail(auditUsage2, "prove: give one entry number")
		}
		n, err := strconv.ParseInt(pos[0], 10, 64)
		if err != nil || n < 0 {
			if n, err = findEntry(ctx, db, pos[0]); err != nil {
				return fail(auditUsage2, "prove: %q is neither an entry number (0, 1, …) nor the id of an audited access or file: %v", pos[0], err)
			}
		}
		c, err := audit.LatestCheckpoint(ctx, db, verifier, n)
		if err != nil {
			return fail(auditUnread, "prove: entry %d: %v (the hub signs one every audit.checkpoint_every)", n, err)
		}
		p, err := audit.Prove(ctx, db, c, n)
		if err != nil {
			return fail(auditUnread, "prove: %v", err)
		}
		b, _ := json.MarshalIndent(p, "", "  ")
		b = append(b, '\n')
		if *out == "" {
			_, _ = stdout.Write(b)
			return auditOK
		}
		if err := os.WriteFile(*out, b, 0o644); err != nil { // #nosec G306 G703 -- a proof is meant to be handed on, where the operator says
			return fail(auditUnread, "prove: %v", err)
		}
		return auditOK
	}
	return auditOK
}

// findEntry is the position of the first entry with the id (an access's
// in the access log, or a stored file's).
// auditLog is a store's audit log, opened to read it.
type auditLog interface {
	store.AuditLog
	Close() error
}

// openAuditLog opens the audit log of the SQLite store in dir (read-only),
// or of the PostgreSQL store of dsn when the config names one.
func openAuditLog(ctx context.Context, dir, dsn string) (auditLog, error) {
	if dsn != "" {
		db, err := postgres.Open(ctx, dsn)
		if err != nil {
			return nil, err
		}
		return db, nil
	}
	db, err := sqlite.OpenReadOnly(filepath.Join(dir, "index.db"))
	if err != nil {
		return nil, err
	}
	return db, nil
}

func findEntry(ctx context.Context, db auditLog, id string) (int64, error) {
	n := int64(-1)
	errFound := errors.New("found")
	err := db.ScanAudit(ctx, 0, func(l store.AuditLeaf) error {
		if e, err := audit.ParseEntry(l.Entry); err == nil && e.ID == id {
			n = l.N
			return errFound
		}
		return nil
	})
	if n >= 0 {
		return n, nil
	}
	if err == nil {
		err = errors.New("no entry has that id")
	}
	return 0, err
}

// checkProof is `chathub audit check-proof`.
func checkProof(path string, v note.Verifier, stdout, stderr io.Writer) int {
	var b []byte
	var err error
	if path == "-" {
		b, err = io.ReadAll(io.LimitReader(os.Stdin, 1<<20))
	} else {
		b, err = os.ReadFile(path) // #nosec G304 G703 -- the proof the operator names
	}
	if err != nil {
		fmt.Fprintf(stderr, "chathub audit: check-proof: %v\n", err)
		return auditUnread
	}
	e, p, err := audit.CheckProof(b, v)
	if err != nil {
		fmt.Fprintf(stdout, "FAILED: %v\n", err)
		return auditTampered
	}
	fmt.Fprintf(stdout, "OK: entry %d is in the tree of %d entries signed by %s\n", p.Index, p.TreeSize, v.Name())
	fmt.Fprintf(stdout, "  %s %s by %s (%s) from %s: %s", e.At, e.Action, e.User, e.Role, e.From, e.Outcome)
	if e.Recording != "" {
		fmt.Fprintf(stdout, ", recording %s", e.Recording)
	}
	if e.SHA256 != "" {
		fmt.Fprintf(stdout, ", sha256 %s", e.SHA256)
	}
	fmt.Fprintln(stdout)
	return auditOK
}

// readVerifier reads a verifier key given as itself or as a file.
func readVerifier(s string) (note.Verifier, error) {
	if v, err := note.NewVerifier(strings.TrimSpace(s)); err == nil {
		return v, nil
	}
	b, err := os.ReadFile(s) // #nosec G304 G703 -- the key file the operator names
	if err != nil {
		return nil, fmt.Errorf("--key %q is neither a verifier key (name+hash+key) nor a file holding one", s)
	}
	v, err := note.NewVerifier(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("--key %s: %v", s, err)
	}
	return v, nil
}

// readCheckpoints reads checkpoints kept elsewhere: files, and every file
// of a folder (audit.checkpoint_dir's copies).
func readCheckpoints(files []string, dir string) ([]audit.Source, error) {
	if dir != "" {
		ents, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("--checkpoints: %v", err)
		}
		var names []string
		for _, e := range ents {
			if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") {
				names = append(names, filepath.Join(dir, e.Name()))
			}
		}
		sort.Strings(names)
		files = append(files, names...)
	}
	var out []audit.Source
	for _, f := range files {
		b, err := os.ReadFile(f) // #nosec G304 G703 -- checkpoints the operator names
		if err != nil {
			return nil, fmt.Errorf("checkpoint: %v", err)
		}
		out = append(out, audit.Source{Name: "checkpoint " + f, Note: b})
	}
	return out, nil
}

// multi is a repeatable string flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }
