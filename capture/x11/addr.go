package x11

import (
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
)

// displayAddr splits a display name ("", ":0", ":1.0", "host:2",
// "/tmp/.X11-unix/X0") into a network and an address, and the display
// and screen numbers.
func displayAddr(name string) (network, addr, host, dispNum string, screen int, err error) {
	colon := strings.LastIndex(name, ":")
	if colon < 0 {
		return "", "", "", "", 0, fmt.Errorf("bad display name %q", name)
	}
	host, rest := name[:colon], name[colon+1:]
	dispNum = rest
	if dot := strings.LastIndex(rest, "."); dot >= 0 {
		dispNum = rest[:dot]
		if screen, err = strconv.Atoi(rest[dot+1:]); err != nil || screen < 0 {
			return "", "", "", "", 0, fmt.Errorf("bad screen in display name %q", name)
		}
	}
	n, err := strconv.Atoi(dispNum)
	if err != nil || n < 0 {
		return "", "", "", "", 0, fmt.Errorf("bad display number in %q", name)
	}
	switch {
	case strings.HasPrefix(host, "/"):
		return "unix", host + ":" + dispNum, "", dispNum, screen, nil
	case host == "" || host == "unix":
		return "unix", "/tmp/.X11-unix/X" + dispNum, "", dispNum, screen, nil
	default:
		if slash := strings.LastIndex(host, "/"); slash >= 0 {
			host = host[slash+1:]
		}
		return "tcp", net.JoinHostPort(host, strconv.Itoa(6000+n)), host, dispNum, screen, nil
	}
}

// readAuthority finds the MIT-MAGIC-COOKIE-1 for the display in
// $XAUTHORITY or ~/.Xauthority; none means connect without one (Xvfb).
func readAuthority(host, dispNum string) (string, []byte) {
	const familyLocal, familyWild = 256, 65535
	if host == "" || host == "localhost" {
		host, _ = os.Hostname()
	}
	fname := os.Getenv("XAUTHORITY")
	if fname == "" {
		home := os.Getenv("HOME")
		if home == "" {
			return "", nil
		}
		fname = home + "/.Xauthority"
	}
	b, err := os.ReadFile(fname)
	if err != nil {
		return "", nil
	}
	field := func() ([]byte, bool) {
		if len(b) < 2 {
			return nil, false
		}
		n := int(binary.BigEndian.Uint16(b))
		if len(b) < 2+n {
			return nil, false
		}
		f := b[2 : 2+n]
		b = b[2+n:]
		return f, true
	}
	for len(b) >= 2 {
		family := binary.BigEndian.Uint16(b)
		b = b[2:]
		addr, ok1 := field()
		disp, ok2 := field()
		name, ok3 := field()
		data, ok4 := field()
		if !ok1 || !ok2 || !ok3 || !ok4 {
			return "", nil
		}
		addrOK := family == familyWild || (family == familyLocal && string(addr) == host)
		if addrOK && (len(disp) == 0 || string(disp) == dispNum) && string(name) == "MIT-MAGIC-COOKIE-1" {
			return string(name), data
		}
	}
	return "", nil
}
