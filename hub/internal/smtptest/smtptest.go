// Package smtptest is a small SMTP server on loopback for tests: it speaks
// enough of RFC 5321 (EHLO, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP,
// QUIT) for net/smtp and keeps every message it is given.
package smtptest

import (
	"bufio"
	"encoding/base64"
	"net"
	"strings"
	"sync"
	"testing"
)

// Message is one message the server took.
type Message struct {
	From string
	To   []string
	Data string // headers and body, CRLF line ends, dots unstuffed
	User string // who logged in ("" without AUTH)
}

// Server is a running SMTP server.
type Server struct {
	Addr string // 127.0.0.1:port
	ln   net.Listener

	mu   sync.Mutex
	msgs []Message
	down bool
	wg   sync.WaitGroup
}

// Start runs a server until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: ln.Addr().String(), ln: ln}
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}

// Down makes the server refuse every connection until Up (a mail server
// that is away).
func (s *Server) Down() { s.mu.Lock(); s.down = true; s.mu.Unlock() }

// Up lets connections in again.
func (s *Server) Up() { s.mu.Lock(); s.down = false; s.mu.Unlock() }

// Messages returns what the server took so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

func (s *Server) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		down := s.down
		s.mu.Unlock()
		if down {
			c.Close()
			continue
		}
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.session(c) }()
	}
}

func (s *Server) session(c net.Conn) {
	defer c.Close()
	r, w := bufio.NewReader(c), bufio.NewWriter(c)
	say := func(line string) { w.WriteString(line + "\r\n"); w.Flush() }
	say("220 smtptest ready")
	var m Message
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		cmd := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		switch cmd {
		case "EHLO", "HELO":
			say("250-smtptest\r\n250-AUTH PLAIN\r\n250 8BITMIME")
		case "AUTH":
			parts := strings.Fields(line)
			if len(parts) == 3 && strings.EqualFold(parts[1], "PLAIN") {
				raw, _ := base64.StdEncoding.DecodeString(parts[2])
				f := strings.Split(string(raw), "\x00")
				if len(f) == 3 && f[2] == "secret" {
					m.User = f[1]
					say("235 ok")
					continue
				}
			}
			say("535 authentication failed")
		case "MAIL":
			m.From = path(line)
			say("250 ok")
		case "RCPT":
			m.To = append(m.To, path(line))
			say("250 ok")
		case "DATA":
			say("354 go on")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(strings.TrimPrefix(l, "."))
			}
			m.Data = b.String()
			s.mu.Lock()
			s.msgs = append(s.msgs, m)
			s.mu.Unlock()
			m = Message{User: m.User}
			say("250 queued")
		case "RSET", "NOOP":
			say("250 ok")
		case "QUIT":
			say("221 bye")
			return
		default:
			say("502 not here")
		}
	}
}

// path is the <address> of a MAIL FROM or RCPT TO line, without its
// parameters.
func path(line string) string {
	i, j := strings.IndexByte(line, '<'), strings.IndexByte(line, '>')
	if i < 0 || j < i {
		return ""
	}
	return line[i+1 : j]
}
