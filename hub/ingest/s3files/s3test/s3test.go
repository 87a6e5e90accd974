// Package s3test runs a real S3-compatible server for tests: versitygw
// (github.com/versity/versitygw) with its posix backend storing into a
// folder, on loopback, started by the test and stopped after. The binary
// is bin/tools/versitygw (make s3tools installs it); when it is missing
// Start builds it with go install. With CI set, a server that cannot be
// had is the test's failure, never a skip.
package s3test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Version is the versitygw release the tests run (the Makefile's
// VERSITYGW_VERSION).
const Version = "v1.8.0"

// Server is a running versitygw. Stop it with Stop.
type Server struct {
	Endpoint  string // 127.0.0.1:port
	AccessKey string
	SecretKey string
	Region    string
	Dir       string // the backend folder: Dir/<bucket>/<key>
	Client    *minio.Client

	cmd *exec.Cmd
}

// Binary finds versitygw: $VERSITYGW, else bin/tools/versitygw of the
// module, built with go install when missing.
func Binary() (string, error) {
	if p := os.Getenv("VERSITYGW"); p != "" {
		return p, nil
	}
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("s3test: go env GOMOD: %v", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("s3test: not inside the module")
	}
	tools := filepath.Join(filepath.Dir(mod), "bin", "tools")
	bin := filepath.Join(tools, "versitygw")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	cmd := exec.Command("go", "install", "github.com/versity/versitygw/cmd/versitygw@"+Version) // #nosec G204 -- a pinned module
	cmd.Env = append(os.Environ(), "GOBIN="+tools, "GOFLAGS=-buildvcs=false")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("s3test: go install versitygw@%s: %v\n%s", Version, err, out)
	}
	return bin, nil
}

// Start runs versitygw's posix backend over dir (its buckets are dir's
// sub-folders; metadata in a side folder, object versions in another, so
// Object Lock works on any file system) and waits until it answers.
func Start(dir string) (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	root := filepath.Join(dir, "root")
	for _, d := range []string{root, filepath.Join(dir, "meta"), filepath.Join(dir, "versions")} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return nil, err
		}
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Server{Endpoint: fmt.Sprintf("127.0.0.1:%d", port), AccessKey: "agentdesk-test",
		SecretKey: "agentdesk-test-secret-0123456789", Region: "us-east-1", Dir: root}
	log, err := os.Create(filepath.Join(dir, "versitygw.log")) // #nosec G304 -- the test's own folder
	if err != nil {
		return nil, err
	}
	defer log.Close()
	s.cmd = exec.Command(bin, "--port", s.Endpoint, "--quiet", "posix", // #nosec G204 -- the test's own server
		"--sidecar", filepath.Join(dir, "meta"), "--versioning-dir", filepath.Join(dir, "versions"), root)
	s.cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY_ID="+s.AccessKey, "ROOT_SECRET_ACCESS_KEY="+s.SecretKey)
	s.cmd.Stdout, s.cmd.Stderr = log, log
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("s3test: start versitygw: %v", err)
	}
	s.Client, err = minio.New(s.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""), Region: s.Region})
	if err != nil {
		s.Stop()
		return nil, err
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := s.Client.ListBuckets(ctx)
		cancel()
		if err == nil {
			return s, nil
		}
		if time.Now().After(deadline) {
			s.Stop()
			b, _ := os.ReadFile(filepath.Join(dir, "versitygw.log")) // #nosec G304 -- the test's log
			return nil, fmt.Errorf("s3test: versitygw does not answer on %s: %v\n%s", s.Endpoint, err, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// MakeBucket creates a bucket, with Object Lock (and so versioning) when
// lock is set.
func (s *Server) MakeBucket(ctx context.Context, name string, lock bool) error {
	return s.Client.MakeBucket(ctx, name, minio.MakeBucketOptions{Region: s.Region, ObjectLocking: lock})
}

// Stop kills the server and waits for it. It is idempotent.
func (s *Server) Stop() {
	if s == nil || s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
