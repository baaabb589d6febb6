package main

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/aggkit/aggkit/test/topology"
)

// sentAnnotation carries when a ConfigMap's create was sent, so watchers
// can time its delivery.
const sentAnnotation = "soak.aggkit.io/sent-unix-nano"

var flunders = schema.GroupVersionResource{Group: "wardle.example.com", Version: "v1alpha1", Resource: "flunders"}

// replicaClients are the admin clients of one replica.
type replicaClients struct {
	core    kubernetes.Interface
	dynamic dynamic.Interface
}

// startTraffic runs one loop per traffic kind and one watcher per replica
// until ctx ends; each loop also stops after the rounds ctx's deadline
// leaves room for, so neither count nor time is unbounded.
func startTraffic(ctx context.Context, t testing.TB, topo *topology.Topology, rec *recorder, cfg config) *sync.WaitGroup {
	var clients []replicaClients
	for _, a := range topo.Replicas {
		rc := a.RESTConfig()
		rc.QPS, rc.Burst = -1, 0 // the loops pace themselves
		// sample-apiserver marks Flunder v1alpha1 deprecated on every answer.
		rc.WarningHandler = rest.NoWarnings{}
		clients = append(clients, replicaClients{core: kubernetes.NewForConfigOrDie(rc), dynamic: dynamic.NewForConfigOrDie(rc)})
	}
	rounds := int((cfg.warmup+cfg.duration)/cfg.pace) + 1
	var seq atomic.Int64
	var wg sync.WaitGroup
	loop := func(round func(c replicaClients)) {
		wg.Go(func() {
			for i := 0; i < rounds && ctx.Err() == nil; i++ {
				round(clients[i%len(clients)])
				select {
				case <-ctx.Done():
				case <-time.After(cfg.pace):
				}
			}
		})
	}
	loop(func(c replicaClients) { crudRound(ctx, c, rec, seq.Add(1)) })
	loop(func(c replicaClients) { proxyRound(ctx, c, rec, seq.Add(1)) })
	loop(func(c replicaClients) {
		rec.time(kindDiscovery, func() error { _, err := c.core.Discovery().ServerGroups(); return err })
	})
	for _, c := range clients {
		wg.Go(func() { watchLoop(ctx, c, rec, rounds) })
	}
	return &wg
}

// crudRound creates, reads, updates, lists and deletes one ConfigMap.
func crudRound(ctx context.Context, c replicaClients, rec *recorder, n int64) {
	cms := c.core.CoreV1().ConfigMaps(namespace)
	name := "soak-" + strconv.FormatInt(n, 10)
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name,
		Annotations: map[string]string{sentAnnotation: strconv.FormatInt(time.Now().UnixNano(), 10)}},
		Data: map[string]string{"round": name}}
	if !rec.time(kindCRUD, func() (err error) { cm, err = cms.Create(ctx, cm, metav1.CreateOptions{}); return err }) {
		return
	}
	rec.time(kindCRUD, func() (err error) { _, err = cms.Get(ctx, name, metav1.GetOptions{}); return err })
	cm.Data["updated"] = "yes"
	rec.time(kindCRUD, func() (err error) { _, err = cms.Update(ctx, cm, metav1.UpdateOptions{}); return err })
	rec.time(kindCRUD, func() (err error) { _, err = cms.List(ctx, metav1.ListOptions{Limit: 50}); return err })
	rec.time(kindCRUD, func() error { return cms.Delete(ctx, name, metav1.DeleteOptions{}) })
}

// proxyRound creates, lists and deletes one Flunder, each call proxied to
// a sample-apiserver replica.
func proxyRound(ctx context.Context, c replicaClients, rec *recorder, n int64) {
	fl := c.dynamic.Resource(flunders).Namespace(namespace)
	name := "soak-" + strconv.FormatInt(n, 10)
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "wardle.example.com/v1alpha1", "kind": "Flunder",
		"metadata": map[string]any{"name": name}, "spec": map[string]any{}}}
	if !rec.time(kindProxy, func() (err error) { _, err = fl.Create(ctx, obj, metav1.CreateOptions{}); return err }) {
		return
	}
	rec.time(kindProxy, func() (err error) { _, err = fl.List(ctx, metav1.ListOptions{Limit: 50}); return err })
	rec.time(kindProxy, func() error { return fl.Delete(ctx, name, metav1.DeleteOptions{}) })
}

// watchLoop keeps a ConfigMap watch open on one replica, reopening it when
// the server ends it (every minute, so opening and closing watches is part
// of the soak), and records each ADDED event's delay since its create was
// sent.
func watchLoop(ctx context.Context, c replicaClients, rec *recorder, rounds int) {
	timeout := int64(60)
	for i := 0; i < rounds && ctx.Err() == nil; i++ {
		// From the list's version, so the watch sends no synthetic ADDED
		// events for objects created before it.
		cms := c.core.CoreV1().ConfigMaps(namespace)
		var w watch.Interface
		list, err := cms.List(ctx, metav1.ListOptions{Limit: 1})
		if err == nil {
			w, err = cms.Watch(ctx, metav1.ListOptions{TimeoutSeconds: &timeout, ResourceVersion: list.ResourceVersion})
		}
		if err != nil {
			rec.fail(kindWatch, err.Error())
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
			continue
		}
		drain(w, rec)
	}
}

func drain(w watch.Interface, rec *recorder) {
	defer w.Stop()
	for ev := range w.ResultChan() {
		if ev.Type == watch.Error {
			rec.fail(kindWatch, fmt.Sprint(ev.Object))
			return
		}
		cm, ok := ev.Object.(*corev1.ConfigMap)
		if ev.Type != watch.Added || !ok {
			continue
		}
		if sent, err := strconv.ParseInt(cm.Annotations[sentAnnotation], 10, 64); err == nil {
			rec.observe(kindWatch, time.Since(time.Unix(0, sent)))
		}
	}
}

// Traffic kinds, in the order of the table's columns.
const (
	kindCRUD = iota
	kindWatch
	kindProxy
	kindDiscovery
	kinds
)

var kindNames = [kinds]string{"crud", "watch", "proxy", "discovery"}

// recorder collects latencies per kind for the current interval.
type recorder struct {
	// ctx is the run's: requests failing after it ends are not counted.
	ctx       context.Context
	mu        sync.Mutex
	latencies [kinds][]time.Duration
	errs      [kinds]int
	requests  int
	errors    int
	lastErr   [kinds]string
}

func newRecorder(ctx context.Context) *recorder { return &recorder{ctx: ctx} }

// time runs one request, records its latency or its failure, and reports
// whether it succeeded. Requests cut short by the run's end are not
// counted.
func (r *recorder) time(kind int, req func() error) bool {
	start := time.Now()
	err := req()
	if err != nil {
		if r.ctx.Err() != nil {
			return false
		}
		r.fail(kind, err.Error())
		r.mu.Lock()
		r.requests++
		r.mu.Unlock()
		return false
	}
	r.observe(kind, time.Since(start))
	return true
}

func (r *recorder) observe(kind int, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	r.latencies[kind] = append(r.latencies[kind], d)
}

func (r *recorder) fail(kind int, why string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ctx.Err() != nil {
		return
	}
	r.errs[kind]++
	r.errors++
	r.lastErr[kind] = why
}

// interval is what one sampling interval saw of one kind.
type interval struct {
	latencies []time.Duration
	errors    int
	lastErr   string
}

// take returns the interval's figures and starts the next.
func (r *recorder) take() [kinds]interval {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out [kinds]interval
	for k := range kinds {
		out[k] = interval{latencies: r.latencies[k], errors: r.errs[k], lastErr: r.lastErr[k]}
		r.latencies[k], r.errs[k], r.lastErr[k] = nil, 0, ""
	}
	return out
}

func (r *recorder) totals() (requests, errors int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests, r.errors
}
