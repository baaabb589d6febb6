package nsdelete

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	discoveryfake "k8s.io/client-go/discovery/fake"
	k8sfake "k8s.io/client-go/kubernetes/fake"
	metadatafake "k8s.io/client-go/metadata/fake"
	clienttesting "k8s.io/client-go/testing"
	testingclock "k8s.io/utils/clock/testing"
)

// now is the fake time every test starts at.
var now = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

var (
	configMaps = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	widgets    = schema.GroupVersionResource{Group: "example.com", Version: "v1", Resource: "widgets"}
)

// servedResources is what the fake discovery serves: configmaps with
// deletecollection, widgets (an aggregated type) with list+delete only, and
// types the controller must skip.
func servedResources() []*metav1.APIResourceList {
	all := []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}
	return []*metav1.APIResourceList{
		{GroupVersion: "v1", APIResources: []metav1.APIResource{
			{Name: "configmaps", Kind: "ConfigMap", Namespaced: true, Verbs: all},
			{Name: "namespaces", Kind: "Namespace", Namespaced: false, Verbs: all},
			{Name: "namespaces/finalize", Kind: "Namespace", Namespaced: false, Verbs: []string{"update"}},
			{Name: "bindings", Kind: "Binding", Namespaced: true, Verbs: []string{"create"}},
		}},
		{GroupVersion: "example.com/v1", APIResources: []metav1.APIResource{
			{Name: "widgets", Kind: "Widget", Namespaced: true, Verbs: []string{"delete", "get", "list"}},
		}},
		// An older version of the same group: only the preferred one is used.
		{GroupVersion: "example.com/v1beta1", APIResources: []metav1.APIResource{
			{Name: "widgets", Kind: "Widget", Namespaced: true, Verbs: all},
		}},
	}
}

// failingDiscovery is a fake discovery whose listed group versions fail, the
// way an unavailable aggregated API does.
type failingDiscovery struct {
	*discoveryfake.FakeDiscovery
	failing map[string]error
}

func (d *failingDiscovery) ServerResourcesForGroupVersionWithContext(ctx context.Context, gv string) (*metav1.APIResourceList, error) {
	if err, ok := d.failing[gv]; ok {
		return nil, err
	}
	return d.FakeDiscovery.ServerResourcesForGroupVersionWithContext(ctx, gv)
}

func (d *failingDiscovery) ServerResourcesForGroupVersion(gv string) (*metav1.APIResourceList, error) {
	return d.ServerResourcesForGroupVersionWithContext(context.Background(), gv)
}

// discoveryRounds counts how often discovery listed the groups.
func discoveryRounds(d *discoveryfake.FakeDiscovery) int {
	n := 0
	for _, a := range d.Actions() {
		if a.GetResource().Resource == "group" {
			n++
		}
	}
	return n
}

// terminating returns a namespace marked for deletion ten seconds ago.
func terminating(name string, finalizers ...corev1.FinalizerName) *corev1.Namespace {
	deleted := metav1.NewTime(now.Add(-10 * time.Second))
	return &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID("uid-" + name), DeletionTimestamp: &deleted, ResourceVersion: "1"},
		Spec:       corev1.NamespaceSpec{Finalizers: finalizers},
		Status:     corev1.NamespaceStatus{Phase: corev1.NamespaceTerminating},
	}
}

// object returns metadata of an object of gvr, optionally held by finalizers.
func object(gvr schema.GroupVersionResource, kind, namespace, name string, finalizers ...string) *metav1.PartialObjectMetadata {
	return &metav1.PartialObjectMetadata{
		TypeMeta:   metav1.TypeMeta{APIVersion: gvr.GroupVersion().String(), Kind: kind},
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Finalizers: finalizers},
	}
}

// newMetadataClient returns a fake metadata client that deletes like the API
// server: objects with finalizers only get a deletionTimestamp.
func newMetadataClient(t *testing.T, objects ...runtime.Object) *metadatafake.FakeMetadataClient {
	t.Helper()
	scheme := metadatafake.NewTestScheme()
	for _, kind := range []schema.GroupVersionKind{configMaps.GroupVersion().WithKind("ConfigMap"), widgets.GroupVersion().WithKind("Widget")} {
		scheme.AddKnownTypeWithName(kind, &metav1.PartialObjectMetadata{})
		scheme.AddKnownTypeWithName(kind.GroupVersion().WithKind(kind.Kind+"List"), &metav1.PartialObjectMetadataList{})
	}
	client := metadatafake.NewSimpleMetadataClient(scheme, objects...)
	tracker := client.Tracker()
	deleteOne := func(gvr schema.GroupVersionResource, ns, name string) error {
		obj, err := tracker.Get(gvr, ns, name)
		if err != nil {
			return err
		}
		m := obj.(*metav1.PartialObjectMetadata).DeepCopy()
		if len(m.Finalizers) == 0 {
			return tracker.Delete(gvr, ns, name)
		}
		if m.DeletionTimestamp == nil {
			deleted := metav1.NewTime(now)
			m.DeletionTimestamp = &deleted
			return tracker.Update(gvr, m, ns)
		}
		return nil
	}
	listKind := schema.GroupVersionKind{Group: "fake-metadata-client-group", Version: "v1"}
	client.PrependReactor("list", "*", func(a clienttesting.Action) (bool, runtime.Object, error) {
		list, err := tracker.List(stored(a.GetResource()), listKind, a.GetNamespace())
		return true, list, err
	})
	client.PrependReactor("delete", "*", func(a clienttesting.Action) (bool, runtime.Object, error) {
		d := a.(clienttesting.DeleteAction)
		return true, nil, deleteOne(stored(d.GetResource()), d.GetNamespace(), d.GetName())
	})
	client.PrependReactor("delete-collection", "*", func(a clienttesting.Action) (bool, runtime.Object, error) {
		gvr, ns := stored(a.GetResource()), a.GetNamespace()
		list, err := tracker.List(gvr, listKind, ns)
		if err != nil {
			return true, nil, err
		}
		for _, item := range list.(*metav1.List).Items {
			if err := deleteOne(gvr, ns, item.Object.(*metav1.PartialObjectMetadata).Name); err != nil {
				return true, nil, err
			}
		}
		return true, nil, nil
	})
	return client
}

// stored maps a served version to the one the fake tracker keeps objects
// under, as a server with several versions of one type does.
func stored(gvr schema.GroupVersionResource) schema.GroupVersionResource {
	if gvr.GroupResource() == widgets.GroupResource() {
		return widgets
	}
	return gvr
}

// harness wires a namespaceDeleter to fakes.
type harness struct {
	core      *k8sfake.Clientset
	metadata  *metadatafake.FakeMetadataClient
	discovery *discoveryfake.FakeDiscovery
	clock     *testingclock.FakePassiveClock
	deleter   *namespaceDeleter
}

type harnessConfig struct {
	namespaces []runtime.Object
	objects    []runtime.Object
	// failingGroups makes discovery of these group versions fail.
	failingGroups map[string]error
}

func newHarness(t *testing.T, cfg harnessConfig) *harness {
	t.Helper()
	h := &harness{
		core:      k8sfake.NewClientset(cfg.namespaces...),
		metadata:  newMetadataClient(t, append(cfg.objects, object(configMaps, "ConfigMap", "other", "keep"))...),
		discovery: &discoveryfake.FakeDiscovery{Fake: &clienttesting.Fake{Resources: servedResources()}},
		clock:     testingclock.NewFakePassiveClock(now),
	}
	catalog := newResourceCatalog(&failingDiscovery{FakeDiscovery: h.discovery, failing: cfg.failingGroups}, h.clock)
	h.deleter = &namespaceDeleter{
		namespaces: h.core.CoreV1().Namespaces(),
		catalog:    catalog,
		content:    &contentDeleter{metadata: h.metadata, typeGone: catalog.invalidate},
		clock:      h.clock,
	}
	return h
}

// clearActions forgets the calls made while setting up.
func (h *harness) clearActions() {
	h.core.ClearActions()
	h.metadata.ClearActions()
	h.discovery.ClearActions()
}

// describe renders actions as "verb resource[/sub] [ns/]name" lines.
func describe(actions []clienttesting.Action) []string {
	var out []string
	for _, a := range actions {
		s := a.GetVerb() + " " + a.GetResource().Resource
		if sub := a.GetSubresource(); sub != "" {
			s += "/" + sub
		}
		target := a.GetNamespace()
		switch a := a.(type) {
		case clienttesting.GetAction:
			target = join(target, a.GetName())
		case clienttesting.DeleteAction:
			target = join(target, a.GetName())
		case clienttesting.UpdateAction:
			target = join(target, objectName(a.GetObject()))
		case clienttesting.CreateAction:
			target = join(target, objectName(a.GetObject()))
		}
		if target != "" {
			s += " " + target
		}
		out = append(out, s)
	}
	return out
}

func join(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
}

func objectName(obj runtime.Object) string {
	if m, ok := obj.(metav1.Object); ok {
		return m.GetName()
	}
	return fmt.Sprintf("%T", obj)
}

// namespaceFrom reads a namespace back from the fake core client.
func (h *harness) namespace(t *testing.T, name string) *corev1.Namespace {
	t.Helper()
	ns, err := h.core.Tracker().Get(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}, "", name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		t.Fatalf("get namespace %q: %v", name, err)
	}
	return ns.(*corev1.Namespace)
}

// remainingObjects lists the names of objects of gvr left in ns.
func (h *harness) remainingObjects(t *testing.T, gvr schema.GroupVersionResource, ns string) []string {
	t.Helper()
	list, err := h.metadata.Resource(gvr).Namespace(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list %s in %q: %v", gvr, ns, err)
	}
	var names []string
	for _, item := range list.Items {
		names = append(names, item.Name)
	}
	return names
}
