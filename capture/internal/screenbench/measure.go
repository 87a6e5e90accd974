package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// errStat is returned for a /proc stat line that cannot be read.
var errStat = errors.New("screenbench: unreadable /proc stat")

// result is one run's figures.
type result struct {
	cpu    time.Duration // the recorder (its children included)
	xcpu   time.Duration // the X server over the same time
	pcpu   time.Duration // PulseAudio over the same time
	wall   time.Duration
	peakKB int64 // the recorder's peak RSS
	bytes  int64 // the output file
}

// perMin scales d measured over rec to one recorded minute.
func perMin(d, rec time.Duration) float64 {
	return d.Seconds() * float64(time.Minute) / float64(rec)
}

// measure runs cmd and reads its CPU and peak memory, the CPU of the
// processes watched (the X server, PulseAudio; pid 0 is none) over the
// same time and the size of file.
func measure(cmd *exec.Cmd, xpid, ppid int, file string) (result, error) {
	var r result
	x0, err := procCPU(xpid)
	if err != nil {
		return r, err
	}
	p0, err := procCPU(ppid)
	if err != nil {
		return r, err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	t0 := time.Now()
	if err := cmd.Run(); err != nil {
		return r, fmt.Errorf("%v: %s", err, stderr.String())
	}
	r.wall = time.Since(t0)
	x1, err := procCPU(xpid)
	if err != nil {
		return r, err
	}
	p1, err := procCPU(ppid)
	if err != nil {
		return r, err
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	r.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	r.xcpu, r.pcpu = x1-x0, p1-p0
	r.peakKB = ru.Maxrss
	st, err := os.Stat(file)
	if err != nil {
		return r, err
	}
	r.bytes = st.Size()
	return r, nil
}

// procCPU is a process's user+system CPU time from /proc; pid 0 is none.
func procCPU(pid int) (time.Duration, error) {
	if pid == 0 {
		return 0, nil
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStat(string(b))
}

// parseStat reads utime+stime from a /proc/PID/stat line (the command
// name in parentheses may hold spaces and parentheses).
func parseStat(s string) (time.Duration, error) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 > len(s) {
		return 0, errStat
	}
	f := strings.Fields(s[i+2:])
	if len(f) < 13 {
		return 0, errStat
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, errStat
	}
	return time.Duration(ut+st) * time.Second / 100, nil // USER_HZ is 100 on Linux
}

// findPid is the pid of the process named name whose command line
// mentions hint (the PulseAudio daemon by its socket directory).
func findPid(name, hint string) (int, error) {
	dirs, err := filepath.Glob("/proc/[0-9]*/cmdline")
	if err != nil {
		return 0, err
	}
	for _, d := range dirs {
		b, err := os.ReadFile(d)
		if err != nil {
			continue
		}
		args := strings.Split(string(b), "\x00")
		if filepath.Base(args[0]) == name && strings.Contains(string(b), hint) {
			return strconv.Atoi(filepath.Base(filepath.Dir(d)))
		}
	}
	return 0, fmt.Errorf("screenbench: no %s process with %q", name, hint)
}
