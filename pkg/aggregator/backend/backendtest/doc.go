// Package backendtest starts real TLS backends for tests of the aggregator's
// proxy and prober: a CA from pkg/pki, serving certificates for
// "<service>.<namespace>.svc", proxy client certificates on disk (so that
// dynamiccertificates can reload them) and APIService objects pointing at
// them.
package backendtest
