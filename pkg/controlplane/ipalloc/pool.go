package ipalloc

import (
	"context"
	"errors"
	"math/rand/v2"
)

// errFull reports a range with nothing left to hand out.
var errFull = errors.New("range is full")

// pool allocates the items of one space through one registry.
type pool struct {
	space
	reg *registry
}

// next allocates a free item, from the upper band first, starting the
// search of each band at a random index so that concurrent allocations (on
// several replicas) rarely try the same.
// Items in avoid are skipped too (a dry run's earlier picks). With dryRun
// it only finds one.
func (p *pool) next(ctx context.Context, owner Owner, avoid map[string]bool, dryRun bool) (string, int64, error) {
	taken, err := p.reg.taken(ctx)
	if err != nil {
		return "", 0, err
	}
	bands := [][2]int{{p.dynamicFirst, p.end}}
	if p.upperFirst > p.dynamicFirst {
		bands = [][2]int{{p.upperFirst, p.end}, {p.dynamicFirst, p.upperFirst}}
	}
	for _, band := range bands {
		n := band[1] - band[0]
		if n <= 0 {
			continue
		}
		start := rand.IntN(n)
		for k := range n {
			item := p.item(band[0] + (start+k)%n)
			if taken[item] || avoid[item] {
				continue
			}
			if dryRun {
				return item, 0, nil
			}
			rev, err := p.reg.claim(ctx, item, owner)
			if errors.Is(err, errAllocated) {
				continue // lost a race for it
			}
			return item, rev, err
		}
	}
	return "", 0, errFull
}

// request allocates a given item: errNotInRange or errAllocated when it
// cannot. With dryRun it only checks.
func (p *pool) request(ctx context.Context, item string, owner Owner, dryRun bool) (int64, error) {
	if _, ok := p.index(item); !ok {
		return 0, errNotInRange
	}
	if dryRun {
		taken, err := p.reg.isTaken(ctx, item)
		if err == nil && taken {
			err = errAllocated
		}
		return 0, err
	}
	return p.reg.claim(ctx, item, owner)
}

var errNotInRange = errors.New("not in range")
