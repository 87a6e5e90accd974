package hub

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/agentdesk/agentdesk/hub/mail"
	"github.com/agentdesk/agentdesk/session"
)

// mailer sends an e-mail (hub/mail.Sender): to one address, trying again
// while the server is away.
type mailer interface {
	Send(ctx context.Context, to, subject, body string) error
}

// maxMailsPerChat bounds the transcripts one chat's customer may have
// e-mailed: enough for a typo, not a relay for spam.
const maxMailsPerChat = 2

// transcriptMail e-mails the customer the transcript of their chat that
// ended (issue 11 point 21): what the customer saw, never the agent-only
// lines, to one address they give, at most maxMailsPerChat times. The
// answer comes as transcript_mail frames: sending, then sent or failed.
// The caller holds the hub's lock.
func (s *Server) transcriptMail(p *peer, me *chat, env session.Envelope) *frameError {
	var d session.TranscriptMailData
	if fe := decode(env, &d); fe != nil {
		return fe
	}
	switch {
	case s.mail == nil:
		return ferr(session.ErrCodeBadRequest, "this contact centre does not send transcripts by e-mail")
	case me == nil:
		return ferr(session.ErrCodeBadState, "join a chat first")
	case me.state.Live():
		return ferr(session.ErrCodeBadState, "the transcript can be e-mailed once the chat has ended")
	case me.mailed >= maxMailsPerChat:
		return ferr(session.ErrCodeRateLimited, "this chat's transcript was e-mailed %d times already", me.mailed)
	}
	to, err := mail.Address(d.Address)
	if err != nil {
		return ferr(session.ErrCodeBadRequest, "%q is not an e-mail address", d.Address)
	}
	lines := me.customerLines()
	if me.state == session.Done { // evicted: its lines are in the store
		stored, err := s.st.Transcript(context.Background(), me.id)
		if err != nil {
			return ferr(session.ErrCodeUnavailable, "the transcript cannot be read just now; try again")
		}
		lines = lines[:0]
		for _, l := range stored {
			if !l.Private {
				lines = append(lines, l.MessageData)
			}
		}
	}
	me.mailed++
	subject, body := transcriptText(me, lines)
	p.send(session.TypeTranscriptMail, me.id, session.TranscriptMailData{Status: "sending", Message: "Sending the transcript to " + to + "…"})
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		err := s.mail.Send(ctx, to, subject, body)
		if err != nil {
			s.log.Warn("transcript mail", "chat", me.id, "err", err) // never the address or the text
			msg := "The transcript could not be sent; please try again later."
			if errors.Is(err, mail.ErrBadAddress) {
				msg = "That is not an e-mail address."
			}
			p.send(session.TypeTranscriptMail, me.id, session.TranscriptMailData{Status: "failed", Message: msg})
			return
		}
		s.log.Info("transcript mailed", "chat", me.id)
		p.send(session.TypeTranscriptMail, me.id, session.TranscriptMailData{Status: "sent", Message: "The transcript is on its way to " + to + "."})
	}()
	return nil
}

// transcriptText is the e-mail of a transcript: a subject and plain text,
// the customer's own lines as "You".
func transcriptText(c *chat, lines []session.MessageData) (subject, body string) {
	subject = "The transcript of your chat of " + c.created.Format("2 January 2006")
	var b strings.Builder
	fmt.Fprintf(&b, "Your chat %s of %s (%s):\n\n", c.id, c.created.Format("Monday 2 January 2006"), c.queue)
	for _, m := range lines {
		who := m.Name
		switch m.From {
		case session.FromCustomer:
			who = "You"
		case session.FromSystem:
			who = "·"
		}
		fmt.Fprintf(&b, "%s %s: %s\n", m.At.Format("15:04"), who, m.Text)
	}
	b.WriteString("\nYou asked for this e-mail at the end of the chat. Please do not reply to it.\n")
	return subject, b.String()
}
