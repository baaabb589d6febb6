package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// discoveryTimeout matches the aggregator's own cap on proxied discovery.
const discoveryTimeout = 10 * time.Second

// checkDiscovery is link 6: the group/version's discovery document answers
// through the aggregator, with the caller's credentials, as kubectl asks
// for it.
func (d *doctor) checkDiscovery(ctx context.Context, t *target) Check {
	spec := t.apiService.Spec
	path := "/apis/" + spec.Group + "/" + spec.Version
	if spec.Group == "" {
		path = "/api/" + spec.Version
	}
	ctx, cancel := context.WithTimeout(ctx, discoveryTimeout)
	defer cancel()
	var code int
	result := d.core.Discovery().RESTClient().Get().AbsPath(path).SetHeader("Accept", "application/json").Do(ctx)
	result.StatusCode(&code)
	body, err := result.Raw()
	if err == nil {
		var list metav1.APIResourceList
		if err := json.Unmarshal(body, &list); err != nil {
			return fail(fmt.Sprintf("GET %s through the aggregator answered %d with a body that is not an APIResourceList: %v", path, code, err),
				"the backend must serve the discovery document of "+spec.Group+"/"+spec.Version+" at "+path)
		}
		var names []string
		for _, r := range list.APIResources {
			if !strings.Contains(r.Name, "/") { // subresources are listed as name/sub
				names = append(names, r.Name)
			}
		}
		if len(names) == 0 {
			return ok("GET %s through the aggregator answers, but lists no resources", path)
		}
		return ok("GET %s through the aggregator lists %s", path, strings.Join(names, ", "))
	}

	message := statusMessage(body, err)
	switch code {
	case http.StatusUnauthorized, http.StatusForbidden:
		return skip("GET %s through the aggregator: your credentials may not (%d: %s)", path, code, message)
	case http.StatusServiceUnavailable:
		return fail(fmt.Sprintf("GET %s through the aggregator answered 503: %s", path, message), discoveryFix(t))
	case 0:
		return fail(fmt.Sprintf("GET %s through the aggregator failed: %v", path, err),
			"the control plane did not answer; check that it is up and that the backend answers within 5s")
	case http.StatusNotFound:
		return fail(fmt.Sprintf("GET %s through the aggregator answered 404: %s", path, message),
			fmt.Sprintf("the backend does not serve %s/%s: make spec.group and spec.version of %s what the server serves "+
				"(the server's /apis lists them)", spec.Group, spec.Version, t.apiService.Name))
	default:
		return fail(fmt.Sprintf("GET %s through the aggregator answered %d: %s", path, code, message), discoveryFix(t))
	}
}

// statusMessage is the message of the Status the aggregator answered
// with. client-go replaces some (a 503's) with a generic text, so the body
// is read first.
func statusMessage(body []byte, err error) string {
	var status metav1.Status
	if json.Unmarshal(body, &status) == nil && status.Kind == "Status" && status.Message != "" {
		return status.Message
	}
	if apiStatus, isStatus := err.(apierrors.APIStatus); isStatus && apiStatus.Status().Message != "" {
		return apiStatus.Status().Message
	}
	if len(body) > 0 {
		return strings.TrimSpace(string(body))
	}
	return err.Error()
}

// discoveryFix explains a failed discovery from the Available condition,
// which holds the aggregator's own probe result.
func discoveryFix(t *target) string {
	cond := t.available
	if cond == nil {
		return "the aggregator has not checked the APIService yet; run doctor again in a few seconds"
	}
	msg := cond.Message
	switch {
	case strings.Contains(msg, ": 404"):
		return fmt.Sprintf("the backend answers 404 for its discovery path: make spec.group %q and spec.version %q of %s "+
			"what the server serves (the server's /apis lists them)", t.apiService.Spec.Group, t.apiService.Spec.Version, t.apiService.Name)
	case strings.Contains(msg, "timed out") || strings.Contains(msg, "deadline"):
		return "the backend does not answer in time: check that it is running, not overloaded, and reachable from the control plane " +
			"(network policies, the node's firewall)"
	case strings.Contains(msg, "connection refused"):
		return "nothing listens where the aggregator dials: start the server and make its --secure-port the endpoint port"
	}
	return fmt.Sprintf("the aggregator marks it %s (%s): fix what that message says; it probes again within seconds", cond.Status, cond.Reason)
}
