package postgres

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// ErrNotEmpty: the target of an import already holds a store.
var ErrNotEmpty = errors.New("postgres: the target database already holds a store")

// ErrMismatch: what an import wrote does not read back as what it read.
var ErrMismatch = errors.New("postgres: the copy differs from its source")

// TableCopy is one table's import: its rows and checksum in the source and,
// read back inside the import's transaction, in PostgreSQL.
type TableCopy struct {
	Table              string
	Rows, Copied       int64
	SumFrom, SumCopied string // hex; see Checksum
}

// OK reports whether the copy matches its source.
func (t TableCopy) OK() bool { return t.Rows == t.Copied && t.SumFrom == t.SumCopied }

// ImportSQLite copies a SQLite store (src, opened on its index.db,
// migrated to the schema this hub knows) into s, table by table and
// column by column, in one transaction: all of it or nothing. Each table's
// rows are counted and checksummed as they are read and again as they
// read back from PostgreSQL before the commit; any difference is
// ErrMismatch and nothing is kept. The full text index is rebuilt from the
// copied lines. A target that already holds rows is ErrNotEmpty unless
// replace, which empties it first (in the same transaction).
func (s *DB) ImportSQLite(ctx context.Context, src *sql.DB, replace bool) ([]TableCopy, error) {
	tables, err := sqliteTables(ctx, src)
	if err != nil {
		return nil, fmt.Errorf("postgres: import: %w", err)
	}
	var report []TableCopy
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		cols, order, err := targetTables(ctx, tx, tables)
		if err != nil {
			return err
		}
		if err := emptyTarget(ctx, tx, order, replace); err != nil {
			return err
		}
		for _, t := range order {
			c, err := copyTable(ctx, src, tx, t, cols[t])
			if err != nil {
				return fmt.Errorf("table %s: %w", t, err)
			}
			report = append(report, c)
		}
		if err := afterCopy(ctx, tx); err != nil {
			return err
		}
		for i := range report {
			n, sum, err := pgSum(ctx, tx, report[i].Table, cols[report[i].Table])
			if err != nil {
				return fmt.Errorf("table %s: read back: %w", report[i].Table, err)
			}
			report[i].Copied, report[i].SumCopied = n, sum
		}
		for _, c := range report {
			if !c.OK() {
				return fmt.Errorf("%w: table %s", ErrMismatch, c.Table)
			}
		}
		return nil
	})
	switch {
	case err == nil:
		return report, nil
	case errors.Is(err, ErrMismatch):
		return report, fmt.Errorf("postgres: import: %w", err) // the report says where
	case errors.Is(err, ErrNotEmpty):
		return nil, err
	}
	return nil, fmt.Errorf("postgres: import: %w", err)
}

// column is a column to copy and its type in PostgreSQL.
type column struct{ name, pgType string }

// sqliteTables lists the source's tables and their columns: not its
// migrations' bookkeeping, not SQLite's own, not a full text index (a
// virtual table and its shadow tables: PostgreSQL keeps its own).
func sqliteTables(ctx context.Context, src *sql.DB) (map[string][]string, error) {
	rows, err := src.QueryContext(ctx, `SELECT name, COALESCE(sql, '') FROM sqlite_master WHERE type = 'table' ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("the SQLite store: %w", err)
	}
	var names, virtual []string
	for rows.Next() {
		var name, ddl string
		if err := rows.Scan(&name, &ddl); err != nil {
			_ = rows.Close()
			return nil, err
		}
		if strings.HasPrefix(strings.ToUpper(ddl), "CREATE VIRTUAL TABLE") {
			virtual = append(virtual, name)
			continue
		}
		names = append(names, name)
	}
	_ = rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, name := range names {
		if name == "schema_migrations" || strings.HasPrefix(name, "sqlite_") ||
			slices.ContainsFunc(virtual, func(v string) bool { return strings.HasPrefix(name, v+"_") }) {
			continue
		}
		crows, err := src.QueryContext(ctx, `SELECT name FROM pragma_table_info(?) ORDER BY cid`, name)
		if err != nil {
			return nil, fmt.Errorf("the SQLite store's table %s: %w", name, err)
		}
		for crows.Next() {
			var c string
			if err := crows.Scan(&c); err != nil {
				_ = crows.Close()
				return nil, err
			}
			out[name] = append(out[name], c)
		}
		_ = crows.Close()
		if err := crows.Err(); err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		return nil, errors.New("the source holds no store tables: is it a hub's index.db?")
	}
	return out, nil
}

// targetTables finds each source table and column in PostgreSQL (a column
// without a place would be lost: an error), and orders the tables so that
// those others refer to come first.
func targetTables(ctx context.Context, tx pgx.Tx, src map[string][]string) (map[string][]column, []string, error) {
	out := map[string][]column{}
	for t, cs := range src {
		types := map[string]string{}
		var name, typ string
		_, err := forEach(ctx, tx, `SELECT column_name, data_type FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = $1`, []any{t}, []any{&name, &typ}, func() error {
			types[name] = typ
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
		if len(types) == 0 {
			return nil, nil, fmt.Errorf("the SQLite store has a table %s that this hub's PostgreSQL schema lacks: is the SQLite store from a newer hub?", t)
		}
		for _, c := range cs {
			typ, ok := types[c]
			if !ok {
				return nil, nil, fmt.Errorf("the SQLite store's column %s.%s has no place in PostgreSQL: is the SQLite store from a newer hub?", t, c)
			}
			out[t] = append(out[t], column{c, typ})
		}
	}
	referred := map[string]bool{}
	var ref string
	_, err := forEach(ctx, tx, `SELECT confrelid::regclass::text FROM pg_constraint WHERE contype = 'f'`, nil, []any{&ref}, func() error {
		referred[strings.Trim(ref, `"`)] = true
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	order := make([]string, 0, len(out))
	for t := range out {
		order = append(order, t)
	}
	slices.SortFunc(order, func(a, b string) int {
		if referred[a] != referred[b] {
			if referred[a] {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	return out, order, nil
}

// emptyTarget refuses a target with rows in any of tables, or empties
// them when replace.
func emptyTarget(ctx context.Context, tx pgx.Tx, tables []string, replace bool) error {
	if replace {
		ids := make([]string, len(tables))
		for i, t := range tables {
			ids[i] = pgx.Identifier{t}.Sanitize()
		}
		_, err := tx.Exec(ctx, `TRUNCATE `+strings.Join(ids, ", ")+` RESTART IDENTITY CASCADE`)
		return err
	}
	var full []string
	for _, t := range tables {
		var has bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+pgx.Identifier{t}.Sanitize()+`)`).Scan(&has); err != nil {
			return err
		}
		if has {
			full = append(full, t)
		}
	}
	if len(full) > 0 {
		return fmt.Errorf("%w (rows in %s)", ErrNotEmpty, strings.Join(full, ", "))
	}
	return nil
}

// copyTable streams a table's rows from the source into PostgreSQL (COPY),
// summing them as they pass.
func copyTable(ctx context.Context, src *sql.DB, tx pgx.Tx, table string, cols []column) (TableCopy, error) {
	c := TableCopy{Table: table}
	names := make([]string, len(cols))
	quoted := make([]string, len(cols))
	for i, col := range cols {
		names[i], quoted[i] = col.name, `"`+col.name+`"`
	}
	rows, err := src.QueryContext(ctx, `SELECT `+strings.Join(quoted, ", ")+` FROM "`+table+`"`) // #nosec G202 -- names read from the source's own schema, quoted
	if err != nil {
		return c, err
	}
	defer rows.Close()
	var sum checksum
	raw := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	next := func() ([]any, error) {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		sum.add(raw)
		vals := make([]any, len(cols))
		for i, v := range raw {
			var err error
			if vals[i], err = convert(v, cols[i].pgType); err != nil {
				return nil, fmt.Errorf("column %s: %w", cols[i].name, err)
			}
		}
		return vals, nil
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{table}, names, &rowSource{rows: rows, next: next}); err != nil {
		return c, err
	}
	if err := rows.Err(); err != nil {
		return c, err
	}
	c.Rows, c.SumFrom = sum.n, sum.String()
	return c, nil
}

// rowSource feeds CopyFrom from database/sql rows.
type rowSource struct {
	rows *sql.Rows
	next func() ([]any, error)
	vals []any
	err  error
}

func (r *rowSource) Next() bool {
	if !r.rows.Next() {
		return false
	}
	r.vals, r.err = r.next()
	return r.err == nil
}

func (r *rowSource) Values() ([]any, error) { return r.vals, r.err }
func (r *rowSource) Err() error             { return r.err }

// convert turns a SQLite value into the PostgreSQL column's type: 0 and 1
// into booleans, text into bytes and back. A value that cannot be is an
// error (nothing is copied half).
func convert(v any, pgType string) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch pgType {
	case "boolean":
		if n, ok := v.(int64); ok {
			return n != 0, nil
		}
	case "bigint", "integer", "smallint":
		if n, ok := v.(int64); ok {
			return n, nil
		}
	case "text":
		switch x := v.(type) {
		case string:
			return x, nil
		case []byte:
			return string(x), nil
		case int64:
			return strconv.FormatInt(x, 10), nil
		}
	case "bytea":
		switch x := v.(type) {
		case []byte:
			return x, nil
		case string:
			return []byte(x), nil
		}
	}
	return nil, fmt.Errorf("a %T (%.40v) does not fit a %s column", v, v, pgType)
}

// afterCopy rebuilds what PostgreSQL keeps beside the copied rows: each
// produced recording's words, and each identity column's next value.
func afterCopy(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `UPDATE recordings r SET words = (SELECT `+wordsOf+` FROM took t
		JOIN lines l ON l.chat = t.chat AND l.id = t.line WHERE t.chat = r.interaction AND t.recording = r.id)
		WHERE r.produced`); err != nil {
		return fmt.Errorf("full text index: %w", err)
	}
	var ids [][2]string
	var t, c string
	_, err := forEach(ctx, tx, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND is_identity = 'YES'`, nil, []any{&t, &c}, func() error {
		ids = append(ids, [2]string{t, c})
		return nil
	})
	if err != nil {
		return err
	}
	for _, id := range ids {
		tab, col := pgx.Identifier{id[0]}.Sanitize(), pgx.Identifier{id[1]}.Sanitize()
		if _, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence($1, $2), COALESCE((SELECT max(`+col+`) FROM `+tab+`), 0) + 1, false)`,
			tab, id[1]); err != nil {
			return fmt.Errorf("%s.%s's sequence: %w", id[0], id[1], err)
		}
	}
	return nil
}

// pgSum counts and checksums a table's columns as PostgreSQL holds them.
func pgSum(ctx context.Context, tx pgx.Tx, table string, cols []column) (int64, string, error) {
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = pgx.Identifier{c.name}.Sanitize()
	}
	rows, err := tx.Query(ctx, `SELECT `+strings.Join(quoted, ", ")+` FROM `+pgx.Identifier{table}.Sanitize())
	if err != nil {
		return 0, "", err
	}
	defer rows.Close()
	var sum checksum
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return 0, "", err
		}
		sum.add(vals)
	}
	return sum.n, sum.String(), rows.Err()
}

// checksum is a table's checksum: the sum, modulo 2^256, of each row's
// SHA-256 over its values in a form both databases give alike (a boolean
// as the number SQLite keeps, text and bytes as bytes); the rows' order
// does not matter, every value of every row does.
type checksum struct {
	n   int64
	sum [4]uint64 // big-endian words
}

func (c *checksum) add(vals []any) {
	h := sha256.New()
	var b [8]byte
	for _, v := range vals {
		var tag byte
		var body []byte
		switch x := v.(type) {
		case nil:
			tag = 'N'
		case bool:
			tag, body = 'i', []byte(map[bool]string{false: "0", true: "1"}[x])
		case int64:
			tag, body = 'i', strconv.AppendInt(nil, x, 10)
		case int32:
			tag, body = 'i', strconv.AppendInt(nil, int64(x), 10)
		case float64:
			tag, body = 'f', strconv.AppendFloat(nil, x, 'g', -1, 64)
		case string:
			tag, body = 's', []byte(x)
		case []byte:
			tag, body = 's', x
		default:
			tag, body = '?', fmt.Appendf(nil, "%T:%v", x, x)
		}
		binary.BigEndian.PutUint64(b[:], uint64(len(body)))
		h.Write([]byte{tag})
		h.Write(b[:])
		h.Write(body)
	}
	d := h.Sum(nil)
	var carry uint64
	for i := 3; i >= 0; i-- {
		c.sum[i], carry = bits.Add64(c.sum[i], binary.BigEndian.Uint64(d[i*8:]), carry)
	}
	c.n++
}

// String is the checksum's first 16 hex digits (64 bits: plenty to tell
// two tables apart, short enough to print).
func (c *checksum) String() string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], c.sum[0])
	return hex.EncodeToString(b[:])
}
