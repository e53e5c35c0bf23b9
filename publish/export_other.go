//go:build !linux

package publish

import "errors"

// exchangeDirs is not available here; swapDir moves the old export aside.
func exchangeDirs(a, b string) error { return errors.New("atomic exchange not supported") }
