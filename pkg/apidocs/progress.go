package apidocs

import (
	"fmt"
	"io"
	"time"
)

// stepper prints "==> step" lines, each earlier step closed with its time.
type stepper struct {
	out   io.Writer
	name  string
	start time.Time
}

func newStepper(out io.Writer) *stepper { return &stepper{out: out} }

// begin ends the running step and announces the next one.
func (s *stepper) begin(format string, args ...any) {
	s.end()
	s.name = fmt.Sprintf(format, args...)
	s.start = time.Now()
	if s.out != nil {
		fmt.Fprintf(s.out, "==> %s\n", s.name)
	}
}

// end reports the running step's duration.
func (s *stepper) end() {
	if s.name == "" || s.out == nil {
		s.name = ""
		return
	}
	fmt.Fprintf(s.out, "    done (%.1fs)\n", time.Since(s.start).Seconds())
	s.name = ""
}
