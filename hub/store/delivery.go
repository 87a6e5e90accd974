package store

import (
	"context"
	"time"
)

// The states of a Delivery.
const (
	DeliveryPending = "pending" // to be sent at Next (tried Tries times so far)
	DeliverySent    = "sent"    // the mail server took it at Sent
	DeliveryFailed  = "failed"  // given up: Why says why
)

// Delivery is an ad hoc recording's stored file on its way to the agent
// who made it by e-mail (issue 13 point 7, R-C7): one row per file,
// written by the hub's delivery worker as it tries.
type Delivery struct {
	File        string // the stored file's id
	Recording   string
	Interaction string
	Agent       string
	State       string    // DeliveryPending, DeliverySent or DeliveryFailed
	Tries       int       // attempts made
	Next        time.Time // when a pending one is due
	Why         string    // the last failure, in words ("" once sent)
	Link        bool      // sent as a link to the web app, not attached
	Sent        time.Time // when the mail server took it
	Created     time.Time
}

// Deliveries keeps the deliveries to agents (issue 13 point 7) so that a
// restarted hub goes on with them. A store that has it offers it by type
// assertion; a hub whose store lacks it e-mails nothing.
type Deliveries interface {
	// AddDelivery queues d (its File, Recording, Interaction, Agent,
	// State, Next, Created) unless its file has one already: ErrExists.
	AddDelivery(ctx context.Context, d Delivery) error
	// UpdateDelivery writes d's State, Tries, Next, Why, Link and Sent
	// over the row of d.File (ErrNotFound if there is none).
	UpdateDelivery(ctx context.Context, d Delivery) error
	// DueDeliveries lists up to limit pending deliveries whose Next is not
	// after now, the earliest due first.
	DueDeliveries(ctx context.Context, now time.Time, limit int) ([]Delivery, error)
	// DeliveriesOf lists the deliveries of the files of these recordings,
	// in no order.
	DeliveriesOf(ctx context.Context, recordings []string) ([]Delivery, error)
}
