package hubclient

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/coder/websocket"
)

// TLSConfig is the TLS the desktop uses to reach a hub whose certificate
// is signed by caFile (PEM: a private CA's certificate, e.g. the company's
// or one made for the hub), trusted besides the system's authorities.
// With caFile "" it returns nil: the system's authorities alone (Go also
// reads SSL_CERT_FILE and SSL_CERT_DIR).
func TLSConfig(caFile string) (*tls.Config, error) {
	if caFile == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(caFile) // #nosec G304 -- the CA file the user names
	if err != nil {
		return nil, fmt.Errorf("the hub's CA: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("the hub's CA: %s holds no PEM certificate (want -----BEGIN CERTIFICATE-----)", caFile)
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

// WithTLS makes the client trust the hub's certificate by cfg (from
// TLSConfig; nil keeps the system's authorities). It replaces the HTTP
// client of WithDialer's options, so give it after WithDialer.
func WithTLS(cfg *tls.Config) Option {
	return func(o *options) {
		if cfg == nil {
			return
		}
		d := websocket.DialOptions{}
		if o.dialOptions != nil {
			d = *o.dialOptions
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = cfg
		d.HTTPClient = &http.Client{Transport: tr}
		o.dialOptions = &d
	}
}

// TLSWords says in words why a TLS connection to host failed, with what
// to do about it, or "" when err is no TLS trouble. The uploader's hub
// sink says the same.
func TLSWords(host string, err error) string {
	var unknown x509.UnknownAuthorityError
	var name x509.HostnameError
	var invalid x509.CertificateInvalidError
	var record tls.RecordHeaderError
	var verify *tls.CertificateVerificationError
	switch {
	case errors.As(err, &unknown):
		return fmt.Sprintf("the hub at %s has a certificate this desktop does not trust (signed by an unknown authority): give the hub's CA certificate with --ca FILE", host)
	case errors.As(err, &name):
		return fmt.Sprintf("the hub at %s has a certificate for another name (%v): use the address the certificate names", host, err)
	case errors.As(err, &invalid):
		return fmt.Sprintf("the hub at %s has a certificate that is not valid (%v)", host, err)
	case errors.As(err, &verify):
		return fmt.Sprintf("the hub at %s has a certificate this desktop cannot verify (%v): give the hub's CA certificate with --ca FILE", host, verify.Err)
	case errors.As(err, &record), strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return fmt.Sprintf("the hub at %s does not speak TLS: use http:// (or ask IT to turn TLS on at the hub)", host)
	}
	return ""
}
