package main

import (
	"fmt"
	"syscall"
)

// MinFreeDisk is the free space the data dir's file system must keep for
// the service to call itself ready: below it, writes are about to fail.
const MinFreeDisk = 1 << 20

// checkDiskFree reports an error when dir's file system has less than
// MinFreeDisk left for the service's user.
func checkDiskFree(dir string) error {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	if free := st.Bavail * uint64(st.Bsize); free < MinFreeDisk {
		return fmt.Errorf("data dir: disk full (%d bytes free)", free)
	}
	return nil
}
