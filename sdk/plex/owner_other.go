//go:build !unix

package plex

import (
	"context"
	"io/fs"
	"sync"
)

// ownedByMe: file ownership is not checked where the platform has no uid.
func ownedByMe(fs.FileInfo) bool { return true }

// ownedByRootOrMe: likewise.
func ownedByRootOrMe(fs.FileInfo) bool { return true }

// fileLocks stands in for flock where there is none: it excludes the
// sources of this process only.
var fileLocks sync.Map // file → chan struct{}

func lockFile(ctx context.Context, file string) (func(), error) {
	v, _ := fileLocks.LoadOrStore(file, make(chan struct{}, 1))
	ch := v.(chan struct{})
	select {
	case ch <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	var once sync.Once
	return func() { once.Do(func() { <-ch }) }, nil
}
