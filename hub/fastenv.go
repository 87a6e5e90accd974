package hub

import (
	"unicode/utf8"

	"github.com/agentdesk/agentdesk/session"
)

// inbound is one received frame: its envelope and, when parseFast took the
// frame, its send or typing payload already decoded. One is reused per
// socket. env.Data may point into the socket's read buffer: it is valid only
// while the frame is handled, never kept.
type inbound struct {
	env    session.Envelope
	send   session.SendData   // the payload of a send, when pre
	typing session.TypingData // the payload of a typing, when pre
	pre    bool               // parseFast decoded the payload of env.Type
}

// sendData is the frame's send payload, or what is wrong with it.
func (in *inbound) sendData() (session.SendData, *frameError) {
	if in.pre {
		return in.send, nil
	}
	var d session.SendData
	fe := decode(in.env, &d)
	return d, fe
}

// typingData is the frame's typing payload, or what is wrong with it.
func (in *inbound) typingData() (session.TypingData, *frameError) {
	if in.pre {
		return in.typing, nil
	}
	var d session.TypingData
	fe := decode(in.env, &d)
	return d, fe
}

// parse reads a frame into in: parseFast for the hot shapes, else the
// general parseEnvelope (which alone words the errors).
func (in *inbound) parse(b []byte) *frameError {
	if parseFast(b, in) {
		return nil
	}
	in.pre, in.send, in.typing = false, session.SendData{}, session.TypingData{}
	var fe *frameError
	in.env, fe = parseEnvelope(b)
	return fe
}

// parseFast decodes the common shape of a send or typing frame in one pass,
// without reflection: an object with the keys v (the protocol version),
// type, ref, chat and data, each at most once, plain strings (no escapes,
// valid UTF-8), and a data object with only that type's keys. Anything else
// (other types, escapes, null, unknown or repeated keys, another version, bad
// JSON) is not taken: it returns false and the caller uses parseEnvelope.
// Whatever it takes, encoding/json reads the same (FuzzParseFast).
func parseFast(b []byte, in *inbound) bool {
	s := scan{b: b}
	var (
		env                      session.Envelope
		p                        payload
		seenV, seenType, seenRef bool
		seenChat, seenData       bool
	)
	if !s.byte('{') {
		return false
	}
	for more := !s.byte('}'); more; more = s.next() {
		key, ok := s.rawString()
		if !ok || !s.byte(':') {
			return false
		}
		switch string(key) { // no allocation: the compiler compares in place
		case "v":
			if seenV || !s.version() {
				return false
			}
			seenV = true
		case "type":
			t, ok := s.rawString()
			if seenType || !ok {
				return false
			}
			switch string(t) {
			case session.TypeSend:
				env.Type = session.TypeSend
			case session.TypeTyping:
				env.Type = session.TypeTyping
			default:
				return false
			}
			seenType = true
		case "ref":
			r, ok := s.rawString()
			if seenRef || !ok {
				return false
			}
			env.Ref, seenRef = str(r), true
		case "chat":
			c, ok := s.rawString()
			if seenChat || !ok {
				return false
			}
			env.Chat, seenChat = in.env.Chat, true
			if string(c) != env.Chat { // a socket mostly sends for one chat: keep its string
				env.Chat = str(c)
			}
		case "data":
			if seenData {
				return false
			}
			s.space()
			start := s.i
			if !p.parse(&s) {
				return false
			}
			env.Data, seenData = b[start:s.i:s.i], true
		default:
			return false
		}
	}
	if s.failed {
		return false
	}
	s.space()
	if s.i != len(b) || !seenV || !seenType || !seenData {
		return false
	}
	env.V = session.ProtocolVersion
	switch env.Type {
	case session.TypeSend:
		if p.seenTyping || p.seenPreview {
			return false
		}
		in.send, in.typing = session.SendData{Text: p.text}, session.TypingData{}
	default:
		if p.seenText {
			return false
		}
		in.send, in.typing = session.SendData{}, session.TypingData{Typing: p.typing, Preview: p.preview}
	}
	in.env, in.pre = env, true
	return true
}

// payload is a send or typing data object as parseFast reads it.
type payload struct {
	text, preview                     string
	typing                            bool
	seenText, seenTyping, seenPreview bool
}

// parse reads {"text": s} / {"typing": b, "preview": s}, each key at most once.
func (p *payload) parse(s *scan) bool {
	if !s.byte('{') {
		return false
	}
	for more := !s.byte('}'); more; more = s.next() {
		key, ok := s.rawString()
		if !ok || !s.byte(':') {
			return false
		}
		switch string(key) {
		case "text":
			t, ok := s.rawString()
			if p.seenText || !ok {
				return false
			}
			p.text, p.seenText = str(t), true
		case "preview":
			t, ok := s.rawString()
			if p.seenPreview || !ok {
				return false
			}
			p.preview, p.seenPreview = str(t), true
		case "typing":
			v, ok := s.boolean()
			if p.seenTyping || !ok {
				return false
			}
			p.typing, p.seenTyping = v, true
		default:
			return false
		}
	}
	return !s.failed
}

// str is a string of b; the empty string costs no allocation.
func str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return string(b)
}

// scan walks a frame for parseFast.
type scan struct {
	b      []byte
	i      int
	failed bool // next found neither ',' nor '}'
}

// next reads what follows an object member: ',' (another member comes) or
// '}' (the object ends). Anything else sets failed.
func (s *scan) next() bool {
	if s.byte(',') {
		return true
	}
	s.failed = !s.byte('}')
	return false
}

// space skips JSON whitespace.
func (s *scan) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// byte skips whitespace and then c, if c is next.
func (s *scan) byte(c byte) bool {
	s.space()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// rawString reads a string without escapes or control characters, of valid
// UTF-8 (what encoding/json would keep byte for byte), and returns its
// content within the frame.
func (s *scan) rawString() ([]byte, bool) {
	if !s.byte('"') {
		return nil, false
	}
	start, ascii := s.i, true
	for ; s.i < len(s.b); s.i++ {
		switch c := s.b[s.i]; {
		case c == '"':
			v := s.b[start:s.i]
			s.i++
			return v, ascii || utf8.Valid(v)
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, false
}

// version reads the number ProtocolVersion, written plainly (what follows
// is checked by the caller: ',' or '}').
func (s *scan) version() bool {
	s.space()
	n, start := 0, s.i
	for ; s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' && s.i-start < 9; s.i++ {
		n = n*10 + int(s.b[s.i]-'0')
	}
	return s.i > start && !(s.b[start] == '0' && s.i-start > 1) && n == session.ProtocolVersion
}

// boolean reads true or false (what follows is checked by the caller).
func (s *scan) boolean() (v, ok bool) {
	s.space()
	rest := s.b[s.i:]
	switch {
	case len(rest) >= 4 && string(rest[:4]) == "true":
		s.i += 4
		return true, true
	case len(rest) >= 5 && string(rest[:5]) == "false":
		s.i += 5
		return false, true
	}
	return false, false
}
