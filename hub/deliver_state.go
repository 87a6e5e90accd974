package hub

import (
	"context"
	"time"

	"github.com/agentdesk/agentdesk/hub/store"
)

// MailState is how far the e-mail of an agent's ad hoc recording got
// (issue 13 point 7), as GET /v1/recordings tells the agent: the
// recording's first stored file's delivery.
type MailState struct {
	// State is "sending" (queued or being tried again), "sent" or
	// "not_sent" (given up, or never to be sent: Why says why).
	State string    `json:"state"`
	Sent  time.Time `json:"sent,omitzero"`  // when the mail server took it
	Tries int       `json:"tries"`          // attempts so far
	Why   string    `json:"why,omitempty"`  // the last failure, in words
	Link  bool      `json:"link,omitempty"` // sent as a link to the web app, the file being too big to attach
}

// The states of MailState.
const (
	MailSending = "sending"
	MailSent    = "sent"
	MailNotSent = "not_sent"
)

// mailStates is the e-mail state of each of agent's own ad hoc recordings
// in recs, by recording id: its first stored file's delivery, or, when
// the hub has no address for the agent, "not_sent" and why. Nil when the
// hub e-mails no recordings.
func (s *Server) mailStates(ctx context.Context, agent string, recs []store.Recording) map[string]MailState {
	d := s.dl
	if d == nil {
		return nil
	}
	var ids []string
	for _, r := range recs {
		if r.Agent == agent && r.Kind == "record" && len(r.Files) > 0 {
			ids = append(ids, r.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	rows, err := d.q.DeliveriesOf(ctx, ids)
	if err != nil {
		s.log.Error("mail: the deliveries to agents cannot be read", "err", err)
		return nil
	}
	byFile := map[string]store.Delivery{}
	for _, row := range rows {
		byFile[row.File] = row
	}
	noEmail := s.agentEmail(agent) == ""
	out := map[string]MailState{}
	for _, r := range recs {
		if r.Agent != agent || r.Kind != "record" || len(r.Files) == 0 {
			continue
		}
		row, ok := byFile[r.Files[0].ID]
		switch {
		case ok && row.State == store.DeliverySent:
			out[r.ID] = MailState{State: MailSent, Sent: row.Sent, Tries: row.Tries, Link: row.Link}
		case ok && row.State == store.DeliveryFailed:
			out[r.ID] = MailState{State: MailNotSent, Tries: row.Tries, Why: row.Why}
		case ok:
			out[r.ID] = MailState{State: MailSending, Tries: row.Tries, Why: row.Why}
		case noEmail:
			out[r.ID] = MailState{State: MailNotSent, Why: "the hub has no e-mail address for you"}
		}
	}
	return out
}
