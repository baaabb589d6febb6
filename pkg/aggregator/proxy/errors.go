package proxy

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/endpoints/handlers/responsewriters"
	"k8s.io/klog/v2"
)

// errRedirect is returned for a backend redirect when redirects are rejected.
var errRedirect = errors.New("the backend attempted to redirect this request, which is not permitted")

// errInvalidUpgrade is a backend answering an upgrade request with a
// non-error status other than 101 Switching Protocols.
var errInvalidUpgrade = errors.New("the backend did not switch protocols for an upgrade request")

// statusClientClosedRequest is nginx's 499, for a client that left before
// its answer was ready.
const statusClientClosedRequest = 499

// noBackendError is every attempt to reach a backend failing.
type noBackendError struct {
	attempts int
	last     error
}

func (e *noBackendError) Error() string {
	return fmt.Sprintf("no backend could be reached after %d attempt(s), last error: %v", e.attempts, e.last)
}

func (e *noBackendError) Unwrap() error { return e.last }

// writeStatus answers with err as a metav1.Status in the negotiated format.
func (h *Handler) writeStatus(w http.ResponseWriter, r *http.Request, err error) {
	responsewriters.ErrorNegotiated(err, h.cfg.Serializer, schema.GroupVersion{Version: "v1"}, w, r)
}

// proxyFailure maps what went wrong while proxying to a Status naming the
// APIService. discovery says the deadline, if one passed, was the proxy's
// own bound on a discovery request rather than the request's timeout.
func proxyFailure(apiService string, discovery bool, err error) error {
	switch {
	case errors.Is(err, context.DeadlineExceeded) && !discovery:
		// --request-timeout passed: 504 Timeout, as the timeout filter of
		// the default chain answers.
		return apierrors.NewTimeoutError(fmt.Sprintf("request did not complete within the allotted timeout: APIService %s did not answer in time", apiService), 0)
	case errors.Is(err, errRedirect):
		return &apierrors.StatusError{ErrStatus: metav1.Status{
			Status:  metav1.StatusFailure,
			Code:    http.StatusBadGateway,
			Message: fmt.Sprintf("APIService %s: %v", apiService, err),
		}}
	case errors.Is(err, errInvalidUpgrade):
		return apierrors.NewServiceUnavailable(fmt.Sprintf("APIService %s: %v", apiService, err))
	case errors.Is(err, context.DeadlineExceeded):
		return apierrors.NewServiceUnavailable(fmt.Sprintf("APIService %s did not answer in time: %v", apiService, err))
	default:
		return apierrors.NewServiceUnavailable(fmt.Sprintf("APIService %s is unreachable: %v", apiService, err))
	}
}

// errorHandler is the httputil.ReverseProxy hook for failures before the
// response started.
func (h *Handler) errorHandler(apiService string, discovery bool) func(http.ResponseWriter, *http.Request, error) {
	return func(w http.ResponseWriter, r *http.Request, err error) {
		var blamed *requestError
		switch {
		case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
			// Nobody reads an answer; the code only tells logs and metrics
			// that this was the client's doing, not a failing backend.
			klog.V(4).InfoS("Client went away before the backend answered", "apiService", apiService, "path", r.URL.Path)
			w.WriteHeader(statusClientClosedRequest)
		case errors.As(err, &blamed):
			klog.V(4).InfoS("Request refused before the backend answered", "apiService", apiService, "code", blamed.status.ErrStatus.Code, "err", blamed.err)
			h.writeStatus(w, r, blamed.status)
		default:
			klog.V(2).InfoS("Proxying to APIService failed", "apiService", apiService, "path", r.URL.Path, "err", err)
			h.writeStatus(w, r, proxyFailure(apiService, discovery, err))
		}
	}
}
