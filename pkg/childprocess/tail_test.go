package childprocess

import (
	"testing"
)

func TestTailWriterKeepsTheLastLines(t *testing.T) {
	tests := []struct {
		name   string
		writes []string
		want   string
	}{
		{name: "nothing", writes: nil, want: ""},
		{name: "an unfinished line is shown", writes: []string{"a\nb"}, want: "> a\n> b\n"},
		{name: "lines split across writes", writes: []string{"fir", "st\nsec", "ond\n"}, want: "> first\n> second\n"},
		{name: "only the last three", writes: []string{"1\n2\n3\n4\n5\n"}, want: "> 3\n> 4\n> 5\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := &tailWriter{max: 3}
			for _, s := range tc.writes {
				if n, err := w.Write([]byte(s)); n != len(s) || err != nil {
					t.Fatalf("Write(%q) = %d, %v", s, n, err)
				}
			}
			if got := w.String("> "); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
