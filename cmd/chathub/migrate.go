package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/agentdesk/agentdesk/hub/store/postgres"
	"github.com/agentdesk/agentdesk/hub/store/sqlite"
)

const migrateUsage = /* #nosec G101 -- the usage text shows a DSN's form, no credential */ `chathub migrate — move a SQLite store into PostgreSQL (issue 16, docs/cluster.md)

Usage:
  chathub migrate --from DIR --to DSN [--replace]
  chathub migrate --from DIR --to-file FILE | --to-env NAME [--replace]

Copies the hub's memory and index (DIR/index.db: chats, lines, contacts,
agents, recordings, stored files' index, saved searches, bookmarks, the
access log, legal holds, the audit log and its checkpoints, tombstones:
every table of the SQLite store but its full-text index) into the
PostgreSQL database of DSN, in one transaction, then reads every table back
and compares its rows' count and checksum with the source's: a table that
differs undoes the whole copy. The recording files stay in DIR (keep
store.dir pointing at it). Stop the hub first: a hub running on DIR holds
its lock and the copy refuses to start.

--to DSN       postgres://user:password@host:5432/db (or host=… dbname=…);
               --to-file FILE reads it from a file's first line and --to-env
               NAME from an environment variable, keeping the password out
               of the process list
--replace      empty the target's store tables first; without it a target
               that already holds a store is refused

Exit codes: 0 copied and verified; 1 the copy failed or differs (nothing
kept); 2 bad arguments.
`

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("chathub migrate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	from := fs.String("from", "", "the SQLite store folder")
	to := fs.String("to", "", "the PostgreSQL DSN")
	toFile := fs.String("to-file", "", "a file holding the DSN")
	toEnv := fs.String("to-env", "", "an environment variable holding the DSN")
	replace := fs.Bool("replace", false, "empty the target first")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, migrateUsage)
			return 0
		}
		fmt.Fprintf(stderr, "chathub migrate: %v\n\n%s", err, migrateUsage)
		return 2
	}
	dsn, err := targetDSN(*to, *toFile, *toEnv)
	if err == nil && *from == "" {
		err = errors.New("--from: the SQLite store folder (the hub's store.dir) is required")
	}
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err != nil {
		fmt.Fprintf(stderr, "chathub migrate: %v\n\n%s", err, migrateUsage)
		return 2
	}
	report, err := migrate(ctx, filepath.Join(*from, "index.db"), dsn, *replace)
	if len(report) > 0 {
		printReport(stdout, report)
	}
	switch {
	case errors.Is(err, postgres.ErrNotEmpty):
		fmt.Fprintf(stderr, "chathub migrate: %v: nothing copied; --replace empties it first\n", err)
		return 1
	case err != nil:
		fmt.Fprintf(stderr, "chathub migrate: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "copied %s into %s: every table's rows and checksum match\n", *from, postgres.Redact(dsn))
	return 0
}

// targetDSN is the DSN of --to, --to-file or --to-env: one of them.
func targetDSN(to, toFile, toEnv string) (string, error) {
	n := 0
	for _, v := range []string{to, toFile, toEnv} {
		if v != "" {
			n++
		}
	}
	if n != 1 {
		return "", errors.New("give the target once: --to DSN, --to-file FILE or --to-env NAME")
	}
	switch {
	case toFile != "":
		b, err := os.ReadFile(toFile) // #nosec G304 -- the file the operator names
		if err != nil {
			return "", fmt.Errorf("--to-file: %w", err)
		}
		dsn, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
		return dsn, nil
	case toEnv != "":
		if v := os.Getenv(toEnv); v != "" {
			return v, nil
		}
		return "", fmt.Errorf("--to-env: %s is empty or not set", toEnv)
	}
	return to, nil
}

// migrate copies the SQLite store at path into the database of dsn.
func migrate(ctx context.Context, path, dsn string, replace bool) ([]postgres.TableCopy, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("--from: %w (want the hub's store folder, with index.db in it)", err)
	}
	// Opened once as the hub opens it: refused while a hub runs on it, and
	// brought to the schema this hub knows, the one PostgreSQL's mirrors.
	db, err := sqlite.Open(path)
	if err != nil {
		return nil, err
	}
	if err := db.Close(); err != nil {
		return nil, err
	}
	lock, err := lockSQLite(path + ".lock")
	if err != nil {
		return nil, err
	}
	defer lock.Close()
	src, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(2000)&_pragma=query_only(1)")
	if err != nil {
		return nil, err
	}
	defer src.Close()
	dst, err := postgres.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer dst.Close()
	return dst.ImportSQLite(ctx, src, replace)
}

// lockSQLite holds the SQLite store's lock file (the one a hub on it
// takes) for the copy's while, so that no hub starts on it meanwhile.
func lockSQLite(name string) (*os.File, error) {
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600) // #nosec G304 -- the store folder's own lock file
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil { // #nosec G115 -- a file descriptor
		_ = f.Close()
		return nil, fmt.Errorf("%s: %w (is a hub running on it?)", name, err)
	}
	return f, nil
}

// printReport prints each table's rows and checksum on both sides.
func printReport(w io.Writer, report []postgres.TableCopy) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "table\trows sqlite\trows postgres\tchecksum sqlite\tchecksum postgres\t")
	for _, c := range report {
		ok := "ok"
		if !c.OK() {
			ok = "DIFFERS"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\n", c.Table, c.Rows, c.Copied, c.SumFrom, c.SumCopied, ok)
	}
	_ = tw.Flush()
}
