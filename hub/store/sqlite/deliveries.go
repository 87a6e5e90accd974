package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/hub/store"
)

var _ store.Deliveries = (*DB)(nil)

const deliveryCols = `file, recording, interaction, agent, state, tries, next, why, link, sent, created`

// AddDelivery queues a delivery to an agent (store.Deliveries).
func (s *DB) AddDelivery(ctx context.Context, d store.Delivery) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO deliveries (`+deliveryCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.File, d.Recording, d.Interaction, d.Agent, d.State, d.Tries, nanos(d.Next), d.Why, d.Link, ts(d.Sent), ts(d.Created))
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE constraint failed") {
			return fmt.Errorf("%w: a delivery of file %s", store.ErrExists, d.File)
		}
		return fmt.Errorf("sqlite: add delivery: %w", err)
	}
	s.wrote()
	return nil
}

// UpdateDelivery writes a delivery's progress (store.Deliveries).
func (s *DB) UpdateDelivery(ctx context.Context, d store.Delivery) error {
	res, err := s.db.ExecContext(ctx, `UPDATE deliveries SET state = ?, tries = ?, next = ?, why = ?, link = ?, sent = ? WHERE file = ?`,
		d.State, d.Tries, nanos(d.Next), d.Why, d.Link, ts(d.Sent), d.File)
	if err != nil {
		return fmt.Errorf("sqlite: update delivery: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: no delivery of file %s", store.ErrNotFound, d.File)
	}
	s.wrote()
	return nil
}

// DueDeliveries lists pending deliveries due by now (store.Deliveries).
func (s *DB) DueDeliveries(ctx context.Context, now time.Time, limit int) ([]store.Delivery, error) {
	if limit <= 0 {
		limit = store.DefaultLimit
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+deliveryCols+` FROM deliveries WHERE state = ? AND next <= ? ORDER BY next, file LIMIT ?`,
		store.DeliveryPending, nanos(now), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: due deliveries: %w", err)
	}
	return scanDeliveries(rows)
}

// DeliveriesOf lists the deliveries of recordings' files
// (store.Deliveries).
func (s *DB) DeliveriesOf(ctx context.Context, recordings []string) ([]store.Delivery, error) {
	var out []store.Delivery
	for len(recordings) > 0 {
		n := min(len(recordings), 500)
		args := make([]any, n)
		for i, r := range recordings[:n] {
			args[i] = r
		}
		recordings = recordings[n:]
		rows, err := s.rd.QueryContext(ctx, `SELECT `+deliveryCols+` FROM deliveries WHERE recording IN (?`+strings.Repeat(", ?", n-1)+`)`, args...) // #nosec G202 -- placeholders only
		if err != nil {
			return nil, fmt.Errorf("sqlite: deliveries: %w", err)
		}
		ds, err := scanDeliveries(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, ds...)
	}
	return out, nil
}

func scanDeliveries(rows *sql.Rows) ([]store.Delivery, error) {
	defer rows.Close()
	var out []store.Delivery
	for rows.Next() {
		var d store.Delivery
		var next int64
		var sent, created string
		if err := rows.Scan(&d.File, &d.Recording, &d.Interaction, &d.Agent, &d.State, &d.Tries, &next, &d.Why, &d.Link, &sent, &created); err != nil {
			return nil, fmt.Errorf("sqlite: deliveries: %w", err)
		}
		if next != 0 {
			d.Next = time.Unix(0, next).UTC()
		}
		var err error
		if d.Sent, err = parseTS(sent); err != nil {
			return nil, fmt.Errorf("sqlite: delivery %s: sent: %w", d.File, err)
		}
		if d.Created, err = parseTS(created); err != nil {
			return nil, fmt.Errorf("sqlite: delivery %s: created: %w", d.File, err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: deliveries: %w", err)
	}
	return out, nil
}

// nanos is t in Unix nanoseconds, 0 for the zero time.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}
