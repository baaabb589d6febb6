package ipalloc

import (
	"fmt"
	"math/big"
	"net/netip"
	"strconv"
	"strings"

	utilnet "k8s.io/apimachinery/pkg/util/net"
)

// DefaultServiceClusterIPRange is kube-apiserver's default.
const DefaultServiceClusterIPRange = "10.0.0.0/24"

// DefaultServiceNodePortRange is kube-apiserver's default, 30000-32767: a
// value each caller gets its own copy of, not a variable one could change
// for every control plane in the process.
func DefaultServiceNodePortRange() utilnet.PortRange {
	return utilnet.PortRange{Base: 30000, Size: 2768}
}

// maxRangeBits bounds a range to 2^20 addresses, kube-apiserver's limit
// (a /12 for IPv4, a /108 for IPv6).
const maxRangeBits = 20

// ParseServiceCIDR parses --service-cluster-ip-range: one IPv4 or IPv6
// CIDR with room for at least two Services.
func ParseServiceCIDR(value string) (netip.Prefix, error) {
	if strings.Contains(value, ",") {
		return netip.Prefix{}, fmt.Errorf("%q: dual-stack (two CIDRs) is not supported; give one IPv4 or IPv6 CIDR", value)
	}
	prefix, err := netip.ParsePrefix(strings.TrimSpace(value))
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not a CIDR: %w", value, err)
	}
	if prefix.Addr().Is4In6() {
		return netip.Prefix{}, fmt.Errorf("%q: give IPv4 ranges in dotted form", value)
	}
	prefix = prefix.Masked()
	bits := prefix.Addr().BitLen()
	if bits-prefix.Bits() > maxRangeBits {
		return netip.Prefix{}, fmt.Errorf("%q is too large; for %d-bit addresses, the mask must be >= %d", value, bits, bits-maxRangeBits)
	}
	if newIPSpace(prefix).size() < 1 {
		return netip.Prefix{}, fmt.Errorf("%q is too small: it leaves no address beyond the kubernetes Service's", value)
	}
	return prefix, nil
}

// space is a numbered set of items (addresses or ports): index i is
// item(i), for first <= i < end. Dynamic allocation hands out indexes from
// dynamicFirst on, those from upperFirst on first; a client may ask for
// any index from first on.
type space struct {
	first, dynamicFirst, upperFirst, end int
	item                                 func(i int) string
	// index maps an item back to its index, false when outside the space.
	index func(item string) (int, bool)
	// describe names the valid range in error messages.
	describe string
}

func (s space) size() int { return s.end - s.dynamicFirst }

// newIPSpace numbers the addresses of prefix from its network address (0).
// The network address is never handed out, nor an IPv4 broadcast address;
// index 1 is kept for the kubernetes Service, as kube-apiserver does.
func newIPSpace(prefix netip.Prefix) space {
	hostBits := prefix.Addr().BitLen() - prefix.Bits()
	total := 1 << hostBits
	end := total
	if prefix.Addr().Is4() && total > 2 {
		end = total - 1
	}
	base := new(big.Int).SetBytes(prefix.Addr().AsSlice())
	return space{
		first: 1, dynamicFirst: 2, end: end, describe: prefix.String(),
		upperFirst: staticBand(total, 16, 256),
		item: func(i int) string {
			n := new(big.Int).Add(base, big.NewInt(int64(i)))
			buf := make([]byte, prefix.Addr().BitLen()/8)
			addr, _ := netip.AddrFromSlice(n.FillBytes(buf))
			return addr.String()
		},
		index: func(item string) (int, bool) {
			addr, err := netip.ParseAddr(item)
			if err != nil || addr.Zone() != "" || addr.Is4In6() || !prefix.Contains(addr) {
				return 0, false
			}
			i := int(new(big.Int).Sub(new(big.Int).SetBytes(addr.AsSlice()), base).Int64())
			return i, i >= 1 && i < end
		},
	}
}

// newPortSpace numbers the ports of r from its base.
func newPortSpace(r utilnet.PortRange) space {
	return space{
		first: 0, dynamicFirst: 0, end: r.Size, describe: r.String(),
		upperFirst: staticBand(r.Size, 32, 128),
		item:       func(i int) string { return strconv.Itoa(r.Base + i) },
		index: func(item string) (int, bool) {
			p, err := strconv.Atoi(item)
			return p - r.Base, err == nil && r.Contains(p)
		},
	}
}

// staticBand is how many items at the start of a space of size items
// dynamic allocation leaves for last, so that addresses and ports clients
// pick themselves there rarely collide with allocated ones: kube-apiserver's
// static subranges (size/16 addresses within 16-256, size/32 ports within
// 16-128). A space too small for both bands has no preference (0).
func staticBand(size, fraction, most int) int {
	band := min(max(16, size/fraction), most)
	if band >= size {
		return 0
	}
	return band
}
