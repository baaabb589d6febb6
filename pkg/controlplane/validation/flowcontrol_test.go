package validation

import (
	"testing"

	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func validFlowSchema() *flowcontrolv1.FlowSchema {
	return &flowcontrolv1.FlowSchema{
		ObjectMeta: metav1.ObjectMeta{Name: "workloads"},
		Spec: flowcontrolv1.FlowSchemaSpec{
			PriorityLevelConfiguration: flowcontrolv1.PriorityLevelConfigurationReference{Name: "workload-low"},
			MatchingPrecedence:         1000,
			DistinguisherMethod:        &flowcontrolv1.FlowDistinguisherMethod{Type: flowcontrolv1.FlowDistinguisherMethodByUserType},
			Rules: []flowcontrolv1.PolicyRulesWithSubjects{{
				Subjects: []flowcontrolv1.Subject{
					{Kind: flowcontrolv1.SubjectKindServiceAccount, ServiceAccount: &flowcontrolv1.ServiceAccountSubject{Namespace: "ci", Name: "*"}},
					{Kind: flowcontrolv1.SubjectKindUser, User: &flowcontrolv1.UserSubject{Name: "alice"}},
					{Kind: flowcontrolv1.SubjectKindGroup, Group: &flowcontrolv1.GroupSubject{Name: "system:authenticated"}},
				},
				ResourceRules: []flowcontrolv1.ResourcePolicyRule{
					{Verbs: []string{"get", "list"}, APIGroups: []string{""}, Resources: []string{"pods"}, Namespaces: []string{"default"}},
					{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}, ClusterScope: true},
				},
				NonResourceRules: []flowcontrolv1.NonResourcePolicyRule{{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz", "/metrics/*"}}},
			}},
		},
	}
}

func TestValidateFlowSchema(t *testing.T) {
	type fs = flowcontrolv1.FlowSchema
	rule := func(f *fs) *flowcontrolv1.PolicyRulesWithSubjects { return &f.Spec.Rules[0] }
	runCases(t, validFlowSchema, ValidateFlowSchema, []caseOf[*fs]{
		{name: "valid"},
		{name: "exempt may use precedence 1", mutate: func(f *fs) { f.Name, f.Spec.MatchingPrecedence = "exempt", 1 }},
		{name: "precedence 1 reserved", mutate: func(f *fs) { f.Spec.MatchingPrecedence = 1 }, want: []wantErr{inv("spec.matchingPrecedence")}},
		{name: "precedence zero", mutate: func(f *fs) { f.Spec.MatchingPrecedence = 0 }, want: []wantErr{inv("spec.matchingPrecedence")}},
		{name: "precedence too high", mutate: func(f *fs) { f.Spec.MatchingPrecedence = 10001 }, want: []wantErr{inv("spec.matchingPrecedence")}},
		{name: "unknown distinguisher", mutate: func(f *fs) { f.Spec.DistinguisherMethod.Type = "ByIP" },
			want: []wantErr{unsupported("spec.distinguisherMethod.type")}},
		{name: "priority level required", mutate: func(f *fs) { f.Spec.PriorityLevelConfiguration.Name = "" },
			want: []wantErr{req("spec.priorityLevelConfiguration.name")}},
		{name: "subjects required", mutate: func(f *fs) { rule(f).Subjects = nil }, want: []wantErr{req("spec.rules[0].subjects")}},
		{name: "some rule required", mutate: func(f *fs) { rule(f).ResourceRules, rule(f).NonResourceRules = nil, nil },
			want: []wantErr{req("spec.rules[0]")}},
		{name: "subject member mismatch", mutate: func(f *fs) {
			rule(f).Subjects[1].Group = &flowcontrolv1.GroupSubject{Name: "g"}
			rule(f).Subjects[2] = flowcontrolv1.Subject{Kind: flowcontrolv1.SubjectKindGroup}
		}, want: []wantErr{forbidden("spec.rules[0].subjects[1].group"), req("spec.rules[0].subjects[2].group")}},
		{name: "service account needs namespace", mutate: func(f *fs) { rule(f).Subjects[0].ServiceAccount.Namespace = "" },
			want: []wantErr{req("spec.rules[0].subjects[0].serviceAccount.namespace")}},
		{name: "unknown subject kind", mutate: func(f *fs) { rule(f).Subjects[1].Kind = "Robot" },
			want: []wantErr{unsupported("spec.rules[0].subjects[1].kind")}},
		{name: "resource rule problems", mutate: func(f *fs) {
			rule(f).ResourceRules[0] = flowcontrolv1.ResourcePolicyRule{Verbs: []string{"fly"}, APIGroups: []string{"*", "apps"}}
		}, want: []wantErr{
			unsupported("spec.rules[0].resourceRules[0].verbs"), inv("spec.rules[0].resourceRules[0].apiGroups"),
			req("spec.rules[0].resourceRules[0].resources"), req("spec.rules[0].resourceRules[0].namespaces"),
		}},
		{name: "bad namespace", mutate: func(f *fs) { rule(f).ResourceRules[0].Namespaces = []string{"Bad_NS"} },
			want: []wantErr{inv("spec.rules[0].resourceRules[0].namespaces[0]")}},
		{name: "non-resource URL problems", mutate: func(f *fs) {
			rule(f).NonResourceRules[0].NonResourceURLs = []string{"healthz", "/a*b", "/x//y"}
		}, want: []wantErr{
			inv("spec.rules[0].nonResourceRules[0].nonResourceURLs[0]"), inv("spec.rules[0].nonResourceRules[0].nonResourceURLs[1]"),
			inv("spec.rules[0].nonResourceRules[0].nonResourceURLs[2]"),
		}},
		{name: "wildcard verb with others", mutate: func(f *fs) { rule(f).NonResourceRules[0].Verbs = []string{"*", "get"} },
			want: []wantErr{inv("spec.rules[0].nonResourceRules[0].verbs")}},
	})
	runUpdateCases(t, validFlowSchema, ValidateFlowSchemaUpdate, []caseOf[*fs]{
		{name: "precedence may change", mutate: func(f *fs) { f.Spec.MatchingPrecedence = 500 }},
		{name: "new spec is checked", mutate: func(f *fs) { f.Spec.MatchingPrecedence = -1 }, want: []wantErr{inv("spec.matchingPrecedence")}},
	})
}

func validPriorityLevel() *flowcontrolv1.PriorityLevelConfiguration {
	return &flowcontrolv1.PriorityLevelConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "workload-low"},
		Spec: flowcontrolv1.PriorityLevelConfigurationSpec{
			Type: flowcontrolv1.PriorityLevelEnablementLimited,
			Limited: &flowcontrolv1.LimitedPriorityLevelConfiguration{
				NominalConcurrencyShares: ptr(int32(0)), // zero is allowed in v1
				LendablePercent:          ptr(int32(50)),
				LimitResponse: flowcontrolv1.LimitResponse{
					Type:    flowcontrolv1.LimitResponseTypeQueue,
					Queuing: &flowcontrolv1.QueuingConfiguration{Queues: 64, HandSize: 8, QueueLengthLimit: 50},
				},
			},
		},
	}
}

func TestValidatePriorityLevelConfiguration(t *testing.T) {
	type pl = flowcontrolv1.PriorityLevelConfiguration
	runCases(t, validPriorityLevel, ValidatePriorityLevelConfiguration, []caseOf[*pl]{
		{name: "valid"},
		{name: "exempt", mutate: func(p *pl) {
			p.Name = "exempt"
			p.Spec = flowcontrolv1.PriorityLevelConfigurationSpec{Type: flowcontrolv1.PriorityLevelEnablementExempt,
				Exempt: &flowcontrolv1.ExemptPriorityLevelConfiguration{NominalConcurrencyShares: ptr(int32(0))}}
		}},
		{name: "Exempt only for exempt", mutate: func(p *pl) {
			p.Spec = flowcontrolv1.PriorityLevelConfigurationSpec{Type: flowcontrolv1.PriorityLevelEnablementExempt}
		}, want: []wantErr{inv("spec.type")}},
		{name: "exempt with limited", mutate: func(p *pl) {
			p.Name = "exempt"
			p.Spec.Type = flowcontrolv1.PriorityLevelEnablementExempt
			p.Spec.Exempt = &flowcontrolv1.ExemptPriorityLevelConfiguration{LendablePercent: ptr(int32(101))}
		}, want: []wantErr{forbidden("spec.limited"), inv("spec.exempt.lendablePercent")}},
		{name: "unknown type", mutate: func(p *pl) { p.Spec.Type = "Unlimited" }, want: []wantErr{unsupported("spec.type")}},
		{name: "limited required", mutate: func(p *pl) { p.Spec.Limited = nil }, want: []wantErr{req("spec.limited")}},
		{name: "limited numbers", mutate: func(p *pl) {
			p.Spec.Limited.NominalConcurrencyShares = ptr(int32(-1))
			p.Spec.Limited.LendablePercent = ptr(int32(101))
			p.Spec.Limited.BorrowingLimitPercent = ptr(int32(-1))
		}, want: []wantErr{inv("spec.limited.nominalConcurrencyShares"), inv("spec.limited.lendablePercent"), inv("spec.limited.borrowingLimitPercent")}},
		{name: "limitResponse type required", mutate: func(p *pl) { p.Spec.Limited.LimitResponse = flowcontrolv1.LimitResponse{} },
			want: []wantErr{req("spec.limited.limitResponse.type")}},
		{name: "Reject with queuing", mutate: func(p *pl) { p.Spec.Limited.LimitResponse.Type = flowcontrolv1.LimitResponseTypeReject },
			want: []wantErr{forbidden("spec.limited.limitResponse.queuing")}},
		{name: "Queue without queuing", mutate: func(p *pl) { p.Spec.Limited.LimitResponse.Queuing = nil },
			want: []wantErr{req("spec.limited.limitResponse.queuing")}},
		{name: "queuing numbers", mutate: func(p *pl) {
			p.Spec.Limited.LimitResponse.Queuing = &flowcontrolv1.QueuingConfiguration{Queues: 4, HandSize: 5}
		}, want: []wantErr{inv("spec.limited.limitResponse.queuing.queueLengthLimit"), inv("spec.limited.limitResponse.queuing.handSize")}},
		{name: "too much entropy", mutate: func(p *pl) {
			p.Spec.Limited.LimitResponse.Queuing = &flowcontrolv1.QueuingConfiguration{Queues: 10000000, HandSize: 10000, QueueLengthLimit: 1}
		}, want: []wantErr{inv("spec.limited.limitResponse.queuing.handSize")}},
	})
	runUpdateCases(t, validPriorityLevel, ValidatePriorityLevelConfigurationUpdate, []caseOf[*pl]{
		{name: "shares may change", mutate: func(p *pl) { p.Spec.Limited.NominalConcurrencyShares = ptr(int32(5)) }},
		{name: "new spec is checked", mutate: func(p *pl) { p.Spec.Limited = nil }, want: []wantErr{req("spec.limited")}},
	})
}
