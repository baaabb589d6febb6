package resolve

import "fmt"

// Condition reasons carried by Error. They are the reasons kube-aggregator's
// availability controller writes into an APIService's Available condition.
const (
	ReasonServiceNotFound      = "ServiceNotFound"
	ReasonServiceAccessError   = "ServiceAccessError"
	ReasonServicePortError     = "ServicePortError"
	ReasonEndpointsNotFound    = "EndpointsNotFound"
	ReasonEndpointsAccessError = "EndpointsAccessError"
	ReasonMissingEndpoints     = "MissingEndpoints"
)

// Error is why a Service could not be resolved to addresses.
type Error struct {
	// Reason is one of the Reason* constants.
	Reason string
	// Message tells a person what to fix.
	Message string
}

// Error returns the message prefixed by the reason.
func (e *Error) Error() string {
	return e.Reason + ": " + e.Message
}

func serviceNotFound(namespace, name string) *Error {
	return &Error{ReasonServiceNotFound, fmt.Sprintf("service/%s in %q is not present", name, namespace)}
}

func serviceAccessError(namespace, name string, err error) *Error {
	return &Error{ReasonServiceAccessError, fmt.Sprintf("service/%s in %q cannot be checked due to: %v", name, namespace, err)}
}

func servicePortError(namespace, name string, port int32) *Error {
	return &Error{ReasonServicePortError, fmt.Sprintf("service/%s in %q is not listening on port %d", name, namespace, port)}
}
