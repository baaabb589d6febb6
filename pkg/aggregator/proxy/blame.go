package proxy

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/aggkit/aggkit/pkg/aggregator/backend"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// largeRequestHeaderBytes is the size of request headers past which a
// backend may refuse them: Node.js stops at 16 KiB, nginx at 8 KiB a line
// and 32 KiB in all. Below it, a connection dropped while sending the
// request is the backend's doing.
const largeRequestHeaderBytes = 16 << 10

// h2HeaderListTooLarge is net/http's error, not exported, for a request
// whose headers exceed the limit the HTTP/2 backend announced; nothing was
// sent.
const h2HeaderListTooLarge = "request header list larger than peer's advertised limit"

// requestError is a failed attempt that the request caused, not the
// backend: its headers were too large for the backend, or its body could
// not be read from the client. It must not mark the address failing, drop
// its connections or be retried elsewhere (which would fail the same way
// and eject every address, for every caller).
type requestError struct {
	status *apierrors.StatusError // the answer to the caller
	err    error
}

func (e *requestError) Error() string { return e.err.Error() }
func (e *requestError) Unwrap() error { return e.err }

// blameRequest returns err as a *requestError when the request caused it,
// or nil when the backend is to blame.
func blameRequest(err error, out *http.Request, body *replayGuard) *requestError {
	if readErr := body.readError(); readErr != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(readErr, &tooLarge) {
			return &requestError{status: apierrors.NewRequestEntityTooLargeError(readErr.Error()), err: err}
		}
		return &requestError{status: apierrors.NewBadRequest(fmt.Sprintf("reading the request body: %v", readErr)), err: err}
	}
	if backend.IsDialError(err) {
		return nil // nothing was sent yet: the request cannot be the cause
	}
	size := headerBytes(out)
	switch {
	case strings.Contains(err.Error(), h2HeaderListTooLarge):
		return &requestError{status: headersTooLarge(fmt.Sprintf("the request's %d KiB of headers (path included) are more than the backend accepts", size>>10)), err: err}
	case size > largeRequestHeaderBytes && !isHTTP2(err):
		// An HTTP/1.1 backend refuses oversized headers by answering 431
		// and closing; the client, still writing, may see only the
		// connection reset, not the answer. (HTTP/2 checks the backend's
		// limit before sending, above, so its failures are the backend's.)
		return &requestError{status: headersTooLarge(fmt.Sprintf("the backend closed the connection while receiving the request's %d KiB of headers (path included), probably more than it accepts: %v", size>>10, err)), err: err}
	}
	return nil
}

// isHTTP2 reports whether err came from an HTTP/2 connection; net/http's
// HTTP/2 errors are unexported types, so only their text tells.
func isHTTP2(err error) bool {
	text := err.Error()
	return strings.Contains(text, "http2:") || strings.Contains(text, "stream error:")
}

// headersTooLarge is 431 Request Header Fields Too Large. The reason is
// BadRequest, which metav1 has for requests that cannot succeed as sent,
// so that clients do not retry.
func headersTooLarge(message string) *apierrors.StatusError {
	return &apierrors.StatusError{ErrStatus: metav1.Status{
		Status:  metav1.StatusFailure,
		Code:    http.StatusRequestHeaderFieldsTooLarge,
		Reason:  metav1.StatusReasonBadRequest,
		Message: message,
	}}
}

// headerBytes is about the size of the request line and headers as sent.
func headerBytes(req *http.Request) int {
	n := len(req.Method) + len(req.URL.RequestURI()) + len(req.Host)
	for name, values := range req.Header {
		for _, value := range values {
			n += len(name) + len(value) + 4 // ": " and CRLF
		}
	}
	return n
}
