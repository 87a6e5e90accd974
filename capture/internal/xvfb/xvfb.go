// Package xvfb starts a private Xvfb X server for tests and benchmarks and
// paints on it: solid fills, rectangles, and an xterm scrolling text for
// scripted activity. Each Display is its own server (Xvfb -displayfd picks
// a free number), killed by Close (or by the test's Cleanup).
package xvfb

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"github.com/agentdesk/agentdesk/capture/internal/headbuf"
)

// ErrNoXvfb is returned by Launch when the Xvfb binary is not installed.
var ErrNoXvfb = errors.New("xvfb: Xvfb not installed (Debian: apt-get install xvfb)")

// ErrClosed is returned by a Display's painters after Close.
var ErrClosed = errors.New("xvfb: display closed")

// Config says what server to start.
type Config struct {
	// Width and Height are the size of the screen (the whole desktop).
	Width, Height int
	// Monitors, when set, divide the desktop into monitors (RandR 1.5
	// monitors, which Xinerama clients such as kbinani/screenshot see as
	// screens), in this order. Needs xrandr (x11-xserver-utils).
	Monitors []image.Rectangle
	// Args are more arguments for the server, e.g. "-extension",
	// "DAMAGE" to start it without an extension.
	Args []string
}

// Display is a running Xvfb server with a connection to paint through.
type Display struct {
	name string
	w, h int
	cmd  *exec.Cmd
	done chan struct{} // closed when the server process has exited

	mu     sync.Mutex
	conn   *xgb.Conn
	root   xproto.Window
	gc     xproto.Gcontext
	extra  []*exec.Cmd
	closed bool
}

// Start launches a w x h x 24 Xvfb for the test and stops it in Cleanup.
// When Xvfb is missing the test is skipped with a clear message, or fails
// when the CI environment variable is set.
func Start(t testing.TB, w, h int) *Display {
	t.Helper()
	return StartConfig(t, Config{Width: w, Height: h})
}

// StartConfig is Start with a full Config (several screens, Xinerama).
func StartConfig(t testing.TB, cfg Config) *Display {
	t.Helper()
	d, err := Launch(context.Background(), cfg)
	if errors.Is(err, ErrNoXvfb) && os.Getenv("CI") == "" {
		t.Skipf("%v (set CI to make this a failure)", err)
	}
	if err != nil {
		t.Fatalf("xvfb: %v", err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

// Launch starts an Xvfb server outside of tests (the benchmark command)
// and returns once it accepts connections. The caller must Close it.
func Launch(ctx context.Context, cfg Config) (*Display, error) {
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > 16384 || cfg.Height > 16384 {
		return nil, fmt.Errorf("xvfb: bad screen size %dx%d", cfg.Width, cfg.Height)
	}
	desk := image.Rect(0, 0, cfg.Width, cfg.Height)
	for _, m := range cfg.Monitors {
		if m.Empty() || !m.In(desk) {
			return nil, fmt.Errorf("xvfb: monitor %v outside the %dx%d screen", m, cfg.Width, cfg.Height)
		}
	}
	bin, err := exec.LookPath("Xvfb")
	if err != nil {
		return nil, ErrNoXvfb
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("xvfb: pipe: %w", err)
	}
	defer pr.Close()
	args := []string{"-displayfd", "3", "-nolisten", "tcp", "-noreset",
		"-screen", "0", fmt.Sprintf("%dx%dx24", cfg.Width, cfg.Height)}
	args = append(args, cfg.Args...)
	cmd := exec.Command(bin, args...)
	cmd.ExtraFiles = []*os.File{pw}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	stderr := headbuf.New(4096)
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		pw.Close()
		return nil, fmt.Errorf("xvfb: start: %w", err)
	}
	pw.Close()
	d := &Display{cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(d.done) }()

	num := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(pr).ReadString('\n')
		num <- strings.TrimSpace(line)
	}()
	var n string
	select {
	case n = <-num:
	case <-ctx.Done():
		d.kill()
		return nil, fmt.Errorf("xvfb: waiting for the display number: %w", ctx.Err())
	case <-time.After(20 * time.Second):
		d.kill()
		return nil, errors.New("xvfb: no display number after 20s: " + stderr.String())
	}
	if _, err := strconv.Atoi(n); err != nil {
		d.kill()
		<-d.done
		return nil, fmt.Errorf("xvfb: server did not start: %s", strings.TrimSpace(stderr.String()))
	}
	d.name = ":" + n
	if err := d.connect(); err != nil {
		d.kill()
		return nil, err
	}
	if err := d.setMonitors(ctx, cfg.Monitors); err != nil {
		_ = d.Close()
		return nil, err
	}
	return d, nil
}

// setMonitors defines the RandR monitors: the first takes Xvfb's one
// output ("screen"), so the default whole-screen monitor goes away.
func (d *Display) setMonitors(ctx context.Context, mons []image.Rectangle) error {
	for i, m := range mons {
		output := "none"
		if i == 0 {
			output = "screen"
		}
		geom := fmt.Sprintf("%d/0x%d/0+%d+%d", m.Dx(), m.Dy(), m.Min.X, m.Min.Y)
		cmd := exec.CommandContext(ctx, "xrandr", "-display", d.name, "--setmonitor", fmt.Sprintf("m%d", i), geom, output)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("xvfb: xrandr --setmonitor: %v: %s", err, strings.TrimSpace(string(out)))
		}
	}
	return nil
}

func (d *Display) connect() error {
	conn, err := xgb.NewConnDisplay(d.name)
	if err != nil {
		return fmt.Errorf("xvfb: connect %s: %w", d.name, err)
	}
	scr := xproto.Setup(conn).DefaultScreen(conn)
	gc, err := xproto.NewGcontextId(conn)
	if err != nil {
		conn.Close()
		return fmt.Errorf("xvfb: gc id: %w", err)
	}
	if err := xproto.CreateGCChecked(conn, gc, xproto.Drawable(scr.Root), 0, nil).Check(); err != nil {
		conn.Close()
		return fmt.Errorf("xvfb: create gc: %w", err)
	}
	d.conn, d.root, d.gc = conn, scr.Root, gc
	d.w, d.h = int(scr.WidthInPixels), int(scr.HeightInPixels)
	// The pointer rests in the bottom-right corner, out of the way of
	// what the tests paint (the capture draws the cursor into frames).
	return d.warp(d.w-1, d.h-1)
}

// WarpPointer moves the pointer to (x, y) on the root window and returns
// once the server has done it.
func (d *Display) WarpPointer(x, y int) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return ErrClosed
	}
	return d.warp(x, y)
}

func (d *Display) warp(x, y int) error {
	xproto.WarpPointer(d.conn, 0, d.root, 0, 0, 0, 0, int16(x), int16(y))
	if _, err := xproto.GetInputFocus(d.conn).Reply(); err != nil {
		return fmt.Errorf("xvfb: warp pointer: %w", err)
	}
	return nil
}

// Name is the display's name, ":N", for DISPLAY or an Open call.
func (d *Display) Name() string { return d.name }

// Pid is the server's process id (for CPU accounting).
func (d *Display) Pid() int { return d.cmd.Process.Pid }

// Size is the size of the default screen (the whole desktop with Xinerama).
func (d *Display) Size() (w, h int) { return d.w, d.h }

// Fill paints the whole screen in c.
func (d *Display) Fill(c color.Color) error { return d.FillRect(0, 0, d.w, d.h, c) }

// FillRect paints a rectangle in c on the root window and returns once the
// server has done it: a later grab from any client sees it.
func (d *Display) FillRect(x, y, w, h int, c color.Color) error {
	if w <= 0 || h <= 0 || w > 65535 || h > 65535 {
		return fmt.Errorf("xvfb: bad rectangle %dx%d", w, h)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return ErrClosed
	}
	r, g, b, _ := c.RGBA()
	pixel := (r>>8)<<16 | (g>>8)<<8 | b>>8
	xproto.ChangeGC(d.conn, d.gc, xproto.GcForeground, []uint32{pixel})
	rect := xproto.Rectangle{X: int16(x), Y: int16(y), Width: uint16(w), Height: uint16(h)}
	xproto.PolyFillRectangle(d.conn, xproto.Drawable(d.root), d.gc, []xproto.Rectangle{rect})
	// A reply is the barrier: requests are done in order.
	if _, err := xproto.GetInputFocus(d.conn).Reply(); err != nil {
		return fmt.Errorf("xvfb: fill: %w", err)
	}
	return nil
}

// StartXterm runs shell command cmd in an xterm covering the screen (a
// terminal scrolling text is the benchmark's steady activity). The xterm
// is killed by Close.
func (d *Display) StartXterm(cmd string) error {
	bin, err := exec.LookPath("xterm")
	if err != nil {
		return errors.New("xvfb: xterm not installed (Debian: apt-get install xterm)")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return ErrClosed
	}
	// 6x13 is xterm's default font cell.
	geom := fmt.Sprintf("%dx%d+0+0", d.w/6, d.h/13)
	x := exec.Command(bin, "-display", d.name, "-geometry", geom, "-e", "sh", "-c", cmd)
	x.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := x.Start(); err != nil {
		return fmt.Errorf("xvfb: xterm: %w", err)
	}
	d.extra = append(d.extra, x)
	return nil
}

// Close kills the xterms and the server and waits for the server to exit.
// It is idempotent.
func (d *Display) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	extra := d.extra
	d.extra = nil
	conn := d.conn
	d.mu.Unlock()
	for _, x := range extra {
		_ = syscall.Kill(-x.Process.Pid, syscall.SIGKILL)
		_ = x.Wait()
	}
	if conn != nil {
		conn.Close()
	}
	d.kill()
	return nil
}

// kill ends the server: TERM, then KILL if it lingers.
func (d *Display) kill() {
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
		<-d.done
	}
}
