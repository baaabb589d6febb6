package discovery

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"

	"github.com/aggkit/aggkit/pkg/aggregator/resolve"
)

// Fetcher sends a GET for path (e.g. "/apis") with header to the backend of
// the remote apiService and returns the backend's answer. The caller closes
// the body. Deadlines come with ctx.
type Fetcher func(ctx context.Context, apiService *apiregistrationv1.APIService, path string, header http.Header) (*http.Response, error)

// ResolveFunc returns the host:port addresses to try for a Service port, in
// order; resolve.Resolver's Resolve method is one.
type ResolveFunc func(namespace, name string, port int32) ([]string, error)

// TransportFunc returns the round tripper that talks TLS to apiService's
// backend, e.g. the RoundTripper of backend.Transports.For(apiService).
type TransportFunc func(apiService *apiregistrationv1.APIService) (http.RoundTripper, error)

// ServiceFetcher returns a Fetcher that resolves the APIService's Service
// with resolve and sends over the APIService's transport, trying the
// addresses in turn until one answers.
func ServiceFetcher(resolveService ResolveFunc, transport TransportFunc) Fetcher {
	return func(ctx context.Context, apiService *apiregistrationv1.APIService, path string, header http.Header) (*http.Response, error) {
		service := apiService.Spec.Service
		if service == nil {
			return nil, fmt.Errorf("APIService %s is local, it has no backend", apiService.Name)
		}
		port := resolve.APIServicePort(service)
		addresses, err := resolveService(service.Namespace, service.Name, port)
		if err != nil {
			return nil, fmt.Errorf("resolve service %s/%s:%d: %w", service.Namespace, service.Name, port, err)
		}
		if len(addresses) == 0 {
			return nil, fmt.Errorf("service %s/%s:%d has no addresses", service.Namespace, service.Name, port)
		}
		roundTripper, err := transport(apiService)
		if err != nil {
			return nil, fmt.Errorf("transport for APIService %s: %w", apiService.Name, err)
		}
		var errs []error
		for _, address := range addresses {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+address+path, nil)
			if err != nil {
				return nil, err
			}
			req.Header = header.Clone()
			resp, err := roundTripper.RoundTrip(req)
			if err == nil {
				return resp, nil
			}
			errs = append(errs, fmt.Errorf("%s: %w", address, err))
			if ctx.Err() != nil {
				break
			}
		}
		return nil, errors.Join(errs...)
	}
}
