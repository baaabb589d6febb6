package e2e

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	"k8s.io/utils/ptr"

	"github.com/aggkit/aggkit/pkg/etcd"
	"github.com/aggkit/aggkit/test/e2e/framework"
)

// TestAvailabilityLeaseUncleanDeath: when the replica that writes APIService
// status is SIGKILLed (its Lease is not released), another replica writes
// status within about 3 s (issue 9: 14.6 s before); when every replica was
// killed, the holder restarted in place takes its own Lease back at once
// and writes status (issue 9: ~16-18 s before). The times are printed; what
// is asserted is that status is written, and by whom.
func TestAvailabilityLeaseUncleanDeath(t *testing.T) {
	store, err := etcd.StartEmbedded(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Stop)
	args := []string{"--etcd-servers", store.ClientURL, "--apiservice-availability-lease"}
	replicas := []*framework.Aggkit{framework.StartAggkit(t, "", args...), framework.StartAggkit(t, "", args...)}

	serving := framework.NewServingCert(t, "lease", "api")
	backend := startDiscoveryBackendWith(t, serving, 0)
	k := framework.NewKubectl(t, replicas[0].Kubeconfig)
	k.Apply(framework.RegistrationManifest("lease", "api", "lease.example.com", "v1", backend.port, serving.CA.CertPEM()))
	const name = "v1.lease.example.com"
	waitCondition(t, replicas[1], name, apiregistrationv1.ConditionTrue)

	getLease := func(via *framework.Aggkit) *coordinationv1.Lease {
		lease, err := via.Client().CoordinationV1().Leases("kube-system").Get(context.Background(), "aggkit-apiservice-availability", metav1.GetOptions{})
		if err != nil {
			return nil
		}
		return lease
	}
	holderIndex := func(via *framework.Aggkit) int {
		lease := getLease(via)
		if lease == nil || lease.Spec.HolderIdentity == nil {
			return -1
		}
		for i, a := range replicas {
			if strings.HasSuffix(*lease.Spec.HolderIdentity, ":"+strconv.Itoa(a.Port)) {
				return i
			}
		}
		return -1
	}
	var holder int
	framework.Eventually(t, 30*time.Second, func() bool { holder = holderIndex(replicas[0]); return holder >= 0 },
		func() string { return "no replica holds the availability lease under its host and address" })
	survivor := replicas[1-holder]

	var table strings.Builder
	w := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "fault\tstatus written after\tissue 9 before\ttarget")

	// 1. The writer dies uncleanly while its backend goes away: the other
	// replica must take the Lease and write Available=False.
	replicas[holder].Kill()
	killed := time.Now()
	backend.stop()
	waitCondition(t, survivor, name, apiregistrationv1.ConditionFalse)
	fmt.Fprintf(w, "writer SIGKILLed, backend gone\t%v\t14.6s\t< 3s\n", time.Since(killed).Round(10*time.Millisecond))
	if now := holderIndex(survivor); now != 1-holder {
		t.Errorf("after the writer was killed the lease is held by replica %d, want the survivor %d", now, 1-holder)
	}

	// 2. Every replica dies; the backend returns; the last holder is
	// restarted in place and must take its own Lease back and write.
	transitions := ptr.Deref(getLease(survivor).Spec.LeaseTransitions, 0)
	survivor.Kill()
	backend = startDiscoveryBackendWith(t, serving, backend.port)
	survivor.Start() // returns once /readyz answers
	ready := time.Now()
	waitCondition(t, survivor, name, apiregistrationv1.ConditionTrue)
	fmt.Fprintf(w, "all replicas SIGKILLed, holder restarted\t%v after ready\t~16-18s\t< 1s\n", time.Since(ready).Round(10*time.Millisecond))
	if now := holderIndex(survivor); now != 1-holder {
		t.Errorf("the restarted holder does not hold the lease (replica %d does)", now)
	}
	// Taken back under the same identity, not acquired anew after expiry.
	if now := ptr.Deref(getLease(survivor).Spec.LeaseTransitions, 0); now != transitions {
		t.Errorf("the restart changed holders %d times, want 0: the replica's identity did not survive its restart", now-transitions)
	}
	_ = w.Flush()
	t.Logf("status writing after unclean deaths (two replicas, one etcd):\n%s", table.String())
}
