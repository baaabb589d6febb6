package reviews

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
)

// policy is a tiny RBAC-like policy used as the real authorizer and rule
// resolver in these tests: subjects get rules, some users are blocked.
type policy struct {
	rules   []policyRule
	blocked map[string]string // user -> deny reason
	// failing users make the policy report an evaluation error.
	failing map[string]bool
	mu      sync.Mutex
	// seen records the last attributes authorized, to check what reviews
	// hand to the authorizer.
	seen authorizer.Attributes
}

var (
	_ authorizer.Authorizer   = &policy{}
	_ authorizer.RuleResolver = &policy{}
)

// ConditionsAwareAuthorize is the unconditional answer, as the Authorizer
// contract asks of authorizers without conditions.
func (p *policy) ConditionsAwareAuthorize(ctx context.Context, a authorizer.Attributes) authorizer.ConditionsAwareDecision {
	return authorizer.ConditionsAwareDecisionFromParts(p.Authorize(ctx, a))
}

// EvaluateConditions fails closed: this policy has no conditions.
func (p *policy) EvaluateConditions(context.Context, authorizer.ConditionsAwareDecision, authorizer.ConditionsData) (authorizer.Decision, string, error) {
	return authorizer.DecisionDeny, "", authorizer.ErrorConditionEvaluationNotSupported
}

func (p *policy) lastSeen() authorizer.Attributes {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seen
}

type policyRule struct {
	user, group   string
	namespace     string // "" is cluster-wide
	verbs         []string
	apiGroups     []string
	resources     []string
	resourceNames []string
	urls          []string
}

func matches(list []string, v string) bool {
	return slices.Contains(list, "*") || slices.Contains(list, v)
}

func (r policyRule) appliesTo(u user.Info) bool {
	return (r.user != "" && r.user == u.GetName()) || (r.group != "" && slices.Contains(u.GetGroups(), r.group))
}

func (p *policy) Authorize(_ context.Context, a authorizer.Attributes) (authorizer.Decision, string, error) {
	p.mu.Lock()
	p.seen = a
	p.mu.Unlock()
	u := a.GetUser()
	if reason, ok := p.blocked[u.GetName()]; ok {
		return authorizer.DecisionDeny, reason, nil
	}
	if p.failing[u.GetName()] {
		return authorizer.DecisionNoOpinion, "", errors.New("policy store unavailable")
	}
	for i, r := range p.rules {
		if !r.appliesTo(u) || !matches(r.verbs, a.GetVerb()) {
			continue
		}
		if !a.IsResourceRequest() {
			if matches(r.urls, a.GetPath()) {
				return authorizer.DecisionAllow, fmt.Sprintf("allowed by rule %d", i), nil
			}
			continue
		}
		if (r.namespace == "" || r.namespace == a.GetNamespace()) &&
			matches(r.apiGroups, a.GetAPIGroup()) && matches(r.resources, a.GetResource()) &&
			(len(r.resourceNames) == 0 || slices.Contains(r.resourceNames, a.GetName())) {
			return authorizer.DecisionAllow, fmt.Sprintf("allowed by rule %d", i), nil
		}
	}
	return authorizer.DecisionNoOpinion, "", nil
}

func (p *policy) RulesFor(_ context.Context, u user.Info, namespace string) ([]authorizer.ResourceRuleInfo, []authorizer.NonResourceRuleInfo, bool, error) {
	if p.failing[u.GetName()] {
		// Like RBAC: return what could be read, flag the rest.
		return nil, nil, true, errors.New("policy store unavailable")
	}
	var resources []authorizer.ResourceRuleInfo
	var nonResources []authorizer.NonResourceRuleInfo
	for _, r := range p.rules {
		if !r.appliesTo(u) {
			continue
		}
		if len(r.urls) > 0 {
			nonResources = append(nonResources, &authorizer.DefaultNonResourceRuleInfo{Verbs: r.verbs, NonResourceURLs: r.urls})
			continue
		}
		if r.namespace == "" || r.namespace == namespace {
			resources = append(resources, &authorizer.DefaultResourceRuleInfo{Verbs: r.verbs, APIGroups: r.apiGroups, Resources: r.resources, ResourceNames: r.resourceNames})
		}
	}
	return resources, nonResources, false, nil
}

func testPolicy() *policy {
	return &policy{
		rules: []policyRule{
			{user: "alice", namespace: "team", verbs: []string{"get", "list"}, apiGroups: []string{""}, resources: []string{"pods"}},
			{user: "alice", verbs: []string{"get"}, apiGroups: []string{"apps"}, resources: []string{"deployments"}, resourceNames: []string{"web"}},
			{group: "admins", verbs: []string{"*"}, apiGroups: []string{"*"}, resources: []string{"*"}},
			{group: "system:authenticated", verbs: []string{"get"}, urls: []string{"/healthz", "/version"}},
		},
		blocked: map[string]string{"mallory": "mallory is blocked"},
		failing: map[string]bool{"broken": true},
	}
}
