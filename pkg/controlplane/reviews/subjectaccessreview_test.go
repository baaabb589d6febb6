package reviews

import (
	"context"
	"net/http"
	"reflect"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apiserver/pkg/authentication/user"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
)

func podsIn(ns, verb string) *authorizationv1.ResourceAttributes {
	return &authorizationv1.ResourceAttributes{Namespace: ns, Verb: verb, Resource: "pods"}
}

func TestSubjectAccessReview(t *testing.T) {
	tests := []struct {
		name string
		spec authorizationv1.SubjectAccessReviewSpec
		meta metav1.ObjectMeta
		want authorizationv1.SubjectAccessReviewStatus
		// wantInvalid lists the field paths of a 422; nil means success.
		wantInvalid []string
	}{
		{
			name: "allowed by a namespaced rule",
			spec: authorizationv1.SubjectAccessReviewSpec{User: "alice", ResourceAttributes: podsIn("team", "list")},
			want: authorizationv1.SubjectAccessReviewStatus{Allowed: true, Reason: "allowed by rule 0"},
		},
		{
			name: "no rule gives no opinion: neither allowed nor denied",
			spec: authorizationv1.SubjectAccessReviewSpec{User: "alice", ResourceAttributes: podsIn("team", "delete")},
			want: authorizationv1.SubjectAccessReviewStatus{},
		},
		{
			name: "other namespace",
			spec: authorizationv1.SubjectAccessReviewSpec{User: "alice", ResourceAttributes: podsIn("prod", "get")},
			want: authorizationv1.SubjectAccessReviewStatus{},
		},
		{
			name: "resource name rule",
			spec: authorizationv1.SubjectAccessReviewSpec{User: "alice", ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "get", Group: "apps", Resource: "deployments", Name: "web"}},
			want: authorizationv1.SubjectAccessReviewStatus{Allowed: true, Reason: "allowed by rule 1"},
		},
		{
			name: "explicit deny",
			spec: authorizationv1.SubjectAccessReviewSpec{User: "mallory", Groups: []string{"admins"}, ResourceAttributes: podsIn("team", "get")},
			want: authorizationv1.SubjectAccessReviewStatus{Denied: true, Reason: "mallory is blocked"},
		},
		{
			name: "groups alone are a subject",
			spec: authorizationv1.SubjectAccessReviewSpec{Groups: []string{"admins"}, ResourceAttributes: podsIn("any", "delete")},
			want: authorizationv1.SubjectAccessReviewStatus{Allowed: true, Reason: "allowed by rule 2"},
		},
		{
			name: "non-resource path",
			spec: authorizationv1.SubjectAccessReviewSpec{User: "bob", Groups: []string{"system:authenticated"}, NonResourceAttributes: &authorizationv1.NonResourceAttributes{Path: "/healthz", Verb: "get"}},
			want: authorizationv1.SubjectAccessReviewStatus{Allowed: true, Reason: "allowed by rule 3"},
		},
		{
			name: "evaluation error is reported",
			spec: authorizationv1.SubjectAccessReviewSpec{User: "broken", ResourceAttributes: podsIn("team", "get")},
			want: authorizationv1.SubjectAccessReviewStatus{EvaluationError: "policy store unavailable"},
		},
		{
			name:        "both attribute kinds",
			spec:        authorizationv1.SubjectAccessReviewSpec{User: "alice", ResourceAttributes: podsIn("team", "get"), NonResourceAttributes: &authorizationv1.NonResourceAttributes{Path: "/", Verb: "get"}},
			wantInvalid: []string{"spec.nonResourceAttributes"},
		},
		{
			name:        "neither attribute kind and no subject",
			spec:        authorizationv1.SubjectAccessReviewSpec{},
			wantInvalid: []string{"spec.resourceAttributes", "spec.user"},
		},
		{
			name:        "metadata must be empty",
			meta:        metav1.ObjectMeta{Name: "x"},
			spec:        authorizationv1.SubjectAccessReviewSpec{User: "alice", ResourceAttributes: podsIn("team", "get")},
			wantInvalid: []string{"metadata"},
		},
		{
			name: "selector attributes must choose raw or requirements",
			spec: authorizationv1.SubjectAccessReviewSpec{User: "alice", ResourceAttributes: &authorizationv1.ResourceAttributes{
				Verb: "list", Resource: "pods",
				FieldSelector: &authorizationv1.FieldSelectorAttributes{RawSelector: "a=b", Requirements: []metav1.FieldSelectorRequirement{{Key: "a", Operator: metav1.FieldSelectorOpIn, Values: []string{"b"}}}},
				LabelSelector: &authorizationv1.LabelSelectorAttributes{},
			}},
			wantInvalid: []string{"spec.resourceAttributes.fieldSelector.rawSelector", "spec.resourceAttributes.labelSelector.requirements"},
		},
		{
			name: "selector requirement needs a key",
			spec: authorizationv1.SubjectAccessReviewSpec{User: "alice", ResourceAttributes: &authorizationv1.ResourceAttributes{
				Verb: "list", Resource: "pods",
				LabelSelector: &authorizationv1.LabelSelectorAttributes{Requirements: []metav1.LabelSelectorRequirement{{Operator: metav1.LabelSelectorOpExists}}},
			}},
			// Both the empty-name and the bad-format checks fire, as upstream.
			wantInvalid: []string{"spec.resourceAttributes.labelSelector.requirements[0].key", "spec.resourceAttributes.labelSelector.requirements[0].key"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storage := NewSubjectAccessReviewREST(testPolicy())
			in := &authorizationv1.SubjectAccessReview{ObjectMeta: tt.meta, Spec: tt.spec}
			out, err := storage.Create(context.Background(), in, nil, &metav1.CreateOptions{})
			if tt.wantInvalid != nil {
				checkStatusError(t, err, http.StatusUnprocessableEntity, tt.wantInvalid)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := out.(*authorizationv1.SubjectAccessReview)
			if got.Status != tt.want {
				t.Errorf("status = %+v, want %+v", got.Status, tt.want)
			}
			if !reflect.DeepEqual(got.Spec, tt.spec) {
				t.Errorf("spec changed: %+v", got.Spec)
			}
			if in.Status != (authorizationv1.SubjectAccessReviewStatus{}) {
				t.Errorf("Create modified its input")
			}
		})
	}
}

// What the authorizer is asked must carry every part of the spec.
func TestSubjectAccessReviewAttributes(t *testing.T) {
	equals := func(f, v string) fields.Requirement {
		return fields.Requirement{Field: f, Operator: selection.Equals, Value: v}
	}
	label := func(key string, op selection.Operator, vals ...string) labels.Requirement {
		r, err := labels.NewRequirement(key, op, vals)
		if err != nil {
			t.Fatal(err)
		}
		return *r
	}
	tests := []struct {
		name            string
		attrs           *authorizationv1.ResourceAttributes
		wantVersion     string
		wantFields      fields.Requirements
		wantFieldsErr   bool
		wantLabels      labels.Requirements
		wantLabelsErr   bool
		wantSubresource string
	}{
		{name: "empty version means all versions", attrs: &authorizationv1.ResourceAttributes{Verb: "get", Resource: "pods", Subresource: "log"}, wantVersion: "*", wantSubresource: "log"},
		{
			name:        "raw selectors",
			attrs:       &authorizationv1.ResourceAttributes{Verb: "list", Version: "v1", Resource: "pods", FieldSelector: &authorizationv1.FieldSelectorAttributes{RawSelector: "spec.nodeName=n1"}, LabelSelector: &authorizationv1.LabelSelectorAttributes{RawSelector: "app in (web),tier"}},
			wantVersion: "v1",
			wantFields:  fields.Requirements{equals("spec.nodeName", "n1")},
			wantLabels:  labels.Requirements{label("app", selection.In, "web"), label("tier", selection.Exists)},
		},
		{
			name: "structured selectors",
			attrs: &authorizationv1.ResourceAttributes{Verb: "list", Resource: "pods",
				FieldSelector: &authorizationv1.FieldSelectorAttributes{Requirements: []metav1.FieldSelectorRequirement{
					{Key: "spec.nodeName", Operator: metav1.FieldSelectorOpIn, Values: []string{"n1"}},
					{Key: "status.phase", Operator: metav1.FieldSelectorOpNotIn, Values: []string{"Failed"}},
				}},
				LabelSelector: &authorizationv1.LabelSelectorAttributes{Requirements: []metav1.LabelSelectorRequirement{
					{Key: "app", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"db"}},
				}},
			},
			wantVersion: "*",
			wantFields:  fields.Requirements{equals("spec.nodeName", "n1"), {Field: "status.phase", Operator: selection.NotEquals, Value: "Failed"}},
			wantLabels:  labels.Requirements{label("app", selection.NotIn, "db")},
		},
		{
			name: "unsupported field operator is a parsing error, not a failed review",
			attrs: &authorizationv1.ResourceAttributes{Verb: "list", Resource: "pods",
				FieldSelector: &authorizationv1.FieldSelectorAttributes{Requirements: []metav1.FieldSelectorRequirement{{Key: "spec.nodeName", Operator: metav1.FieldSelectorOpExists}}},
				LabelSelector: &authorizationv1.LabelSelectorAttributes{RawSelector: "!!bad"},
			},
			wantVersion: "*", wantFieldsErr: true, wantLabelsErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testPolicy()
			spec := authorizationv1.SubjectAccessReviewSpec{
				User: "alice", UID: "uid-1", Groups: []string{"g1"},
				Extra:              map[string]authorizationv1.ExtraValue{"scopes": {"a", "b"}},
				ResourceAttributes: tt.attrs,
			}
			if _, err := NewSubjectAccessReviewREST(p).Create(context.Background(), &authorizationv1.SubjectAccessReview{Spec: spec}, nil, nil); err != nil {
				t.Fatal(err)
			}
			a := p.lastSeen()
			wantUser := &user.DefaultInfo{Name: "alice", UID: "uid-1", Groups: []string{"g1"}, Extra: map[string][]string{"scopes": {"a", "b"}}}
			if !reflect.DeepEqual(a.GetUser(), user.Info(wantUser)) {
				t.Errorf("user = %+v", a.GetUser())
			}
			if !a.IsResourceRequest() || a.GetAPIVersion() != tt.wantVersion || a.GetSubresource() != tt.wantSubresource || a.GetVerb() != tt.attrs.Verb {
				t.Errorf("attributes = %+v", a)
			}
			gotFields, fieldsErr := a.GetFieldSelector()
			if !reflect.DeepEqual(gotFields, tt.wantFields) || (fieldsErr != nil) != tt.wantFieldsErr {
				t.Errorf("field selector = %v, %v; want %v (error %v)", gotFields, fieldsErr, tt.wantFields, tt.wantFieldsErr)
			}
			gotLabels, labelsErr := a.GetLabelSelector()
			// Compared as text: parsed and constructed requirements differ
			// in unexported fields only.
			if labels.Requirements(gotLabels).String() != tt.wantLabels.String() || (labelsErr != nil) != tt.wantLabelsErr {
				t.Errorf("label selector = %v, %v; want %v (error %v)", gotLabels, labelsErr, tt.wantLabels, tt.wantLabelsErr)
			}
		})
	}
}

func TestLocalSubjectAccessReview(t *testing.T) {
	tests := []struct {
		name        string
		urlNS       string
		meta        metav1.ObjectMeta
		spec        authorizationv1.SubjectAccessReviewSpec
		want        authorizationv1.SubjectAccessReviewStatus
		wantCode    int
		wantInvalid []string
	}{
		{
			name: "allowed in its namespace", urlNS: "team", meta: metav1.ObjectMeta{Namespace: "team"},
			spec: authorizationv1.SubjectAccessReviewSpec{User: "alice", ResourceAttributes: podsIn("team", "get")},
			want: authorizationv1.SubjectAccessReviewStatus{Allowed: true, Reason: "allowed by rule 0"},
		},
		{
			name: "spec namespace differs from metadata", urlNS: "team", meta: metav1.ObjectMeta{Namespace: "team"},
			spec:     authorizationv1.SubjectAccessReviewSpec{User: "alice", ResourceAttributes: podsIn("prod", "get")},
			wantCode: http.StatusUnprocessableEntity, wantInvalid: []string{"spec.resourceAttributes.namespace"},
		},
		{
			name: "non-resource attributes are refused", urlNS: "team", meta: metav1.ObjectMeta{Namespace: "team"},
			spec:     authorizationv1.SubjectAccessReviewSpec{User: "alice", NonResourceAttributes: &authorizationv1.NonResourceAttributes{Path: "/healthz", Verb: "get"}},
			wantCode: http.StatusUnprocessableEntity, wantInvalid: []string{"spec.nonResourceAttributes"},
		},
		{
			name: "metadata other than namespace", urlNS: "team", meta: metav1.ObjectMeta{Namespace: "team", Labels: map[string]string{"a": "b"}},
			spec:     authorizationv1.SubjectAccessReviewSpec{User: "alice", ResourceAttributes: podsIn("team", "get")},
			wantCode: http.StatusUnprocessableEntity, wantInvalid: []string{"metadata"},
		},
		{
			name: "object namespace differs from the URL", urlNS: "prod", meta: metav1.ObjectMeta{Namespace: "team"},
			spec:     authorizationv1.SubjectAccessReviewSpec{User: "alice", ResourceAttributes: podsIn("team", "get")},
			wantCode: http.StatusBadRequest,
		},
		{
			name: "no namespace in the URL", meta: metav1.ObjectMeta{Namespace: "team"},
			spec:     authorizationv1.SubjectAccessReviewSpec{User: "alice", ResourceAttributes: podsIn("team", "get")},
			wantCode: http.StatusBadRequest,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if tt.urlNS != "" {
				ctx = genericapirequest.WithNamespace(ctx, tt.urlNS)
			}
			out, err := NewLocalSubjectAccessReviewREST(testPolicy()).Create(ctx, &authorizationv1.LocalSubjectAccessReview{ObjectMeta: tt.meta, Spec: tt.spec}, nil, nil)
			if tt.wantCode != 0 {
				checkStatusError(t, err, tt.wantCode, tt.wantInvalid)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := out.(*authorizationv1.LocalSubjectAccessReview).Status; got != tt.want {
				t.Errorf("status = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestSelfSubjectAccessReview(t *testing.T) {
	alice := &user.DefaultInfo{Name: "alice", Groups: []string{"system:authenticated"}}
	tests := []struct {
		name        string
		user        user.Info
		spec        authorizationv1.SelfSubjectAccessReviewSpec
		want        authorizationv1.SubjectAccessReviewStatus
		wantCode    int
		wantInvalid []string
	}{
		{
			name: "caller may", user: alice, spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: podsIn("team", "get")},
			want: authorizationv1.SubjectAccessReviewStatus{Allowed: true, Reason: "allowed by rule 0"},
		},
		{
			name: "caller may not", user: alice, spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: podsIn("team", "delete")},
			want: authorizationv1.SubjectAccessReviewStatus{},
		},
		{
			name: "caller's groups count", user: alice, spec: authorizationv1.SelfSubjectAccessReviewSpec{NonResourceAttributes: &authorizationv1.NonResourceAttributes{Path: "/version", Verb: "get"}},
			want: authorizationv1.SubjectAccessReviewStatus{Allowed: true, Reason: "allowed by rule 3"},
		},
		{
			name: "blocked caller", user: &user.DefaultInfo{Name: "mallory"}, spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: podsIn("team", "get")},
			want: authorizationv1.SubjectAccessReviewStatus{Denied: true, Reason: "mallory is blocked"},
		},
		{name: "no attributes", user: alice, wantCode: http.StatusUnprocessableEntity, wantInvalid: []string{"spec.resourceAttributes"}},
		{name: "no user in context", spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: podsIn("team", "get")}, wantCode: http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if tt.user != nil {
				ctx = genericapirequest.WithUser(ctx, tt.user)
			}
			out, err := NewSelfSubjectAccessReviewREST(testPolicy()).Create(ctx, &authorizationv1.SelfSubjectAccessReview{Spec: tt.spec}, nil, nil)
			if tt.wantCode != 0 {
				checkStatusError(t, err, tt.wantCode, tt.wantInvalid)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := out.(*authorizationv1.SelfSubjectAccessReview).Status; got != tt.want {
				t.Errorf("status = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestReviewsHonourAdmission(t *testing.T) {
	refused := func(context.Context, runtime.Object) error { return errAuthenticatorAudiences }
	ctx := genericapirequest.WithUser(context.Background(), &user.DefaultInfo{Name: "alice"})
	_, err := NewSubjectAccessReviewREST(testPolicy()).Create(ctx, &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: "alice", ResourceAttributes: podsIn("team", "get")}}, refused, nil)
	if err != errAuthenticatorAudiences {
		t.Errorf("SubjectAccessReview ignored createValidation: %v", err)
	}
	_, err = NewSelfSubjectRulesReviewREST(testPolicy()).Create(ctx, &authorizationv1.SelfSubjectRulesReview{Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: "team"}}, refused, nil)
	if err != errAuthenticatorAudiences {
		t.Errorf("SelfSubjectRulesReview ignored createValidation: %v", err)
	}
}
