package hub

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/url"
	"path"
	"strings"
	"time"

	hubmail "github.com/agentdesk/agentdesk/hub/mail"
	"github.com/agentdesk/agentdesk/hub/store"
)

// message is the e-mail of recording rec's stored file f to its agent:
// the file attached when it is at most mail.attach_max, else a link to the
// recording's page in the web app (no token in it: the agent logs in).
// The attachment is the recording as the agent may open it (R-C7: it is
// theirs): decrypted by the hub when the file is sealed and the hub holds
// the identity; sealed as stored when it holds none (nobody here could
// open it).
func (d *deliverer) message(f store.File, rec store.Recording, to string) (hubmail.Message, bool) {
	when := rec.FinishedAt
	if when.IsZero() {
		when = f.Created
	}
	customer := rec.Customer
	if customer == "" {
		customer = "a customer"
	}
	subject := fmt.Sprintf("Your recording of %s with %s", when.UTC().Format("2 January 2006 15:04 MST"), customer)
	var b strings.Builder
	fmt.Fprintf(&b, "The recording you made with Record in chat %s with %s (queue %s), finished %s, %s long.\n\n",
		rec.Interaction, customer, rec.Queue, when.UTC().Format("Monday 2 January 2006 15:04 MST"), time.Duration(rec.DurationSeconds*float64(time.Second)).Round(time.Second))
	page := "/app/recordings/" + url.PathEscape(rec.ID)
	link := f.Size > d.cfg.AttachMax
	var att *hubmail.Attachment
	if !link {
		decrypt := f.Encrypted && d.s.in != nil && d.s.in.CanDecrypt()
		name := f.Name
		if decrypt {
			name = strings.TrimSuffix(name, ".age")
		}
		att = &hubmail.Attachment{Name: name, Type: mimeType(name), Open: func() (io.ReadCloser, error) {
			if d.s.in == nil {
				return nil, errors.New("the hub has no recording store folder")
			}
			r, _, _, err := d.s.in.OpenStored(f, decrypt)
			return r, err
		}}
		fmt.Fprintf(&b, "The file is attached: %s (%s).\n", name, sizeWords(f.Size))
		if f.Encrypted && !decrypt {
			fmt.Fprintf(&b, "It is sealed (age) to the recording store's key, as stored; SHA-256 %s.\n", f.SHA256)
		}
	} else {
		fmt.Fprintf(&b, "The file, %s, is %s: more than the %s this hub sends by e-mail. Play or download it in the web app (log in first):\n\n  %s%s\n",
			f.Name, sizeWords(f.Size), sizeWords(d.cfg.AttachMax), strings.TrimRight(d.cfg.AppURL, "/"), page)
	}
	b.WriteString("\nAd hoc recordings are delivered to the agent who made them. Please do not reply to this e-mail.\n")
	return hubmail.Message{To: to, Subject: subject, Body: b.String(), Attachment: att}, link
}

// mimeType is a recording file's type by its name.
func mimeType(name string) string {
	switch {
	case strings.HasSuffix(name, ".webm"):
		return "video/webm"
	case strings.HasSuffix(name, ".age"):
		return "application/octet-stream"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// sizeWords is a size in bytes as a person reads it.
func sizeWords(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// scrubbed is an error whose text has the recipient's address replaced
// (a mail server's answer may quote it).
type scrubbed struct {
	err error
	to  string
}

func (e scrubbed) Error() string {
	return strings.ReplaceAll(e.err.Error(), e.to, "<the agent's address>")
}
func (e scrubbed) Unwrap() error { return e.err }

// mailWhy says in words why an attempt failed, for the agent's My
// Recordings and the audit log: never the server's address or a password
// (the hub's log has the whole error).
func mailWhy(err error) string {
	var ne net.Error
	var oe *net.OpError
	switch {
	case errors.Is(err, hubmail.ErrNoTLS):
		return "the mail server offers no STARTTLS"
	case errors.Is(err, hubmail.ErrBadAddress):
		return "the agent's e-mail address is not one address"
	case errors.As(err, &oe) || errors.As(err, &ne):
		return "the mail server cannot be reached"
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return "the mail server closed the connection"
	}
	msg := strings.TrimPrefix(err.Error(), "mail: ")
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	if hubmail.Permanent(err) {
		return "the mail server refused it: " + msg
	}
	return "the mail server failed: " + msg
}
