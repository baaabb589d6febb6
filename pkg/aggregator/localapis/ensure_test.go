package localapis

import (
	"context"
	"slices"
	"testing"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clienttesting "k8s.io/client-go/testing"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	"k8s.io/kube-aggregator/pkg/client/clientset_generated/clientset/fake"
)

var (
	coreV1 = schema.GroupVersion{Version: "v1"}
	appsV1 = schema.GroupVersion{Group: "apps", Version: "v1"}
	rbacV1 = schema.GroupVersion{Group: "rbac.authorization.k8s.io", Version: "v1"}
)

func withLabel(a *apiregistrationv1.APIService, value string) *apiregistrationv1.APIService {
	a = a.DeepCopy()
	if value == "" {
		delete(a.Labels, AutoManagedLabel)
	} else {
		a.Labels = map[string]string{AutoManagedLabel: value}
	}
	return a
}

func withPriority(a *apiregistrationv1.APIService, group int32) *apiregistrationv1.APIService {
	a = a.DeepCopy()
	a.Spec.GroupPriorityMinimum = group
	return a
}

func remote(a *apiregistrationv1.APIService) *apiregistrationv1.APIService {
	a = a.DeepCopy()
	a.Spec.Service = &apiregistrationv1.ServiceReference{Namespace: "ns", Name: "svc"}
	return a
}

// writes lists the verb and name of every write action on the fake client.
func writes(client *fake.Clientset) []string {
	var out []string
	for _, action := range client.Actions() {
		// Verbs, not action interfaces: CreateAction and UpdateAction have
		// the same method set, so a type switch cannot tell them apart.
		switch action.GetVerb() {
		case "create", "update":
			object := action.(interface{ GetObject() runtime.Object }).GetObject()
			out = append(out, action.GetVerb()+" "+object.(*apiregistrationv1.APIService).Name)
		case "delete":
			out = append(out, "delete "+action.(clienttesting.DeleteAction).GetName())
		}
	}
	return out
}

func TestEnsure(t *testing.T) {
	core, apps, rbac := LocalAPIService(coreV1), LocalAPIService(appsV1), LocalAPIService(rbacV1)
	stale := LocalAPIService(schema.GroupVersion{Group: "batch", Version: "v1"})
	tests := []struct {
		name       string
		existing   []runtime.Object
		gvs        []schema.GroupVersion
		wantWrites []string
		// want is what each named APIService must end as; nil means absent.
		want map[string]*apiregistrationv1.APIService
	}{
		{
			name:       "creates missing ones",
			gvs:        []schema.GroupVersion{coreV1, appsV1},
			wantWrites: []string{"create v1.", "create v1.apps"},
			want:       map[string]*apiregistrationv1.APIService{"v1.": core, "v1.apps": apps},
		},
		{
			name:     "nothing to do when all match",
			existing: []runtime.Object{core, apps},
			gvs:      []schema.GroupVersion{coreV1, appsV1},
			want:     map[string]*apiregistrationv1.APIService{"v1.": core, "v1.apps": apps},
		},
		{
			name:       "updates an automanaged one that drifted",
			existing:   []runtime.Object{withPriority(apps, 5)},
			gvs:        []schema.GroupVersion{appsV1},
			wantWrites: []string{"update v1.apps"},
			want:       map[string]*apiregistrationv1.APIService{"v1.apps": apps},
		},
		{
			name:       "updates a continuously managed one that drifted, keeping its label",
			existing:   []runtime.Object{withLabel(withPriority(apps, 5), AutoManagedAlways)},
			gvs:        []schema.GroupVersion{appsV1},
			wantWrites: []string{"update v1.apps"},
			want:       map[string]*apiregistrationv1.APIService{"v1.apps": withLabel(apps, AutoManagedAlways)},
		},
		{
			name:     "leaves a user-owned local one alone",
			existing: []runtime.Object{withLabel(withPriority(apps, 5), "")},
			gvs:      []schema.GroupVersion{appsV1},
			want:     map[string]*apiregistrationv1.APIService{"v1.apps": withLabel(withPriority(apps, 5), "")},
		},
		{
			name:     "never touches an aggregated one, even if labelled",
			existing: []runtime.Object{remote(withPriority(apps, 5)), remote(rbac)},
			gvs:      []schema.GroupVersion{appsV1},
			want: map[string]*apiregistrationv1.APIService{
				"v1.apps":                      remote(withPriority(apps, 5)),
				"v1.rbac.authorization.k8s.io": remote(rbac),
			},
		},
		{
			name:       "deletes onstart local ones no longer served",
			existing:   []runtime.Object{core, stale},
			gvs:        []schema.GroupVersion{coreV1},
			wantWrites: []string{"delete v1.batch"},
			want:       map[string]*apiregistrationv1.APIService{"v1.": core, "v1.batch": nil},
		},
		{
			name:     "keeps unserved ones that are not onstart",
			existing: []runtime.Object{withLabel(stale, AutoManagedAlways), withLabel(rbac, "")},
			gvs:      []schema.GroupVersion{},
			want: map[string]*apiregistrationv1.APIService{
				"v1.batch":                     withLabel(stale, AutoManagedAlways),
				"v1.rbac.authorization.k8s.io": withLabel(rbac, ""),
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			client := fake.NewClientset(tc.existing...)
			if err := Ensure(ctx, client, tc.gvs); err != nil {
				t.Fatalf("Ensure: %v", err)
			}
			if got := writes(client); !slices.Equal(got, tc.wantWrites) {
				t.Errorf("writes = %v, want %v", got, tc.wantWrites)
			}
			for name, want := range tc.want {
				got, err := client.ApiregistrationV1().APIServices().Get(ctx, name, metav1.GetOptions{})
				if want == nil {
					if !apierrors.IsNotFound(err) {
						t.Errorf("%s: get error = %v, want NotFound", name, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("get %s: %v", name, err)
				}
				if !apiequality.Semantic.DeepEqual(got.Spec, want.Spec) || !apiequality.Semantic.DeepEqual(got.Labels, want.Labels) {
					t.Errorf("%s = %+v labels %v, want %+v labels %v", name, got.Spec, got.Labels, want.Spec, want.Labels)
				}
			}

			// Idempotence: a second run writes nothing.
			client.ClearActions()
			if err := Ensure(ctx, client, tc.gvs); err != nil {
				t.Fatalf("second Ensure: %v", err)
			}
			if got := writes(client); len(got) != 0 {
				t.Errorf("second Ensure wrote %v", got)
			}
		})
	}
}
