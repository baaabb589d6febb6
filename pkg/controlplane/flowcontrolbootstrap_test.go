package controlplane

import (
	"context"
	"testing"

	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestFlowControlBootstrapRules: one round of the ensurer, against a real
// server, after an operator changed things: mandatory objects get their
// spec back (but the exempt level keeps its operator-settable fields), a
// suggested one is overwritten only while its autoupdate annotation says
// so, and a retired object is deleted only if it carries the annotation.
func TestFlowControlBootstrapRules(t *testing.T) {
	ts := startServer(t, nil)
	ctx := context.Background()
	fc := ts.client.FlowcontrolV1()
	plcs, fss := fc.PriorityLevelConfigurations(), fc.FlowSchemas()

	edit := func(name string, change func(*flowcontrolv1.PriorityLevelConfiguration)) {
		t.Helper()
		plc, err := plcs.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		change(plc)
		if _, err := plcs.Update(ctx, plc, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// Mandatory: catch-all's shares are not the operator's to change; the
	// exempt level's are.
	edit("catch-all", func(p *flowcontrolv1.PriorityLevelConfiguration) {
		p.Spec.Limited.NominalConcurrencyShares = ptrTo(int32(77))
	})
	edit("exempt", func(p *flowcontrolv1.PriorityLevelConfiguration) {
		p.Spec.Exempt.NominalConcurrencyShares = ptrTo(int32(7))
	})
	// Suggested: workload-low still says autoupdate "true"; global-default
	// is the operator's now.
	edit("workload-low", func(p *flowcontrolv1.PriorityLevelConfiguration) {
		p.Spec.Limited.NominalConcurrencyShares = ptrTo(int32(88))
	})
	edit("global-default", func(p *flowcontrolv1.PriorityLevelConfiguration) {
		p.Spec.Limited.NominalConcurrencyShares = ptrTo(int32(99))
		p.Annotations[flowcontrolv1.AutoUpdateAnnotationKey] = "false"
	})
	// Retired: one a former bootstrap created, one an operator made.
	retired := func(name string, annotations map[string]string) {
		t.Helper()
		fs := &flowcontrolv1.FlowSchema{ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: annotations},
			Spec: flowcontrolv1.FlowSchemaSpec{PriorityLevelConfiguration: flowcontrolv1.PriorityLevelConfigurationReference{Name: "global-default"}, MatchingPrecedence: 9000}}
		if _, err := fss.Create(ctx, fs, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	retired("retired-bootstrap", map[string]string{flowcontrolv1.AutoUpdateAnnotationKey: "true"})
	retired("operators-own", nil)

	if err := ensureFlowControlBootstrap(ctx, fc); err != nil {
		t.Fatal(err)
	}

	shares := func(name string) int32 {
		t.Helper()
		plc, err := plcs.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if plc.Spec.Exempt != nil {
			return *plc.Spec.Exempt.NominalConcurrencyShares
		}
		return *plc.Spec.Limited.NominalConcurrencyShares
	}
	for _, c := range []struct {
		name string
		want int32
		why  string
	}{
		{"catch-all", 5, "mandatory: spec restored"},
		{"exempt", 7, "mandatory exempt: the operator's shares kept"},
		{"workload-low", 100, "suggested, autoupdate true: spec restored"},
		{"global-default", 99, "suggested, autoupdate false: the operator's spec kept"},
	} {
		if got := shares(c.name); got != c.want {
			t.Errorf("%s: nominalConcurrencyShares %d, want %d (%s)", c.name, got, c.want, c.why)
		}
	}
	if _, err := fss.Get(ctx, "retired-bootstrap", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("a retired FlowSchema with autoupdate-spec true is still there (err %v)", err)
	}
	if _, err := fss.Get(ctx, "operators-own", metav1.GetOptions{}); err != nil {
		t.Errorf("an operator's FlowSchema without the annotation was removed: %v", err)
	}
}
