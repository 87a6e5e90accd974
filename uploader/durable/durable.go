// Package durable writes files so that they survive a crash or power loss:
// through a synced temporary file and a rename, and with the directory
// synced so the rename itself is on disk.
package durable

import "os"

// WriteFile writes data to path atomically: readers see the old file or the
// whole new one, never a part. The temporary file is path + ".tmp". The
// rename is made durable with SyncDir by the caller when it matters.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	return err
}

// SyncDir makes a rename, creation or removal in dir durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
