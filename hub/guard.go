package hub

import (
	"net/http"
	"net/netip"
	"strconv"
	"strings"

	"github.com/agentdesk/agentdesk/hub/api"
)

// ContentSecurityPolicy is sent with every answer. The customer page
// passes it: no inline script or style, nothing from elsewhere, no
// framing; its websocket and queues.json are same-origin ('self' covers
// ws: and wss: to the same host).
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; media-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// forwardedHeaders are what a reverse proxy says of the client; they are
// believed only from limits' trusted_proxies.
var forwardedHeaders = []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Real-Ip"}

// guard is what every request passes before the hub's routes: a
// connection over the caps is refused in words (but may ask /healthz),
// what a client says of itself as a proxy is dropped unless it is a
// trusted proxy, and every answer carries the security headers (and HSTS
// over TLS).
func (s *Server) guard(next http.Handler) http.Handler {
	hsts := "max-age=" + strconv.FormatInt(int64(s.cfg.TLS.HSTSMaxAge.Seconds()), 10)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxied := s.fromTrustedProxy(r)
		if !proxied {
			for _, h := range forwardedHeaders {
				r.Header.Del(h)
			}
		}
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if r.TLS != nil || proxied && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
			h.Set("Strict-Transport-Security", hsts)
		}
		if c, _ := r.Context().Value(connKey{}).(*limitedConn); c != nil && c.state != admitted {
			h.Set("Connection", "close")
			if r.URL.Path != "/healthz" {
				s.refuseConn(w, c)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// refuseConn answers a request on a connection over the caps.
func (s *Server) refuseConn(w http.ResponseWriter, c *limitedConn) {
	w.Header().Set("Retry-After", "5")
	if c.state == overIP {
		api.WriteError(w, http.StatusTooManyRequests, api.ErrTooManyConnections,
			"this address has %d connections open to the hub, the most it may (limits.connections_per_ip); close some or try again shortly", s.conns.perIP)
		return
	}
	api.WriteError(w, http.StatusServiceUnavailable, api.ErrTooManyConnections,
		"the hub has %d connections open, the most it may (limits.max_connections); try again shortly", s.conns.max)
}

// remoteAddr is the address a request's connection comes from.
func remoteAddr(r *http.Request) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}, false
	}
	return ap.Addr().Unmap(), true
}

func (s *Server) fromTrustedProxy(r *http.Request) bool {
	a, ok := remoteAddr(r)
	return ok && len(s.cfg.proxies) > 0 && s.cfg.trusted(a)
}

// clientIP is the address a request comes from: its connection's, or,
// from a trusted proxy, the last address in X-Forwarded-For that is not a
// trusted proxy itself.
func (s *Server) clientIP(r *http.Request) string {
	a, ok := remoteAddr(r)
	if !ok {
		return r.RemoteAddr
	}
	if !s.fromTrustedProxy(r) {
		return a.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		h, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		a = h.Unmap()
		if !s.cfg.trusted(a) {
			break
		}
	}
	return a.String()
}
