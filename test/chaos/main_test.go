// Package chaos injects faults into the topology aggkit runs in production
// (issue 9): three `aggkit serve` replicas on a three-member etcd cluster,
// two replicas of the real k8s.io/sample-apiserver behind one Service, and
// a client writing through all of them. Every program is a real process
// built from the versions go.mod pins; kubectl is not used.
//
// `go test ./test/chaos` runs the short profile (CI, under 3 minutes);
// `go test ./test/chaos -long` runs every fault alone and a longer random
// mix. See docs/reliability.md.
package chaos

import "flag"

var (
	long = flag.Bool("long", false, "run the full fault profile (every fault alone, then a long random mix)")
	seed = flag.Int64("seed", 9, "seed of the random fault mix")
)
