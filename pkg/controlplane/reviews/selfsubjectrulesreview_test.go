package reviews

import (
	"context"
	"net/http"
	"reflect"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apiserver/pkg/authentication/user"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
)

func TestSelfSubjectRulesReview(t *testing.T) {
	healthz := authorizationv1.NonResourceRule{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz", "/version"}}
	tests := []struct {
		name      string
		user      user.Info
		namespace string
		want      authorizationv1.SubjectRulesReviewStatus
		wantCode  int
	}{
		{
			name: "namespaced and cluster rules in the asked namespace", namespace: "team",
			user: &user.DefaultInfo{Name: "alice", Groups: []string{"system:authenticated"}},
			want: authorizationv1.SubjectRulesReviewStatus{
				ResourceRules: []authorizationv1.ResourceRule{
					{Verbs: []string{"get", "list"}, APIGroups: []string{""}, Resources: []string{"pods"}},
					{Verbs: []string{"get"}, APIGroups: []string{"apps"}, Resources: []string{"deployments"}, ResourceNames: []string{"web"}},
				},
				NonResourceRules: []authorizationv1.NonResourceRule{healthz},
			},
		},
		{
			name: "only cluster rules elsewhere", namespace: "prod",
			user: &user.DefaultInfo{Name: "alice", Groups: []string{"system:authenticated"}},
			want: authorizationv1.SubjectRulesReviewStatus{
				ResourceRules: []authorizationv1.ResourceRule{
					{Verbs: []string{"get"}, APIGroups: []string{"apps"}, Resources: []string{"deployments"}, ResourceNames: []string{"web"}},
				},
				NonResourceRules: []authorizationv1.NonResourceRule{healthz},
			},
		},
		{
			name: "no rules is empty lists, not null", namespace: "team", user: &user.DefaultInfo{Name: "nobody"},
			want: authorizationv1.SubjectRulesReviewStatus{ResourceRules: []authorizationv1.ResourceRule{}, NonResourceRules: []authorizationv1.NonResourceRule{}},
		},
		{
			name: "resolver failure is incomplete with the error", namespace: "team", user: &user.DefaultInfo{Name: "broken"},
			want: authorizationv1.SubjectRulesReviewStatus{
				ResourceRules: []authorizationv1.ResourceRule{}, NonResourceRules: []authorizationv1.NonResourceRule{},
				Incomplete: true, EvaluationError: "policy store unavailable",
			},
		},
		{name: "namespace required", user: &user.DefaultInfo{Name: "alice"}, wantCode: http.StatusBadRequest},
		{name: "user required", namespace: "team", wantCode: http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if tt.user != nil {
				ctx = genericapirequest.WithUser(ctx, tt.user)
			}
			in := &authorizationv1.SelfSubjectRulesReview{Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: tt.namespace}}
			out, err := NewSelfSubjectRulesReviewREST(testPolicy()).Create(ctx, in, nil, nil)
			if tt.wantCode != 0 {
				checkStatusError(t, err, tt.wantCode, nil)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := out.(*authorizationv1.SelfSubjectRulesReview)
			if !reflect.DeepEqual(got.Status, tt.want) {
				t.Errorf("status =\n%+v\nwant\n%+v", got.Status, tt.want)
			}
			if got.Spec.Namespace != tt.namespace {
				t.Errorf("spec.namespace = %q", got.Spec.Namespace)
			}
		})
	}
}
