package aggtest

import (
	"time"

	"github.com/aggkit/aggkit/pkg/controlplane"
)

// Option changes how Start sets up the environment.
type Option func(*settings)

type settings struct {
	namespace string
	timeout   time.Duration
	// controlPlane changes the control plane's options before it starts.
	controlPlane func(*controlplane.Options)
}

// WithNamespace puts the server's Service, ServiceAccount and RBAC in
// namespace; the default is the first label of the API group ("wardle" for
// wardle.example.com), as `aggkit run local` names it after the project.
func WithNamespace(namespace string) Option {
	return func(s *settings) { s.namespace = namespace }
}

// WithTimeout bounds how long Start waits for the control plane, the
// server and the APIServices (default two minutes).
func WithTimeout(d time.Duration) Option {
	return func(s *settings) { s.timeout = d }
}

// WithControlPlane lets configure change the control plane's options (those
// of `aggkit serve`: feature gates, Service ranges, timeouts, ...) before
// it starts. Start sets the data directory, listener and etcd itself.
func WithControlPlane(configure func(*controlplane.Options)) Option {
	return func(s *settings) { s.controlPlane = configure }
}
