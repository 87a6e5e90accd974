package hub

import (
	"crypto/tls"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"
)

// DefaultHSTSMaxAge is how long browsers are told to use only HTTPS for
// the hub when tls.hsts_max_age is left out: 180 days.
const DefaultHSTSMaxAge = 180 * 24 * time.Hour

// TLSConfig is the "tls:" section: with a certificate and its key the hub
// serves HTTPS and WSS only, and tells browsers to keep to it (HSTS).
type TLSConfig struct {
	// CertFile is the PEM certificate chain (the hub's certificate first,
	// then its intermediates); KeyFile its private key. Both or neither.
	// The files are read again when they change (a renewed certificate
	// needs no restart).
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// HSTSMaxAge is the max-age of Strict-Transport-Security; 0 means
	// DefaultHSTSMaxAge.
	HSTSMaxAge time.Duration `yaml:"hsts_max_age"`
}

// On reports whether the hub serves TLS itself.
func (t TLSConfig) On() bool { return t.CertFile != "" }

// validateNet checks the tls section and the trusted proxies.
func (c *Config) validateNet(bad func(string, ...any)) {
	t := &c.TLS
	switch {
	case t.CertFile == "" && t.KeyFile == "":
	case t.CertFile == "" || t.KeyFile == "":
		bad("tls: give both cert_file and key_file (or neither, for plain HTTP behind a TLS proxy)")
	default:
		cf, err := loadCert(t.CertFile, t.KeyFile)
		if err != nil {
			bad("tls: %v", err)
		}
		c.cert = cf
	}
	switch {
	case t.HSTSMaxAge < 0:
		bad("tls.hsts_max_age: %s is negative; leave it out for %s", t.HSTSMaxAge, DefaultHSTSMaxAge)
	case t.HSTSMaxAge == 0:
		t.HSTSMaxAge = DefaultHSTSMaxAge
	}
	c.proxies = nil
	for i, p := range c.TrustedProxies {
		pre, err := parsePrefix(p)
		if err != nil {
			bad("trusted_proxies[%d]: %q is not an IP address or CIDR range such as 10.0.0.0/8", i, p)
			continue
		}
		c.proxies = append(c.proxies, pre)
	}
}

func parsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// trusted reports whether addr is one of the trusted proxies.
func (c *Config) trusted(addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, p := range c.proxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// certFiles is the hub's key pair, read again from its files when they
// change (checked at most every few seconds, on a handshake).
type certFiles struct {
	cert, key string

	mu      sync.Mutex
	pair    *tls.Certificate
	mtimes  [2]time.Time
	checked time.Time
}

func loadCert(cert, key string) (*certFiles, error) {
	cf := &certFiles{cert: cert, key: key}
	if err := cf.reload(); err != nil {
		return nil, err
	}
	return cf, nil
}

// reload reads the pair; the caller holds mu or owns cf alone.
func (cf *certFiles) reload() error {
	var mt [2]time.Time
	for i, p := range []string{cf.cert, cf.key} {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("cannot read %s: %v", p, err)
		}
		mt[i] = fi.ModTime()
	}
	pair, err := tls.LoadX509KeyPair(cf.cert, cf.key)
	if err != nil {
		return fmt.Errorf("%s with %s: %v (want a PEM certificate chain and its PEM private key)", cf.cert, cf.key, err)
	}
	cf.pair, cf.mtimes = &pair, mt
	return nil
}

// get is tls.Config.GetCertificate: the current pair, read again when a
// file changed. A renewal that does not load (half written, wrong key)
// keeps the old pair until it does.
func (cf *certFiles) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	cf.mu.Lock()
	defer cf.mu.Unlock()
	if now := time.Now(); now.Sub(cf.checked) > 5*time.Second {
		cf.checked = now
		for i, p := range []string{cf.cert, cf.key} {
			if fi, err := os.Stat(p); err == nil && !fi.ModTime().Equal(cf.mtimes[i]) {
				_ = cf.reload()
				break
			}
		}
	}
	return cf.pair, nil
}
