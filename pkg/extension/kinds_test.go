package extension

import "testing"

func TestResourceName(t *testing.T) {
	for kind, want := range map[string]string{
		"Policy":  "policies",
		"Key":     "keys",
		"Address": "addresses",
		"Box":     "boxes",
		"Match":   "matches",
		"Wish":    "wishes",
		"Flunder": "flunders",
	} {
		if got := ResourceName(kind); got != want {
			t.Errorf("ResourceName(%s) = %s, want %s", kind, got, want)
		}
	}
}
