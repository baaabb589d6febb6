package controlplane

import (
	"context"
	"fmt"
	"strconv"

	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/sets"
	fcbootstrap "k8s.io/apiserver/pkg/apis/flowcontrol/bootstrap"
	flowcontrolclient "k8s.io/client-go/kubernetes/typed/flowcontrol/v1"
	"k8s.io/klog/v2"

	"github.com/aggkit/aggkit/pkg/controlplane/defaults"
)

// The bootstrap FlowSchemas and PriorityLevelConfigurations are kept as
// kube-apiserver keeps them:
//   - a missing one is created;
//   - a mandatory one (exempt, catch-all) always gets its spec back, except
//     the exempt level's nominalConcurrencyShares and lendablePercent,
//     which operators may change;
//   - a suggested one gets the current spec only while its
//     apf.kubernetes.io/autoupdate-spec annotation is "true" (or, without a
//     readable annotation, while nobody changed it: generation 1), and the
//     annotation is set to say which;
//   - an object with that annotation "true" that is no longer in the
//     bootstrap set is deleted.

// flowControlObject is a FlowSchema or a PriorityLevelConfiguration.
type flowControlObject interface {
	*flowcontrolv1.FlowSchema | *flowcontrolv1.PriorityLevelConfiguration
	metav1.Object
	runtime.Object
}

// flowControlClient is the part of a typed client the ensurer uses.
type flowControlClient[T flowControlObject] interface {
	Create(ctx context.Context, obj T, opts metav1.CreateOptions) (T, error)
	Update(ctx context.Context, obj T, opts metav1.UpdateOptions) (T, error)
	Delete(ctx context.Context, name string, opts metav1.DeleteOptions) error
}

// bootstrapSet is the bootstrap configuration of one kind, and how to
// reach and compare objects of that kind.
type bootstrapSet[T flowControlObject] struct {
	client    flowControlClient[T]
	list      func(ctx context.Context) ([]T, error)
	mandatory []T
	suggested []T
	// specEqual tells whether have already carries want's spec (want
	// defaulted as the server would).
	specEqual func(want, have T) bool
	// withSpec returns a copy of have carrying want's spec.
	withSpec func(have, want T) T
}

// ensureFlowControlBootstrap does one round over both kinds.
func ensureFlowControlBootstrap(ctx context.Context, fc flowcontrolclient.FlowcontrolV1Interface) error {
	plcs := bootstrapSet[*flowcontrolv1.PriorityLevelConfiguration]{
		client: fc.PriorityLevelConfigurations(),
		list: func(ctx context.Context) ([]*flowcontrolv1.PriorityLevelConfiguration, error) {
			l, err := fc.PriorityLevelConfigurations().List(ctx, metav1.ListOptions{})
			if err != nil {
				return nil, err
			}
			return pointers(l.Items), nil
		},
		mandatory: fcbootstrap.MandatoryPriorityLevelConfigurations,
		suggested: fcbootstrap.SuggestedPriorityLevelConfigurations,
		specEqual: plcSpecEqual,
		withSpec:  plcWithSpec,
	}
	fss := bootstrapSet[*flowcontrolv1.FlowSchema]{
		client: fc.FlowSchemas(),
		list: func(ctx context.Context) ([]*flowcontrolv1.FlowSchema, error) {
			l, err := fc.FlowSchemas().List(ctx, metav1.ListOptions{})
			if err != nil {
				return nil, err
			}
			return pointers(l.Items), nil
		},
		mandatory: fcbootstrap.MandatoryFlowSchemas,
		suggested: fcbootstrap.SuggestedFlowSchemas,
		specEqual: func(want, have *flowcontrolv1.FlowSchema) bool {
			want = want.DeepCopy()
			defaults.SetDefaultsFlowSchema(want)
			return equality.Semantic.DeepEqual(want.Spec, have.Spec)
		},
		withSpec: func(have, want *flowcontrolv1.FlowSchema) *flowcontrolv1.FlowSchema {
			out := have.DeepCopy()
			out.Spec = *want.Spec.DeepCopy()
			return out
		},
	}
	// Levels first, so that new schemas do not point at missing levels.
	if err := plcs.ensure(ctx); err != nil {
		return fmt.Errorf("PriorityLevelConfigurations: %w", err)
	}
	if err := fss.ensure(ctx); err != nil {
		return fmt.Errorf("FlowSchemas: %w", err)
	}
	return nil
}

func (b bootstrapSet[T]) ensure(ctx context.Context) error {
	stored, err := b.list(ctx)
	if err != nil {
		return err
	}
	byName := map[string]T{}
	for _, obj := range stored {
		byName[obj.GetName()] = obj
	}
	wanted := sets.New[string]()
	for _, set := range []struct {
		objects   []T
		mandatory bool
	}{{b.suggested, false}, {b.mandatory, true}} {
		for _, want := range set.objects {
			wanted.Insert(want.GetName())
			if err := b.ensureOne(ctx, want, byName[want.GetName()], set.mandatory); err != nil {
				return err
			}
		}
	}
	for _, have := range stored {
		if wanted.Has(have.GetName()) {
			continue
		}
		if auto, err := strconv.ParseBool(have.GetAnnotations()[flowcontrolv1.AutoUpdateAnnotationKey]); err != nil || !auto {
			continue
		}
		// The precondition keeps an object that an operator changed
		// meanwhile.
		uid, rv := have.GetUID(), have.GetResourceVersion()
		err := b.client.Delete(ctx, have.GetName(), metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid, ResourceVersion: &rv}})
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			return fmt.Errorf("delete %s: %w", have.GetName(), err)
		}
		klog.V(2).InfoS("Deleted a flow-control object no longer in the bootstrap configuration", "kind", fmt.Sprintf("%T", have), "name", have.GetName())
	}
	return nil
}

func (b bootstrapSet[T]) ensureOne(ctx context.Context, want, have T, mandatory bool) error {
	if have == nil {
		created := want.DeepCopyObject().(T)
		if _, err := b.client.Create(ctx, created, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create %s: %w", want.GetName(), err)
		}
		return nil
	}
	autoUpdate := mandatory || autoUpdateSpec(have)
	annotationOK := false
	if v, err := strconv.ParseBool(have.GetAnnotations()[flowcontrolv1.AutoUpdateAnnotationKey]); err == nil && v == autoUpdate {
		annotationOK = true
	}
	specOK := !autoUpdate || b.specEqual(want, have)
	if annotationOK && specOK {
		return nil
	}
	updated := have.DeepCopyObject().(T)
	if !specOK {
		updated = b.withSpec(have, want)
	}
	annotations := updated.GetAnnotations()
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[flowcontrolv1.AutoUpdateAnnotationKey] = strconv.FormatBool(autoUpdate)
	updated.SetAnnotations(annotations)
	if _, err := b.client.Update(ctx, updated, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("update %s: %w", want.GetName(), err)
	}
	klog.V(2).InfoS("Updated a bootstrap flow-control object", "kind", fmt.Sprintf("%T", have), "name", have.GetName(), "spec", !specOK)
	return nil
}

// autoUpdateSpec reads a suggested object's annotation; without a
// readable one, an object nobody has changed since its creation may be
// updated.
func autoUpdateSpec(obj metav1.Object) bool {
	if v, err := strconv.ParseBool(obj.GetAnnotations()[flowcontrolv1.AutoUpdateAnnotationKey]); err == nil {
		return v
	}
	return obj.GetGeneration() == 1
}

// plcSpecEqual ignores the two fields of the exempt level that operators
// may set.
func plcSpecEqual(want, have *flowcontrolv1.PriorityLevelConfiguration) bool {
	want = want.DeepCopy()
	defaults.SetDefaultsPriorityLevelConfiguration(want)
	if want.Spec.Exempt != nil {
		if have.Spec.Exempt == nil {
			return false
		}
		want.Spec.Exempt.NominalConcurrencyShares = have.Spec.Exempt.NominalConcurrencyShares
		want.Spec.Exempt.LendablePercent = have.Spec.Exempt.LendablePercent
	}
	return equality.Semantic.DeepEqual(want.Spec, have.Spec)
}

// plcWithSpec keeps what an operator set on the exempt level.
func plcWithSpec(have, want *flowcontrolv1.PriorityLevelConfiguration) *flowcontrolv1.PriorityLevelConfiguration {
	out := have.DeepCopy()
	out.Spec = *want.Spec.DeepCopy()
	if out.Spec.Exempt != nil && have.Spec.Exempt != nil {
		out.Spec.Exempt.NominalConcurrencyShares = have.Spec.Exempt.NominalConcurrencyShares
		out.Spec.Exempt.LendablePercent = have.Spec.Exempt.LendablePercent
	}
	return out
}

func pointers[E any](items []E) []*E {
	out := make([]*E, len(items))
	for i := range items {
		out[i] = &items[i]
	}
	return out
}
