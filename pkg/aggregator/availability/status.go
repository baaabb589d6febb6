package availability

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	apiregistrationv1helper "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1/helper"
)

// updateStatus writes cond only when it differs from the stored condition
// and this replica is the writer. lastTransitionTime moves only when the
// status flips, as SetAPIServiceCondition does upstream.
func (c *Controller) updateStatus(ctx context.Context, apiService *apiregistrationv1.APIService, cond apiregistrationv1.APIServiceCondition) error {
	stored := apiregistrationv1helper.GetAPIServiceConditionByType(apiService, apiregistrationv1.Available)
	wasAvailable := stored != nil && stored.Status == apiregistrationv1.ConditionTrue
	if stored != nil && stored.Status == cond.Status && stored.Reason == cond.Reason && stored.Message == cond.Message {
		c.metrics.observe(apiService.Name, wasAvailable, cond)
		return nil
	}
	if !c.isWriter() {
		// The gauge is this replica's view; the counter counts writes.
		c.metrics.observe(apiService.Name, false, cond)
		return nil
	}

	updated := apiService.DeepCopy()
	cond.LastTransitionTime = metav1.Now()
	apiregistrationv1helper.SetAPIServiceCondition(updated, cond)
	if _, err := c.client.APIServices().UpdateStatus(ctx, updated, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("update status of APIService %s: %w", apiService.Name, err)
	}
	if stored == nil || stored.Status != cond.Status {
		klog.FromContext(ctx).V(2).Info("APIService availability changed", "apiservice", apiService.Name,
			"status", cond.Status, "reason", cond.Reason, "message", cond.Message)
	}
	c.metrics.observe(apiService.Name, wasAvailable, cond)
	return nil
}
