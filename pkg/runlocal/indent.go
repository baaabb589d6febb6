package runlocal

import (
	"bytes"
	"io"
)

// indentWriter puts indent at the start of every line written through it.
type indentWriter struct {
	w         io.Writer
	indent    string
	lineStart bool
}

func (iw *indentWriter) Write(p []byte) (int, error) {
	var b bytes.Buffer
	for _, c := range p {
		if iw.lineStart {
			b.WriteString(iw.indent)
		}
		b.WriteByte(c)
		iw.lineStart = c == '\n'
	}
	if _, err := iw.w.Write(b.Bytes()); err != nil {
		return 0, err
	}
	return len(p), nil
}
