package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/agentdesk/agentdesk/hub/store"
)

var _ store.Deliveries = (*DB)(nil)

const deliveryCols = `file, recording, interaction, agent, state, tries, next, why, link, sent, created`

// AddDelivery queues a delivery to an agent (store.Deliveries).
func (s *DB) AddDelivery(ctx context.Context, d store.Delivery) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO deliveries (`+deliveryCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		d.File, d.Recording, d.Interaction, d.Agent, d.State, d.Tries, nanos(d.Next), d.Why, d.Link, ts(d.Sent), ts(d.Created))
	if unique(err) {
		return fmt.Errorf("%w: a delivery of file %s", store.ErrExists, d.File)
	}
	if err != nil {
		return fmt.Errorf("postgres: add delivery: %w", err)
	}
	return nil
}

// UpdateDelivery writes a delivery's progress (store.Deliveries).
func (s *DB) UpdateDelivery(ctx context.Context, d store.Delivery) error {
	tag, err := s.pool.Exec(ctx, `UPDATE deliveries SET state = $1, tries = $2, next = $3, why = $4, link = $5, sent = $6 WHERE file = $7`,
		d.State, d.Tries, nanos(d.Next), d.Why, d.Link, ts(d.Sent), d.File)
	if err != nil {
		return fmt.Errorf("postgres: update delivery: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: no delivery of file %s", store.ErrNotFound, d.File)
	}
	return nil
}

// DueDeliveries lists pending deliveries due by now (store.Deliveries).
func (s *DB) DueDeliveries(ctx context.Context, now time.Time, limit int) ([]store.Delivery, error) {
	if limit <= 0 {
		limit = store.DefaultLimit
	}
	return s.deliveries(ctx, `SELECT `+deliveryCols+` FROM deliveries WHERE state = $1 AND next <= $2 ORDER BY next, file COLLATE "C" LIMIT $3`,
		store.DeliveryPending, nanos(now), limit)
}

// DeliveriesOf lists the deliveries of recordings' files
// (store.Deliveries).
func (s *DB) DeliveriesOf(ctx context.Context, recordings []string) ([]store.Delivery, error) {
	if len(recordings) == 0 {
		return nil, nil
	}
	return s.deliveries(ctx, `SELECT `+deliveryCols+` FROM deliveries WHERE recording = ANY($1)`, recordings)
}

func (s *DB) deliveries(ctx context.Context, q string, args ...any) ([]store.Delivery, error) {
	var out []store.Delivery
	var d store.Delivery
	var next int64
	var sent, created string
	_, err := forEach(ctx, s.pool, q, args,
		[]any{&d.File, &d.Recording, &d.Interaction, &d.Agent, &d.State, &d.Tries, &next, &d.Why, &d.Link, &sent, &created},
		func() error {
			d.Next = time.Time{}
			if next != 0 {
				d.Next = time.Unix(0, next).UTC()
			}
			var err error
			if d.Sent, err = parseTS(sent); err != nil {
				return fmt.Errorf("delivery %s: sent: %w", d.File, err)
			}
			if d.Created, err = parseTS(created); err != nil {
				return fmt.Errorf("delivery %s: created: %w", d.File, err)
			}
			out = append(out, d)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("postgres: deliveries: %w", err)
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
