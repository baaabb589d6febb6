package localapis

import (
	"context"
	"fmt"
	"maps"
	"slices"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/klog/v2"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	aggregatorclient "k8s.io/kube-aggregator/pkg/client/clientset_generated/clientset"
	apiregistrationclient "k8s.io/kube-aggregator/pkg/client/clientset_generated/clientset/typed/apiregistration/v1"
)

// The label kube-aggregator's autoregistration puts on the APIServices it
// manages, and its values.
const (
	AutoManagedLabel = "kube-aggregator.kubernetes.io/automanaged"
	// AutoManagedOnStart marks APIServices synced once when a server starts:
	// the built-in group/versions. Ensure writes this value.
	AutoManagedOnStart = "onstart"
	// AutoManagedAlways marks APIServices a controller keeps in sync all the
	// time (kube-apiserver's CRD registration). Ensure updates such an
	// APIService if it wants the name, but never deletes one.
	AutoManagedAlways = "true"
)

// attemptsPerAPIService bounds how often one APIService is re-read after a
// conflicting write from another replica before Ensure reports it.
const attemptsPerAPIService = 5

// Ensure makes the local APIServices for gvs exist with the priorities of
// PriorityFor, as kube-apiserver's autoregistration does once at start:
//
//   - missing: created, labelled automanaged=onstart;
//   - present and automanaged (onstart or true) and local: spec set to the
//     wanted one if it differs;
//   - present without the automanaged label: left alone, the user owns it;
//   - present with spec.service set: left alone, it is aggregated, never ours;
//   - automanaged=onstart, local, and not in gvs: deleted, so a group/version
//     this server stopped serving leaves discovery (kube-aggregator's "delete
//     once" case).
//
// Ensure is idempotent: a second call with the same gvs writes nothing. It
// goes on past a failing APIService and returns every error together.
func Ensure(ctx context.Context, client aggregatorclient.Interface, gvs []schema.GroupVersion) error {
	apiServices := client.ApiregistrationV1().APIServices()
	wanted := make(map[string]*apiregistrationv1.APIService, len(gvs))
	for _, gv := range gvs {
		apiService := LocalAPIService(gv)
		wanted[apiService.Name] = apiService
	}

	var errs []error
	for _, name := range slices.Sorted(maps.Keys(wanted)) {
		if err := ensureAPIService(ctx, apiServices, wanted[name]); err != nil {
			errs = append(errs, err)
		}
	}
	if err := removeStale(ctx, apiServices, wanted); err != nil {
		errs = append(errs, err)
	}
	return utilerrors.NewAggregate(errs)
}

// LocalAPIService is the APIService Ensure wants for gv.
func LocalAPIService(gv schema.GroupVersion) *apiregistrationv1.APIService {
	priority := PriorityFor(gv)
	return &apiregistrationv1.APIService{
		ObjectMeta: metav1.ObjectMeta{
			Name:   gv.Version + "." + gv.Group,
			Labels: map[string]string{AutoManagedLabel: AutoManagedOnStart},
		},
		Spec: apiregistrationv1.APIServiceSpec{
			Group:                gv.Group,
			Version:              gv.Version,
			GroupPriorityMinimum: priority.Group,
			VersionPriority:      priority.Version,
		},
	}
}

// ensureAPIService brings one APIService to want, re-reading it when another
// writer (a second replica starting at the same time) got there first.
func ensureAPIService(ctx context.Context, apiServices apiregistrationclient.APIServiceInterface, want *apiregistrationv1.APIService) error {
	var err error
	for range attemptsPerAPIService {
		var again bool
		again, err = syncAPIService(ctx, apiServices, want)
		if !again {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("local APIService %s: %w", want.Name, err)
	}
	return nil
}

// syncAPIService makes one read and at most one write. again reports a lost
// race worth another attempt.
func syncAPIService(ctx context.Context, apiServices apiregistrationclient.APIServiceInterface, want *apiregistrationv1.APIService) (again bool, err error) {
	current, err := apiServices.Get(ctx, want.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		_, err = apiServices.Create(ctx, want, metav1.CreateOptions{})
		if err == nil {
			klog.V(2).InfoS("Registered local APIService", "apiservice", want.Name,
				"groupPriorityMinimum", want.Spec.GroupPriorityMinimum, "versionPriority", want.Spec.VersionPriority)
		}
		return apierrors.IsAlreadyExists(err), err
	case err != nil:
		return false, err
	case current.Spec.Service != nil:
		klog.V(2).InfoS("Not registering a local APIService: an aggregated one holds the name",
			"apiservice", want.Name, "service", current.Spec.Service.Namespace+"/"+current.Spec.Service.Name)
		return false, nil
	case !isAutoManaged(current):
		klog.V(2).InfoS("Not registering a local APIService: one without the automanaged label holds the name", "apiservice", want.Name)
		return false, nil
	case apiequality.Semantic.DeepEqual(current.Spec, want.Spec):
		return false, nil
	}
	updated := current.DeepCopy()
	updated.Spec = want.Spec
	_, err = apiServices.Update(ctx, updated, metav1.UpdateOptions{})
	if err == nil {
		klog.V(2).InfoS("Updated local APIService", "apiservice", want.Name,
			"groupPriorityMinimum", want.Spec.GroupPriorityMinimum, "versionPriority", want.Spec.VersionPriority)
	}
	return apierrors.IsConflict(err) || apierrors.IsNotFound(err), err
}

// removeStale deletes local onstart APIServices that are not wanted any more.
// The UID precondition keeps it from deleting an APIService someone
// re-created in the meantime.
func removeStale(ctx context.Context, apiServices apiregistrationclient.APIServiceInterface, wanted map[string]*apiregistrationv1.APIService) error {
	list, err := apiServices.List(ctx, metav1.ListOptions{LabelSelector: AutoManagedLabel + "=" + AutoManagedOnStart})
	if err != nil {
		return fmt.Errorf("list automanaged APIServices: %w", err)
	}
	var errs []error
	for i := range list.Items {
		stale := &list.Items[i]
		if _, ok := wanted[stale.Name]; ok || stale.Spec.Service != nil {
			continue
		}
		err := apiServices.Delete(ctx, stale.Name, metav1.DeleteOptions{Preconditions: metav1.NewUIDPreconditions(string(stale.UID))})
		switch {
		case err == nil:
			klog.V(2).InfoS("Removed local APIService no longer served", "apiservice", stale.Name)
		case apierrors.IsNotFound(err) || apierrors.IsConflict(err):
			// Gone or replaced in the meantime: not ours to delete any more.
		default:
			errs = append(errs, fmt.Errorf("delete stale local APIService %s: %w", stale.Name, err))
		}
	}
	return utilerrors.NewAggregate(errs)
}

func isAutoManaged(apiService *apiregistrationv1.APIService) bool {
	switch apiService.Labels[AutoManagedLabel] {
	case AutoManagedOnStart, AutoManagedAlways:
		return true
	}
	return false
}
