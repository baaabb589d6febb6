package scaffold

import (
	"io"
	"path/filepath"
)

// outputAndDir resolves the Out and Dir options both commands share:
// nothing is printed when out is nil, and dir defaults to the current one.
func outputAndDir(out io.Writer, dir string) (io.Writer, string, error) {
	if out == nil {
		out = io.Discard
	}
	if dir == "" {
		dir = "."
	}
	abs, err := filepath.Abs(dir)
	return out, abs, err
}
