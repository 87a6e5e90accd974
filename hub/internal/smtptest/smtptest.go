// Package smtptest is a real SMTP server on loopback for tests
// (github.com/emersion/go-smtp): AUTH PLAIN (password "secret"), STARTTLS
// with a certificate of a test CA when asked, and every message it takes
// kept for the test to read.
package smtptest

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"io"
	"mime"
	mpart "mime/multipart"
	"net"
	netmail "net/mail"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/agentdesk/agentdesk/internal/testpki"
)

// Password is the one password the server takes (any user name).
const Password = "secret"

// Message is one message the server took.
type Message struct {
	From string
	To   []string
	Data string // headers and body, CRLF line ends, dots unstuffed
	User string // who logged in ("" without AUTH)
	TLS  bool   // the message came over STARTTLS
}

// Server is a running SMTP server.
type Server struct {
	Addr string // 127.0.0.1:port
	// CAFile is the PEM of the CA that signed the server's certificate
	// ("" for a server without STARTTLS).
	CAFile string
	// CAPool holds that CA.
	CAPool *x509.CertPool

	srv *smtp.Server

	mu      sync.Mutex
	msgs    []Message
	down    bool
	tempErr int // the next tempErr messages are refused 451
	permErr int // the next permErr messages are refused 554
}

// Start runs a server without STARTTLS (AUTH allowed in the clear) until
// the test ends.
func Start(t testing.TB) *Server { return start(t, false) }

// StartTLS runs a server that offers STARTTLS with a certificate for
// 127.0.0.1 and localhost signed by a CA made for the test, and takes
// AUTH only over TLS, until the test ends.
func StartTLS(t testing.TB) *Server { return start(t, true) }

func start(t testing.TB, withTLS bool) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: ln.Addr().String()}
	srv := smtp.NewServer(smtp.BackendFunc(s.newSession))
	srv.Domain = "smtptest.localhost"
	srv.ReadTimeout, srv.WriteTimeout = 30*time.Second, 30*time.Second
	srv.MaxMessageBytes = 256 << 20
	srv.AllowInsecureAuth = !withTLS
	if withTLS {
		pki := testpki.New(t, "smtptest CA")
		cert, err := tls.LoadX509KeyPair(pki.Cert, pki.Key)
		if err != nil {
			t.Fatal(err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		pemCA, err := os.ReadFile(pki.CA)
		if err != nil {
			t.Fatal(err)
		}
		s.CAFile, s.CAPool = pki.CA, x509.NewCertPool()
		if !s.CAPool.AppendCertsFromPEM(pemCA) {
			t.Fatal("smtptest: the test CA's PEM holds no certificate")
		}
	}
	s.srv = srv
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(gate{ln, s}) }()
	t.Cleanup(func() { _ = srv.Close(); <-done })
	return s
}

// Down makes the server close every new connection at once, before its
// greeting, until Up (a mail server that is away).
func (s *Server) Down() { s.mu.Lock(); s.down = true; s.mu.Unlock() }

// Up lets connections in again.
func (s *Server) Up() { s.mu.Lock(); s.down = false; s.mu.Unlock() }

// RefuseNext refuses the next n messages for now (451 at MAIL FROM).
func (s *Server) RefuseNext(n int) { s.mu.Lock(); s.tempErr = n; s.mu.Unlock() }

// RejectNext rejects the next n messages for good (554 at RCPT TO, the
// answer quoting the address).
func (s *Server) RejectNext(n int) { s.mu.Lock(); s.permErr = n; s.mu.Unlock() }

// Messages returns what the server took so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

func (s *Server) newSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{s: s, c: c}, nil
}

// gate is the server's listener: while the server is down it closes
// every connection as it comes, before a word is said.
type gate struct {
	net.Listener
	s *Server
}

func (g gate) Accept() (net.Conn, error) {
	for {
		c, err := g.Listener.Accept()
		if err != nil {
			return nil, err
		}
		g.s.mu.Lock()
		down := g.s.down
		g.s.mu.Unlock()
		if !down {
			return c, nil
		}
		_ = c.Close()
	}
}

type session struct {
	s *Server
	c *smtp.Conn
	m Message
}

var _ smtp.AuthSession = (*session)(nil)

func (x *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (x *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if pass != Password {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "authentication failed"}
		}
		x.m.User = user
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	switch {
	case x.s.tempErr > 0:
		x.s.tempErr--
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	x.m.From = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	if x.s.permErr > 0 {
		x.s.permErr--
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "<" + to + "> rejected"}
	}
	x.m.To = append(x.m.To, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, x.m.TLS = x.c.TLSConnectionState()
	x.m.Data = string(b)
	x.s.mu.Lock()
	x.s.msgs = append(x.s.msgs, x.m)
	x.s.mu.Unlock()
	x.m = Message{User: x.m.User}
	return nil
}

func (x *session) Reset()        { x.m = Message{User: x.m.User} }
func (x *session) Logout() error { return nil }

// Parts reads the message: its text and, when it is multipart/mixed, its
// one attachment's name and bytes (which must be base64). multipart says
// whether it was.
func (m Message) Parts(t testing.TB) (body, name string, file []byte, multipart bool) {
	t.Helper()
	msg, err := netmail.ReadMessage(strings.NewReader(m.Data))
	if err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("content type %q: %v", msg.Header.Get("Content-Type"), err)
	}
	if mt != "multipart/mixed" {
		b, err := io.ReadAll(msg.Body)
		if err != nil {
			t.Fatal(err)
		}
		return string(b), "", nil, false
	}
	r := mpart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := r.NextPart()
		if err == io.EOF {
			return body, name, file, true
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(part)
		if err != nil {
			t.Fatal(err)
		}
		if part.FileName() == "" {
			body = string(b)
			continue
		}
		if part.Header.Get("Content-Transfer-Encoding") != "base64" {
			t.Fatalf("attachment encoding %q", part.Header.Get("Content-Transfer-Encoding"))
		}
		name = part.FileName()
		if file, err = base64.StdEncoding.DecodeString(strings.ReplaceAll(string(b), "\r\n", "")); err != nil {
			t.Fatal(err)
		}
	}
}
