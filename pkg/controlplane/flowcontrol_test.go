package controlplane_test

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	fcbootstrap "k8s.io/apiserver/pkg/apis/flowcontrol/bootstrap"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/aggkit/aggkit/pkg/controlplane"
)

// apfServer is a replica whose users alice and bob authenticate by
// token and hold cluster-admin through RBAC (so, unlike system:masters,
// they are not exempt from priority and fairness), with the identity
// backend registered.
type apfServer struct {
	*replica
	kube       kubernetes.Interface
	alice, bob *http.Client
}

func startAPFServer(t *testing.T, configure func(*controlplane.Options)) *apfServer {
	t.Helper()
	tokens := filepath.Join(t.TempDir(), "tokens.csv")
	if err := os.WriteFile(tokens, []byte("alice-token,alice,alice-uid\nbob-token,bob,bob-uid\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := startReplica(t, sharedEtcd(t), t.TempDir(), func(o *controlplane.Options) {
		o.TokenAuthFile = tokens
		if configure != nil {
			configure(o)
		}
	})
	s := &apfServer{replica: r, kube: kubeClient(t, r.cfg)}
	ctx := context.Background()
	for _, user := range []string{"alice", "bob"} {
		binding := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: user + "-admin"},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
			Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}}}
		if _, err := s.kube.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	s.alice, s.bob = s.tokenClient(t, "alice-token"), s.tokenClient(t, "bob-token")
	startIdentityBackend(t, s.kube).register(t, r.cfg)
	eventually(t, time.Minute, "alice's proxied request succeeds", func() (bool, string) {
		user, code, body := proxiedUser(t, s.alice, r.URL)
		return user == "alice", fmt.Sprintf("HTTP %d %s user %q", code, body, user)
	})
	return s
}

func (s *apfServer) tokenClient(t *testing.T, token string) *http.Client {
	cfg := rest.AnonymousClientConfig(s.cfg)
	cfg.BearerToken = token
	return httpClient(t, cfg)
}

// classified answers which FlowSchema and priority level (by UID) the
// server put a GET of path in, from the response headers.
func classified(t *testing.T, client *http.Client, url string) (flowSchemaUID, priorityLevelUID string, code int) {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	resp.Body.Close()
	return resp.Header.Get(flowcontrolv1.ResponseHeaderMatchedFlowSchemaUID), resp.Header.Get(flowcontrolv1.ResponseHeaderMatchedPriorityLevelConfigurationUID), resp.StatusCode
}

func eventually(t *testing.T, timeout time.Duration, what string, check func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, state := check()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v; last: %s", what, timeout, state)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestPriorityAndFairnessBootstrapAndClassification: with priority and
// fairness on (the default) the server stores kube-apiserver's mandatory
// and suggested configuration before it is ready, and classifies built-in
// and proxied requests alike: both answer with the UIDs of the
// FlowSchema and priority level they were put in.
func TestPriorityAndFairnessBootstrapAndClassification(t *testing.T) {
	s := startAPFServer(t, nil)
	ctx := context.Background()
	fc := s.kube.FlowcontrolV1()

	levels, err := fc.PriorityLevelConfigurations().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	schemas, err := fc.FlowSchemas().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	levelUID, schemaUID := map[string]string{}, map[string]string{}
	for _, l := range levels.Items {
		levelUID[l.Name] = string(l.UID)
	}
	for _, f := range schemas.Items {
		schemaUID[f.Name] = string(f.UID)
	}
	for _, want := range append(append([]*flowcontrolv1.PriorityLevelConfiguration{}, fcbootstrap.MandatoryPriorityLevelConfigurations...), fcbootstrap.SuggestedPriorityLevelConfigurations...) {
		if levelUID[want.Name] == "" {
			t.Errorf("bootstrap PriorityLevelConfiguration %s is not stored", want.Name)
		}
	}
	for _, want := range append(append([]*flowcontrolv1.FlowSchema{}, fcbootstrap.MandatoryFlowSchemas...), fcbootstrap.SuggestedFlowSchemas...) {
		if schemaUID[want.Name] == "" {
			t.Errorf("bootstrap FlowSchema %s is not stored", want.Name)
		}
	}
	t.Logf("stored: %d PriorityLevelConfigurations, %d FlowSchemas", len(levels.Items), len(schemas.Items))

	admin := httpClient(t, s.cfg)
	cases := []struct {
		who            string
		client         *http.Client
		path           string
		schema, level  string
		proxiedRequest bool
	}{
		{"alice", s.alice, "/api/v1/namespaces/default", "global-default", "global-default", false},
		{"alice", s.alice, backendPath, "global-default", "global-default", true},
		{"system:masters", admin, "/api/v1/namespaces/default", "exempt", "exempt", false},
		{"system:masters", admin, backendPath, "exempt", "exempt", true},
	}
	for _, c := range cases {
		// The controller may still be digesting the stored objects.
		eventually(t, 30*time.Second, c.who+" GET "+c.path, func() (bool, string) {
			fs, pl, code := classified(t, c.client, s.URL+c.path)
			return code == http.StatusOK && fs == schemaUID[c.schema] && pl == levelUID[c.level],
				fmt.Sprintf("HTTP %d, FlowSchema UID %q (want %s's %q), PriorityLevel UID %q (want %s's %q)", code, fs, c.schema, schemaUID[c.schema], pl, c.level, levelUID[c.level])
		})
	}
}

// TestOperatorFlowSchemaIsHonoured: a FlowSchema an operator creates puts
// bob, for built-in and proxied requests, in the operator's priority
// level, which gets its own share of the concurrency limit
// (--max-requests-inflight plus --max-mutating-requests-inflight), and
// the config controller writes the schema's status.
func TestOperatorFlowSchemaIsHonoured(t *testing.T) {
	const readOnly, mutating = 40, 20
	s := startAPFServer(t, func(o *controlplane.Options) {
		o.MaxRequestsInFlight, o.MaxMutatingRequestsInFlight = readOnly, mutating
	})
	ctx := context.Background()
	fc := s.kube.FlowcontrolV1()
	const shares = 50
	level, err := fc.PriorityLevelConfigurations().Create(ctx, &flowcontrolv1.PriorityLevelConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "tenant-bob"},
		Spec: flowcontrolv1.PriorityLevelConfigurationSpec{Type: flowcontrolv1.PriorityLevelEnablementLimited,
			Limited: &flowcontrolv1.LimitedPriorityLevelConfiguration{NominalConcurrencyShares: ptr(int32(shares)),
				LimitResponse: flowcontrolv1.LimitResponse{Type: flowcontrolv1.LimitResponseTypeReject}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	everything := flowcontrolv1.PolicyRulesWithSubjects{
		Subjects: []flowcontrolv1.Subject{{Kind: flowcontrolv1.SubjectKindUser, User: &flowcontrolv1.UserSubject{Name: "bob"}}},
		ResourceRules: []flowcontrolv1.ResourcePolicyRule{{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"},
			Namespaces: []string{"*"}, ClusterScope: true}},
		NonResourceRules: []flowcontrolv1.NonResourcePolicyRule{{Verbs: []string{"*"}, NonResourceURLs: []string{"*"}}},
	}
	schema, err := fc.FlowSchemas().Create(ctx, &flowcontrolv1.FlowSchema{
		ObjectMeta: metav1.ObjectMeta{Name: "tenant-bob"},
		Spec: flowcontrolv1.FlowSchemaSpec{PriorityLevelConfiguration: flowcontrolv1.PriorityLevelConfigurationReference{Name: "tenant-bob"},
			MatchingPrecedence: 500, Rules: []flowcontrolv1.PolicyRulesWithSubjects{everything}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}

	for _, path := range []string{"/api/v1/namespaces/default", backendPath} {
		eventually(t, 30*time.Second, "bob GET "+path+" in tenant-bob", func() (bool, string) {
			fs, pl, code := classified(t, s.bob, s.URL+path)
			return code == http.StatusOK && fs == string(schema.UID) && pl == string(level.UID),
				fmt.Sprintf("HTTP %d, FlowSchema UID %q, PriorityLevel UID %q; want %q, %q", code, fs, pl, schema.UID, level.UID)
		})
	}
	// alice still lands in global-default.
	if fs, _, _ := classified(t, s.alice, s.URL+"/api/v1/namespaces/default"); fs == string(schema.UID) {
		t.Errorf("alice was put in bob's FlowSchema")
	}

	// The config controller applies the status subresource.
	eventually(t, 30*time.Second, "FlowSchema tenant-bob has Dangling=False", func() (bool, string) {
		got, err := fc.FlowSchemas().Get(ctx, "tenant-bob", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		for _, c := range got.Status.Conditions {
			if c.Type == flowcontrolv1.FlowSchemaConditionDangling {
				return c.Status == flowcontrolv1.ConditionFalse, fmt.Sprintf("%+v", c)
			}
		}
		return false, fmt.Sprintf("conditions %+v", got.Status.Conditions)
	})

	// Its nominal seats are its share of the one budget, as kube-apiserver
	// computes them: ceil(limit * shares / sum of every level's shares).
	levels, err := fc.PriorityLevelConfigurations().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, l := range levels.Items {
		switch {
		case l.Spec.Limited != nil && l.Spec.Limited.NominalConcurrencyShares != nil:
			sum += float64(*l.Spec.Limited.NominalConcurrencyShares)
		case l.Spec.Exempt != nil && l.Spec.Exempt.NominalConcurrencyShares != nil:
			sum += float64(*l.Spec.Exempt.NominalConcurrencyShares)
		}
	}
	want := int(math.Ceil(float64(readOnly+mutating) * shares / sum))
	eventually(t, 30*time.Second, "tenant-bob's nominal seats", func() (bool, string) {
		got, err := metricValue(httpClient(t, s.cfg), s.URL, `apiserver_flowcontrol_nominal_limit_seats{priority_level="tenant-bob"}`)
		return err == nil && got == float64(want), fmt.Sprintf("metric %v (%v), want %d = ceil(%d * %d / %v)", got, err, want, readOnly+mutating, shares, sum)
	})
}

// metricValue reads one sample from the server's /metrics.
func metricValue(client *http.Client, host, series string) (float64, error) {
	resp, err := client.Get(host + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	scanner := bufio.NewScanner(resp.Body)
	scanner.Buffer(nil, 1<<20)
	for scanner.Scan() {
		if rest, ok := strings.CutPrefix(scanner.Text(), series+" "); ok {
			return strconv.ParseFloat(strings.TrimSpace(rest), 64)
		}
	}
	return 0, fmt.Errorf("%s not in /metrics", series)
}

func ptr[T any](v T) *T { return &v }
