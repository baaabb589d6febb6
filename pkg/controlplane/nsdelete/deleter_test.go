package nsdelete

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clienttesting "k8s.io/client-go/testing"
)

// condition is the part of a namespace condition the tests compare.
type condition struct {
	Status          corev1.ConditionStatus
	Reason, Message string
}

// healthy are the conditions of a namespace whose last pass found nothing
// wrong, with Kubernetes' reasons.
func healthy() map[corev1.NamespaceConditionType]condition {
	return map[corev1.NamespaceConditionType]condition{
		corev1.NamespaceDeletionDiscoveryFailure: {corev1.ConditionFalse, "ResourcesDiscovered", "All resources successfully discovered"},
		corev1.NamespaceDeletionGVParsingFailure: {corev1.ConditionFalse, "ParsedGroupVersions", "All legacy kube types successfully parsed"},
		corev1.NamespaceDeletionContentFailure:   {corev1.ConditionFalse, "ContentDeleted", "All content successfully deleted, may be waiting on finalization"},
		corev1.NamespaceContentRemaining:         {corev1.ConditionFalse, "ContentRemoved", "All content successfully removed"},
		corev1.NamespaceFinalizersRemaining:      {corev1.ConditionFalse, "ContentHasNoFinalizers", "All content-preserving finalizers finished"},
	}
}

// healthyExcept returns the healthy conditions with some replaced.
func healthyExcept(changed map[corev1.NamespaceConditionType]condition) map[corev1.NamespaceConditionType]condition {
	out := healthy()
	for t, c := range changed {
		out[t] = c
	}
	return out
}

func conditionsOf(ns *corev1.Namespace) map[corev1.NamespaceConditionType]condition {
	if ns == nil || len(ns.Status.Conditions) == 0 {
		return nil
	}
	out := map[corev1.NamespaceConditionType]condition{}
	for _, c := range ns.Status.Conditions {
		out[c.Type] = condition{c.Status, c.Reason, c.Message}
	}
	return out
}

const doomed = "doomed"

// commonObjects are one configmap and one widget in the doomed namespace.
// Every harness also has a configmap in another namespace that must survive.
func commonObjects() []runtime.Object {
	return []runtime.Object{
		object(configMaps, "ConfigMap", doomed, "a"),
		object(widgets, "Widget", doomed, "w"),
	}
}

// fullPass is the metadata traffic of one pass over doomed: configmaps go by
// deletecollection, widgets (no deletecollection in their preferred version)
// one by one, and each type is listed to check nothing remains.
var fullPass = []string{
	"delete-collection configmaps doomed",
	"list configmaps doomed",
	"list widgets doomed",
	"delete widgets doomed/w",
	"list widgets doomed",
}

func TestDeleteNamespace(t *testing.T) {
	unavailable := apierrors.NewServiceUnavailable("widget backend down")
	tests := []struct {
		name string
		cfg  harnessConfig
		// react installs extra reactors on the fake metadata client.
		react func(h *harness)

		wantErr      string // substring; "" means success
		wantRemain   bool   // the error is a contentRemainingError
		wantCore     []string
		wantMetadata []string
		// wantConditions nil means the namespace must have none.
		wantConditions map[corev1.NamespaceConditionType]condition
		wantGone       bool
		wantFinalizers []corev1.FinalizerName
		// wantLeft are objects left in doomed, per type.
		wantLeft map[schema.GroupVersionResource][]string
	}{
		{
			name: "empty after one pass: finalize, then delete",
			cfg: harnessConfig{
				namespaces: []runtime.Object{terminating(doomed, corev1.FinalizerKubernetes)},
				objects:    commonObjects(),
			},
			wantCore: []string{
				"get namespaces doomed",
				"update namespaces/status doomed",
				"create namespaces/finalize doomed",
				"delete namespaces doomed",
			},
			wantMetadata: fullPass,
			wantGone:     true,
		},
		{
			name: "objects held by finalizers remain: conditions say which, no finalize",
			cfg: harnessConfig{
				namespaces: []runtime.Object{terminating(doomed, corev1.FinalizerKubernetes)},
				objects: []runtime.Object{
					object(configMaps, "ConfigMap", doomed, "a"),
					object(widgets, "Widget", doomed, "w", "example.com/hold", "example.com/audit"),
				},
			},
			wantRemain:   true,
			wantErr:      `namespace "doomed" still has 1 objects being deleted`,
			wantCore:     []string{"get namespaces doomed", "update namespaces/status doomed"},
			wantMetadata: fullPass,
			wantConditions: healthyExcept(map[corev1.NamespaceConditionType]condition{
				corev1.NamespaceContentRemaining: {corev1.ConditionTrue, "SomeResourcesRemain",
					"Some resources are remaining: widgets.example.com has 1 resource instances"},
				corev1.NamespaceFinalizersRemaining: {corev1.ConditionTrue, "SomeFinalizersRemain",
					"Some content in the namespace has finalizers remaining: example.com/audit in 1 resource instances, example.com/hold in 1 resource instances"},
			}),
			wantFinalizers: []corev1.FinalizerName{corev1.FinalizerKubernetes},
			wantLeft:       map[schema.GroupVersionResource][]string{widgets: {"w"}},
		},
		{
			name: "partial discovery failure: discovered types are deleted, namespace kept",
			cfg: harnessConfig{
				namespaces:    []runtime.Object{terminating(doomed, corev1.FinalizerKubernetes)},
				objects:       commonObjects(),
				failingGroups: map[string]error{"example.com/v1": unavailable, "example.com/v1beta1": unavailable},
			},
			wantErr:  "unable to retrieve the complete list of server APIs",
			wantCore: []string{"get namespaces doomed", "update namespaces/status doomed"},
			wantMetadata: []string{
				"delete-collection configmaps doomed",
				"list configmaps doomed",
			},
			wantConditions: healthyExcept(map[corev1.NamespaceConditionType]condition{
				corev1.NamespaceDeletionDiscoveryFailure: {corev1.ConditionTrue, "DiscoveryFailed",
					"Discovery failed for some groups, 2 failing: unable to retrieve the complete list of server APIs: " +
						"example.com/v1: widget backend down, example.com/v1beta1: widget backend down"},
			}),
			wantFinalizers: []corev1.FinalizerName{corev1.FinalizerKubernetes},
			wantLeft:       map[schema.GroupVersionResource][]string{widgets: {"w"}},
		},
		{
			name: "preferred version unavailable: another served version is used",
			cfg: harnessConfig{
				namespaces:    []runtime.Object{terminating(doomed, corev1.FinalizerKubernetes)},
				objects:       commonObjects(),
				failingGroups: map[string]error{"example.com/v1": unavailable},
			},
			wantErr:  "unable to retrieve the complete list of server APIs",
			wantCore: []string{"get namespaces doomed", "update namespaces/status doomed"},
			wantMetadata: []string{
				"delete-collection configmaps doomed",
				"list configmaps doomed",
				"delete-collection widgets doomed",
				"list widgets doomed",
			},
			wantConditions: healthyExcept(map[corev1.NamespaceConditionType]condition{
				corev1.NamespaceDeletionDiscoveryFailure: {corev1.ConditionTrue, "DiscoveryFailed",
					"Discovery failed for some groups, 1 failing: unable to retrieve the complete list of server APIs: " +
						"example.com/v1: widget backend down"},
			}),
			wantFinalizers: []corev1.FinalizerName{corev1.FinalizerKubernetes},
		},
		{
			name: "other spec finalizers: finalize our part and wait",
			cfg: harnessConfig{
				namespaces: []runtime.Object{terminating(doomed, "example.com/other", corev1.FinalizerKubernetes)},
				objects:    commonObjects(),
			},
			wantCore: []string{
				"get namespaces doomed",
				"update namespaces/status doomed",
				"create namespaces/finalize doomed",
			},
			wantMetadata:   fullPass,
			wantConditions: healthy(),
			wantFinalizers: []corev1.FinalizerName{"example.com/other"},
		},
		{
			name: "only foreign finalizers: nothing to do",
			cfg: harnessConfig{
				namespaces: []runtime.Object{terminating(doomed, "example.com/other")},
				objects:    commonObjects(),
			},
			wantCore:       []string{"get namespaces doomed"},
			wantFinalizers: []corev1.FinalizerName{"example.com/other"},
			wantLeft:       map[schema.GroupVersionResource][]string{configMaps: {"a"}, widgets: {"w"}},
		},
		{
			name: "no finalizers left: delete the namespace",
			cfg: harnessConfig{
				namespaces: []runtime.Object{terminating(doomed)},
			},
			wantCore: []string{"get namespaces doomed", "delete namespaces doomed"},
			wantGone: true,
		},
		{
			name: "not marked for deletion: ignored",
			cfg: harnessConfig{
				namespaces: []runtime.Object{func() runtime.Object {
					ns := terminating(doomed, corev1.FinalizerKubernetes)
					ns.DeletionTimestamp = nil
					ns.Status.Phase = corev1.NamespaceActive
					return ns
				}()},
				objects: commonObjects(),
			},
			wantCore:       []string{"get namespaces doomed"},
			wantFinalizers: []corev1.FinalizerName{corev1.FinalizerKubernetes},
			wantLeft:       map[schema.GroupVersionResource][]string{configMaps: {"a"}, widgets: {"w"}},
		},
		{
			name:     "namespace already gone",
			wantCore: []string{"get namespaces doomed"},
			wantGone: true,
		},
		{
			name: "phase still Active: set Terminating first",
			cfg: harnessConfig{
				namespaces: []runtime.Object{func() runtime.Object {
					ns := terminating(doomed, corev1.FinalizerKubernetes)
					ns.Status.Phase = corev1.NamespaceActive
					return ns
				}()},
			},
			wantCore: []string{
				"get namespaces doomed",
				"update namespaces/status doomed",
				"update namespaces/status doomed",
				"create namespaces/finalize doomed",
				"delete namespaces doomed",
			},
			wantMetadata: []string{"delete-collection configmaps doomed", "list configmaps doomed", "list widgets doomed"},
			wantGone:     true,
		},
		{
			name: "deletecollection refused: delete one by one",
			cfg: harnessConfig{
				namespaces: []runtime.Object{terminating(doomed, corev1.FinalizerKubernetes)},
				objects:    commonObjects(),
			},
			react: func(h *harness) {
				h.metadata.PrependReactor("delete-collection", "configmaps", func(clienttesting.Action) (bool, runtime.Object, error) {
					return true, nil, apierrors.NewMethodNotSupported(configMaps.GroupResource(), "deletecollection")
				})
			},
			wantCore: []string{
				"get namespaces doomed",
				"update namespaces/status doomed",
				"create namespaces/finalize doomed",
				"delete namespaces doomed",
			},
			wantMetadata: append([]string{
				"delete-collection configmaps doomed",
				"list configmaps doomed",
				"delete configmaps doomed/a",
			}, fullPass[1:]...),
			wantGone: true,
		},
		{
			name: "objects that ignore deletion: content failure",
			cfg: harnessConfig{
				namespaces: []runtime.Object{terminating(doomed, corev1.FinalizerKubernetes)},
				objects:    commonObjects(),
			},
			react: func(h *harness) {
				h.metadata.PrependReactor("delete", "widgets", func(clienttesting.Action) (bool, runtime.Object, error) {
					return true, nil, nil
				})
			},
			wantErr:      `1 objects of widgets.example.com remain in namespace "doomed" after deletion`,
			wantCore:     []string{"get namespaces doomed", "update namespaces/status doomed"},
			wantMetadata: fullPass,
			wantConditions: healthyExcept(map[corev1.NamespaceConditionType]condition{
				corev1.NamespaceDeletionContentFailure: {corev1.ConditionTrue, "ContentDeletionFailed",
					`Failed to delete all resource types, 1 remaining: [1 objects of widgets.example.com remain in namespace "doomed" after deletion]`},
				corev1.NamespaceContentRemaining: {corev1.ConditionTrue, "SomeResourcesRemain",
					"Some resources are remaining: widgets.example.com has 1 resource instances"},
			}),
			wantFinalizers: []corev1.FinalizerName{corev1.FinalizerKubernetes},
			wantLeft:       map[schema.GroupVersionResource][]string{widgets: {"w"}},
		},
		{
			name: "delete fails: content failure names the type",
			cfg: harnessConfig{
				namespaces: []runtime.Object{terminating(doomed, corev1.FinalizerKubernetes)},
				objects:    commonObjects(),
			},
			react: func(h *harness) {
				h.metadata.PrependReactor("delete-collection", "configmaps", func(clienttesting.Action) (bool, runtime.Object, error) {
					return true, nil, apierrors.NewForbidden(configMaps.GroupResource(), "", errors.New("no"))
				})
			},
			wantErr:      "delete collection of configmaps in namespace",
			wantCore:     []string{"get namespaces doomed", "update namespaces/status doomed"},
			wantMetadata: append([]string{"delete-collection configmaps doomed"}, fullPass[2:]...),
			wantConditions: healthyExcept(map[corev1.NamespaceConditionType]condition{
				corev1.NamespaceDeletionContentFailure: {corev1.ConditionTrue, "ContentDeletionFailed",
					`Failed to delete all resource types, 1 remaining: [delete collection of configmaps in namespace "doomed": configmaps is forbidden: no]`},
			}),
			wantFinalizers: []corev1.FinalizerName{corev1.FinalizerKubernetes},
			wantLeft:       map[schema.GroupVersionResource][]string{configMaps: {"a"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.cfg)
			if tt.react != nil {
				tt.react(h)
			}
			err := h.deleter.delete(context.Background(), doomed)

			var remain *contentRemainingError
			if got := errors.As(err, &remain); got != tt.wantRemain {
				t.Errorf("contentRemainingError = %v, want %v (err: %v)", got, tt.wantRemain, err)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("delete: unexpected error %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("delete: error %v, want one containing %q", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.wantCore, describe(h.core.Actions())); diff != "" {
				t.Errorf("namespace calls (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantMetadata, describe(h.metadata.Actions())); diff != "" {
				t.Errorf("metadata calls (-want +got):\n%s", diff)
			}

			ns := h.namespace(t, doomed)
			if got := ns == nil; got != tt.wantGone {
				t.Fatalf("namespace gone = %v, want %v", got, tt.wantGone)
			}
			if ns != nil {
				if diff := cmp.Diff(tt.wantConditions, conditionsOf(ns)); diff != "" {
					t.Errorf("conditions (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(tt.wantFinalizers, ns.Spec.Finalizers); diff != "" {
					t.Errorf("spec.finalizers (-want +got):\n%s", diff)
				}
				if ns.Status.Phase != corev1.NamespaceTerminating && ns.DeletionTimestamp != nil {
					t.Errorf("phase = %q, want Terminating", ns.Status.Phase)
				}
			}
			for _, gvr := range []schema.GroupVersionResource{configMaps, widgets} {
				if diff := cmp.Diff(tt.wantLeft[gvr], h.remainingObjects(t, gvr, doomed)); diff != "" {
					t.Errorf("%s left in %s (-want +got):\n%s", gvr.Resource, doomed, diff)
				}
			}
			if got := h.remainingObjects(t, configMaps, "other"); !slices.Equal(got, []string{"keep"}) {
				t.Errorf("configmaps in other namespace = %v, want [keep]", got)
			}
		})
	}
}
