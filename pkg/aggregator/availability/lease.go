package availability

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	coordinationv1client "k8s.io/client-go/kubernetes/typed/coordination/v1"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/klog/v2"
)

// Defaults for LeaseConfig.
const (
	DefaultLeaseNamespace = "kube-system"
	DefaultLeaseName      = "aggkit-apiservice-availability"
	// A follower sees a renewal up to 2.2 RetryPeriods late (client-go's
	// jitter) and checks again up to 2.2 RetryPeriods after expiry, so it
	// takes over at most LeaseDuration + 4.4 RetryPeriods = 2.9 s after the
	// holder's last renewal (target: status written within 3 s of the
	// holder's death, issue 9). The cost is the holder's renewals, five
	// Lease writes a second, and each follower's reads, two to five a
	// second. The lease records whole seconds, so 2 s is the shortest that
	// still lets a holder ride out a 1.5 s stall of its renewals.
	DefaultLeaseDuration = 2 * time.Second
	DefaultRenewDeadline = 1500 * time.Millisecond
	DefaultRetryPeriod   = 200 * time.Millisecond
)

// LeaseConfig configures a LeaseElector.
type LeaseConfig struct {
	// Client reaches coordination.k8s.io, e.g. kubernetes clientset.CoordinationV1().
	Client coordinationv1client.LeasesGetter
	// Namespace and Name of the Lease (defaults DefaultLeaseNamespace, DefaultLeaseName).
	Namespace, Name string
	// Identity is unique among live replicas and, ideally, the same when a
	// replica restarts (e.g. hostname plus serving address): a replica
	// whose identity holds the Lease takes it back at once after an
	// unclean restart, instead of waiting for it to expire.
	Identity string
	// LeaseDuration, RenewDeadline and RetryPeriod default to
	// DefaultLeaseDuration, DefaultRenewDeadline and DefaultRetryPeriod.
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
	// OnStartedLeading (optional) runs when this replica becomes the
	// writer; pass Controller.Resync so stale status is fixed at once.
	OnStartedLeading func()
}

// LeaseElector elects, through a coordination.k8s.io Lease, the one replica
// that writes APIService status. It implements Elector.
type LeaseElector struct {
	elector *leaderelection.LeaderElector
	leading atomic.Bool
}

var _ Elector = (*LeaseElector)(nil)

// NewLeaseElector validates cfg; call Run to take part in the election.
func NewLeaseElector(cfg LeaseConfig) (*LeaseElector, error) {
	if cfg.Client == nil || cfg.Identity == "" {
		return nil, errors.New("availability lease: Client and Identity are required")
	}
	if cfg.Namespace == "" {
		cfg.Namespace = DefaultLeaseNamespace
	}
	if cfg.Name == "" {
		cfg.Name = DefaultLeaseName
	}
	e := &LeaseElector{}
	elector, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock: &resourcelock.LeaseLock{
			LeaseMeta:  metav1.ObjectMeta{Namespace: cfg.Namespace, Name: cfg.Name},
			Client:     cfg.Client,
			LockConfig: resourcelock.ResourceLockConfig{Identity: cfg.Identity},
		},
		LeaseDuration:   orDefault(cfg.LeaseDuration, DefaultLeaseDuration),
		RenewDeadline:   orDefault(cfg.RenewDeadline, DefaultRenewDeadline),
		RetryPeriod:     orDefault(cfg.RetryPeriod, DefaultRetryPeriod),
		ReleaseOnCancel: true,
		Name:            cfg.Name,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(context.Context) {
				e.leading.Store(true)
				if cfg.OnStartedLeading != nil {
					cfg.OnStartedLeading()
				}
			},
			OnStoppedLeading: func() { e.leading.Store(false) },
		},
	})
	if err != nil {
		return nil, err
	}
	e.elector = elector
	return e, nil
}

// Run campaigns until ctx is done, standing again whenever leadership is lost.
func (e *LeaseElector) Run(ctx context.Context) {
	for ctx.Err() == nil {
		e.elector.Run(ctx)
		klog.FromContext(ctx).V(2).Info("APIService availability lease lost or not acquired; campaigning again")
	}
}

// IsLeader reports whether this replica currently holds the Lease.
func (e *LeaseElector) IsLeader() bool {
	return e.leading.Load()
}
