package chaos

import (
	"context"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	aggregatorclient "k8s.io/kube-aggregator/pkg/client/clientset_generated/clientset"

	"github.com/aggkit/aggkit/test/e2e/framework"
)

const wardleAPIService = framework.WardleAPIService

// observation is one stored state of the APIService's Available condition,
// as one replica showed it.
type observation struct {
	replica    int
	at         time.Time
	rv         string
	status     string
	reason     string
	transition time.Time // the condition's lastTransitionTime (1 s resolution)
}

// statusWatch follows the APIService from every replica, each through its
// own watch, reconnecting after faults.
type statusWatch struct {
	mu  sync.Mutex
	obs []observation
}

func watchStatus(ctx context.Context, e *env) *statusWatch {
	w := &statusWatch{}
	for i, a := range e.Replicas {
		client := aggregatorclient.NewForConfigOrDie(a.RESTConfig()).ApiregistrationV1().APIServices()
		go w.follow(ctx, i, client)
	}
	return w
}

type apiServiceClient interface {
	Get(ctx context.Context, name string, opts metav1.GetOptions) (*apiregistrationv1.APIService, error)
	Watch(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error)
}

func (w *statusWatch) follow(ctx context.Context, replica int, client apiServiceClient) {
	seen := map[string]bool{}
	for ctx.Err() == nil {
		svc, err := client.Get(ctx, wardleAPIService, metav1.GetOptions{})
		if err != nil {
			time.Sleep(200 * time.Millisecond)
			continue
		}
		w.record(replica, svc, seen)
		watcher, err := client.Watch(ctx, metav1.ListOptions{ResourceVersion: svc.ResourceVersion,
			FieldSelector: fields.OneTermEqualSelector("metadata.name", wardleAPIService).String()})
		if err != nil {
			time.Sleep(200 * time.Millisecond)
			continue
		}
		for ev := range watcher.ResultChan() {
			if svc, ok := ev.Object.(*apiregistrationv1.APIService); ok {
				w.record(replica, svc, seen)
			}
		}
		watcher.Stop()
	}
}

func (w *statusWatch) record(replica int, svc *apiregistrationv1.APIService, seen map[string]bool) {
	if seen[svc.ResourceVersion] {
		return
	}
	seen[svc.ResourceVersion] = true
	o := observation{replica: replica, at: time.Now(), rv: svc.ResourceVersion, status: "Unknown"}
	for _, c := range svc.Status.Conditions {
		if c.Type == apiregistrationv1.Available {
			o.status, o.reason, o.transition = string(c.Status), c.Reason, c.LastTransitionTime.Time
		}
	}
	w.mu.Lock()
	w.obs = append(w.obs, o)
	w.mu.Unlock()
}

func (w *statusWatch) snapshot() []observation {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]observation(nil), w.obs...)
}

// leaseAcquisitions counts, per replica, the times its current process
// says it took the availability Lease (client-go's elector logs each win).
func leaseAcquisitions(e *env) []int {
	var counts []int
	for _, a := range e.Replicas {
		counts = append(counts, strings.Count(a.Log(), `"Successfully acquired lease" lock="kube-system/aggkit-apiservice-availability"`))
	}
	return counts
}

// leaseHolder is the replica that took the Lease last: the one whose log
// shows the latest acquisition (klog's timestamps sort within a day).
func leaseHolder(e *env) int {
	holder, latest := -1, ""
	for i, a := range e.Replicas {
		log := a.Log()
		idx := strings.LastIndex(log, `"Successfully acquired lease"`)
		if idx < 0 {
			continue
		}
		start := strings.LastIndex(log[:idx], "\n") + 1
		line := log[start:idx]
		if len(line) >= 21 && line[1:21] > latest {
			holder, latest = i, line[1:21]
		}
	}
	return holder
}

// leaseHolderIdentity reads the Lease through any replica that answers.
func leaseHolderIdentity(e *env) (string, time.Time) {
	for _, a := range e.Replicas {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		lease, err := a.Client().CoordinationV1().Leases("kube-system").Get(ctx, "aggkit-apiservice-availability", metav1.GetOptions{})
		cancel()
		if err == nil && lease.Spec.HolderIdentity != nil {
			var acquired time.Time
			if lease.Spec.AcquireTime != nil {
				acquired = lease.Spec.AcquireTime.Time
			}
			return *lease.Spec.HolderIdentity, acquired
		}
	}
	return "", time.Time{}
}
