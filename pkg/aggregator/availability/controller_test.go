package availability

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	apiregistrationv1helper "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1/helper"
	"k8s.io/utils/ptr"
)

// available reads the stored Available condition.
func (f *fixture) available() *apiregistrationv1.APIServiceCondition {
	return apiregistrationv1helper.GetAPIServiceConditionByType(f.stored(testAPIService), apiregistrationv1.Available)
}

func (f *fixture) availableIs(status apiregistrationv1.ConditionStatus) func() bool {
	return func() bool {
		cond := f.available()
		return cond != nil && cond.Status == status
	}
}

// A killed backend must turn the APIService False well before the Period:
// kube-apiserver needs about 16 s, the target here is under 2 s.
func TestBackendKilledTurnsUnavailable(t *testing.T) {
	p := newPKI(t)
	tests := []struct {
		name string
		cfg  Config
	}{
		// The Period alone could not do it in time: the watch connection must.
		{name: "noticed by the connection watch", cfg: Config{Period: time.Minute}},
		{name: "noticed by the periodic probe", cfg: Config{Period: 500 * time.Millisecond, DisableConnectionWatch: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newBackend(t, p, discoveryHandler(t, discoveryURLPath, http.StatusOK))
			svc, objs := serving(t, p, srv)
			f := newFixture(t, p, tc.cfg, []runtime.Object{svc}, objs...)
			f.start(2)
			eventually(t, 10*time.Second, "Available=True", f.availableIs(apiregistrationv1.ConditionTrue))
			// Let the watch connections come up, as they would long before a crash.
			time.Sleep(200 * time.Millisecond)

			srv.Close()
			took := eventually(t, 20*time.Second, "Available=False after the backend was killed",
				f.availableIs(apiregistrationv1.ConditionFalse))
			t.Logf("Available turned False %v after the backend was killed (target < 2s)", took)
			if got := f.available(); got.Reason != ReasonFailedDiscoveryCheck {
				t.Errorf("reason = %s (%s), want FailedDiscoveryCheck", got.Reason, got.Message)
			}
		})
	}
}

// Service and EndpointSlice events re-check the APIServices referencing the
// Service at once, long before the Period.
func TestEventsTriggerCheck(t *testing.T) {
	p := newPKI(t)
	tests := []struct {
		name       string
		change     func(ctx context.Context, f *fixture) error
		wantReason string
	}{{
		name: "service deleted",
		change: func(ctx context.Context, f *fixture) error {
			return f.kube.CoreV1().Services(testNamespace).Delete(ctx, testService, metav1.DeleteOptions{})
		},
		wantReason: "ServiceNotFound",
	}, {
		name: "endpoint no longer ready",
		change: func(ctx context.Context, f *fixture) error {
			slice, err := f.kube.DiscoveryV1().EndpointSlices(testNamespace).Get(ctx, testService+"-0", metav1.GetOptions{})
			if err != nil {
				return err
			}
			slice.Endpoints[0].Conditions.Ready = ptr.To(false)
			_, err = f.kube.DiscoveryV1().EndpointSlices(testNamespace).Update(ctx, slice, metav1.UpdateOptions{})
			return err
		},
		wantReason: "MissingEndpoints",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			svc, objs := serving(t, p, newBackend(t, p, discoveryHandler(t, discoveryURLPath, http.StatusOK)))
			f := newFixture(t, p, Config{Period: time.Hour, DisableConnectionWatch: true}, []runtime.Object{svc}, objs...)
			f.start(1)
			eventually(t, 10*time.Second, "Available=True", f.availableIs(apiregistrationv1.ConditionTrue))

			if err := tc.change(context.Background(), f); err != nil {
				t.Fatal(err)
			}
			eventually(t, 10*time.Second, tc.wantReason, func() bool {
				cond := f.available()
				return cond.Status == apiregistrationv1.ConditionFalse && cond.Reason == tc.wantReason
			})
		})
	}
}

// One failed probe of an Available APIService is re-checked before it is
// written; lastTransitionTime moves only when the status flips.
func TestRecheckAndTransitionTime(t *testing.T) {
	p := newPKI(t)
	var status atomic.Int32
	status.Store(http.StatusOK)
	srv := newBackend(t, p, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(int(status.Load()))
	}))
	svc, objs := serving(t, p, srv)
	f := newFixture(t, p, Config{DisableConnectionWatch: true}, []runtime.Object{svc}, objs...)
	ctx := context.Background()
	sync := func(wantStatus apiregistrationv1.ConditionStatus, wantUpdates int) *apiregistrationv1.APIServiceCondition {
		t.Helper()
		if err := f.controller.sync(ctx, testAPIService); err != nil {
			t.Fatal(err)
		}
		f.observeStored(testAPIService)
		cond := f.available()
		if cond.Status != wantStatus || f.statusUpdates() != wantUpdates {
			t.Fatalf("condition %s (%s), %d updates; want %s, %d updates", cond.Status, cond.Message, f.statusUpdates(), wantStatus, wantUpdates)
		}
		return cond
	}

	passed := sync(apiregistrationv1.ConditionTrue, 1)
	status.Store(http.StatusForbidden)
	sync(apiregistrationv1.ConditionTrue, 1) // first failure: only re-checked
	forbidden := sync(apiregistrationv1.ConditionFalse, 2)
	if !forbidden.LastTransitionTime.After(passed.LastTransitionTime.Time) {
		t.Errorf("lastTransitionTime %v did not move on the flip from %v", forbidden.LastTransitionTime, passed.LastTransitionTime)
	}
	status.Store(http.StatusInternalServerError)
	failing := sync(apiregistrationv1.ConditionFalse, 3) // new message, same status
	if !failing.LastTransitionTime.Equal(&forbidden.LastTransitionTime) {
		t.Errorf("lastTransitionTime moved from %v to %v without a status flip", forbidden.LastTransitionTime, failing.LastTransitionTime)
	}
	status.Store(http.StatusOK)
	sync(apiregistrationv1.ConditionTrue, 4) // recovery is written at once
}

type fixedElector bool

func (e *fixedElector) IsLeader() bool { return bool(*e) }

// A replica that is not the writer probes (its gauge follows) but does not write.
func TestOnlyTheElectedReplicaWrites(t *testing.T) {
	p := newPKI(t)
	svc, objs := serving(t, p, newBackend(t, p, discoveryHandler(t, discoveryURLPath, http.StatusOK)))
	leader := fixedElector(false)
	f := newFixture(t, p, Config{DisableConnectionWatch: true, Elector: &leader}, []runtime.Object{svc}, objs...)
	ctx := context.Background()

	if err := f.controller.sync(ctx, testAPIService); err != nil {
		t.Fatal(err)
	}
	if n := f.statusUpdates(); n != 0 {
		t.Fatalf("%d status updates from a replica that is not the writer", n)
	}
	leader = true
	if err := f.controller.sync(ctx, testAPIService); err != nil {
		t.Fatal(err)
	}
	if n := f.statusUpdates(); n != 1 {
		t.Fatalf("%d status updates from the writer, want 1", n)
	}
}

// A backend that comes back is noticed before the Period: failing
// APIServices are re-probed with a backoff that starts at RecheckDelay.
func TestRecoveryNoticedBeforePeriod(t *testing.T) {
	p := newPKI(t)
	var status atomic.Int32
	status.Store(http.StatusServiceUnavailable)
	svc, objs := serving(t, p, newBackend(t, p, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(int(status.Load()))
	})))
	f := newFixture(t, p, Config{Period: time.Hour, DisableConnectionWatch: true}, []runtime.Object{svc}, objs...)
	f.start(1)
	eventually(t, 10*time.Second, "Available=False", f.availableIs(apiregistrationv1.ConditionFalse))

	status.Store(http.StatusOK)
	took := eventually(t, 20*time.Second, "Available=True after recovery", f.availableIs(apiregistrationv1.ConditionTrue))
	t.Logf("recovery noticed after %v (Period 1h)", took)
}

// Probes cut short by shutdown say nothing about the backend: no write.
func TestNoWriteWhenShuttingDown(t *testing.T) {
	p := newPKI(t)
	svc, objs := serving(t, p, newBackend(t, p, discoveryHandler(t, discoveryURLPath, http.StatusOK)))
	f := newFixture(t, p, Config{DisableConnectionWatch: true}, []runtime.Object{svc}, objs...)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := f.controller.sync(ctx, testAPIService); err == nil {
		t.Error("sync with a cancelled context returned no error")
	}
	if n := f.statusUpdates(); n != 0 {
		t.Errorf("%d status updates while shutting down, want 0", n)
	}
}

// The watch connections must not turn into a probe loop against a healthy
// backend: after the first probe nothing is sent until the Period.
func TestHealthyBackendIsNotProbedInALoop(t *testing.T) {
	p := newPKI(t)
	var requests atomic.Int32
	svc, objs := serving(t, p, newBackend(t, p, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
	})))
	f := newFixture(t, p, Config{Period: time.Hour}, []runtime.Object{svc}, objs...)
	f.start(1)
	eventually(t, 10*time.Second, "Available=True", f.availableIs(apiregistrationv1.ConditionTrue))
	// Longer than watchMinLifetime, so a failing watch would have re-probed.
	time.Sleep(watchMinLifetime + 500*time.Millisecond)
	// One probe, plus one after the status write's informer event.
	if n := requests.Load(); n > 2 {
		t.Errorf("%d discovery requests to a healthy backend in %v, want at most 2", n, watchMinLifetime+500*time.Millisecond)
	}
}
