package resolve

import (
	"testing"

	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	"k8s.io/utils/ptr"
)

// TestAPIServicePortFollowsUpstreamDefaulting pins DefaultServicePort to
// the port kube-aggregator's v1 defaulting writes into spec.service.port.
func TestAPIServicePortFollowsUpstreamDefaulting(t *testing.T) {
	defaulted := apiregistrationv1.ServiceReference{}
	apiregistrationv1.SetDefaults_ServiceReference(&defaulted)
	if got := APIServicePort(&apiregistrationv1.ServiceReference{}); got != *defaulted.Port {
		t.Errorf("APIServicePort of an unset port = %d, upstream defaults it to %d", got, *defaulted.Port)
	}
	if got := APIServicePort(&apiregistrationv1.ServiceReference{Port: ptr.To[int32](8443)}); got != 8443 {
		t.Errorf("APIServicePort of port 8443 = %d", got)
	}
}
