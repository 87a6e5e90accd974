package x11

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// shmSeg is a System V shared memory segment mapped into this process.
type shmSeg struct {
	id   int
	data []byte
}

// newShm creates and attaches a private segment of size bytes, readable
// and writable by this user only.
func newShm(size int) (*shmSeg, error) {
	id, err := unix.SysvShmGet(unix.IPC_PRIVATE, size, unix.IPC_CREAT|0o600)
	if err != nil {
		return nil, fmt.Errorf("shmget %d bytes: %w", size, err)
	}
	data, err := unix.SysvShmAttach(id, 0, 0)
	if err != nil {
		_, _ = unix.SysvShmCtl(id, unix.IPC_RMID, nil)
		return nil, fmt.Errorf("shmat: %w", err)
	}
	return &shmSeg{id: id, data: data}, nil
}

// unlink marks the segment for removal: the system frees it once every
// process (this one and the X server) has detached, even after a crash.
func (s *shmSeg) unlink() { _, _ = unix.SysvShmCtl(s.id, unix.IPC_RMID, nil) }

// free detaches and removes the segment.
func (s *shmSeg) free() {
	_ = unix.SysvShmDetach(s.data)
	s.unlink()
}
