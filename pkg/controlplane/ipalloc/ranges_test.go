package ipalloc

import (
	"strings"
	"testing"

	utilnet "k8s.io/apimachinery/pkg/util/net"
)

func TestParseServiceCIDR(t *testing.T) {
	cases := []struct {
		value, want, errText string
	}{
		{value: "10.0.0.0/24", want: "10.0.0.0/24"},
		{value: "10.0.0.7/24", want: "10.0.0.0/24"},
		{value: "fd00::/108", want: "fd00::/108"},
		{value: "10.0.0.0/24,fd00::/108", errText: "dual-stack (two CIDRs) is not supported"},
		{value: "10.0.0.0", errText: "is not a CIDR"},
		{value: "10.0.0.0/8", errText: "too large; for 32-bit addresses, the mask must be >= 12"},
		{value: "fd00::/64", errText: "too large; for 128-bit addresses, the mask must be >= 108"},
		{value: "10.0.0.0/31", errText: "too small"},
		{value: "::ffff:10.0.0.0/120", errText: "dotted form"},
	}
	for _, tc := range cases {
		t.Run(tc.value, func(t *testing.T) {
			got, err := ParseServiceCIDR(tc.value)
			if tc.errText != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errText) {
					t.Fatalf("err = %v, want one saying %q", err, tc.errText)
				}
				return
			}
			if err != nil || got.String() != tc.want {
				t.Fatalf("got %v, %v; want %s", got, err, tc.want)
			}
		})
	}
}

// TestIPSpace checks which addresses a range hands out: never the
// network address nor an IPv4 broadcast, index 1 only on request (the
// kubernetes Service's), the upper band before the lower.
func TestIPSpace(t *testing.T) {
	cases := []struct {
		cidr                  string
		first, upper, last    string
		outside               []string
		wantUpperFirstNonZero bool
	}{
		{cidr: "10.0.0.0/24", first: "10.0.0.1", upper: "10.0.0.16", last: "10.0.0.254",
			outside: []string{"10.0.0.0", "10.0.0.255", "10.0.1.0", "fd00::1", "bogus"}, wantUpperFirstNonZero: true},
		{cidr: "10.0.0.0/29", first: "10.0.0.1", last: "10.0.0.6", outside: []string{"10.0.0.0", "10.0.0.7"}},
		{cidr: "fd00::/120", first: "fd00::1", upper: "fd00::10", last: "fd00::ff",
			outside: []string{"fd00::", "fd00::100", "10.0.0.1"}, wantUpperFirstNonZero: true},
	}
	for _, tc := range cases {
		t.Run(tc.cidr, func(t *testing.T) {
			prefix, err := ParseServiceCIDR(tc.cidr)
			if err != nil {
				t.Fatal(err)
			}
			s := newIPSpace(prefix)
			if got := s.item(s.first); got != tc.first {
				t.Errorf("first = %s, want %s", got, tc.first)
			}
			if got := s.item(s.end - 1); got != tc.last {
				t.Errorf("last = %s, want %s", got, tc.last)
			}
			if (s.upperFirst != 0) != tc.wantUpperFirstNonZero || tc.wantUpperFirstNonZero && s.item(s.upperFirst) != tc.upper {
				t.Errorf("upper band starts at index %d (%s), want %q", s.upperFirst, s.item(s.upperFirst), tc.upper)
			}
			for i := s.first; i < s.end; i++ {
				if got, ok := s.index(s.item(i)); !ok || got != i {
					t.Fatalf("index(item(%d)) = %d, %v", i, got, ok)
				}
			}
			for _, ip := range tc.outside {
				if _, ok := s.index(ip); ok {
					t.Errorf("%s counted as in range", ip)
				}
			}
		})
	}
}

func TestPortSpace(t *testing.T) {
	s := newPortSpace(utilnet.PortRange{Base: 30000, Size: 2768})
	if s.item(0) != "30000" || s.item(s.end-1) != "32767" || s.item(s.upperFirst) != "30086" {
		t.Fatalf("ports %s..%s, upper band from %s", s.item(0), s.item(s.end-1), s.item(s.upperFirst))
	}
	for _, p := range []string{"29999", "32768", "x"} {
		if _, ok := s.index(p); ok {
			t.Errorf("%s counted as in range", p)
		}
	}
}
