package controlplane

import (
	"bytes"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"slices"

	certutil "k8s.io/client-go/util/cert"
)

// Replicas on one etcd share kube-system/extension-apiserver-authentication,
// and each may be configured a little differently (one generated its PKI,
// another was given the same CA by flag). Each replica therefore merges
// what it must publish into what is there, like kube-apiserver's
// cluster-authentication-trust controller does for several apiservers:
// CA bundles and header lists become the union of both, deduplicated, in
// first-seen order, so every replica computes the same result and the
// ConfigMap stops changing once each has written once.
//
// requestheader-allowed-names needs more care: an empty list means "any
// name the front-proxy CA signed", the widest trust there is. A union with
// an empty list keeps the other side's names (it never turns a non-empty
// list into []), and a replica publishes [] itself only when it has no
// names and no proxy client certificate to take one from
// (publishedAllowedNames).
//
// The union only grows: a CA or name removed from one replica's flags stays
// published while the ConfigMap exists. Delete the ConfigMap after changing
// every replica; each rewrites its part within a minute.

// listKeys are the ConfigMap keys holding JSON string lists.
var listKeys = []string{
	"requestheader-username-headers", "requestheader-uid-headers", "requestheader-group-headers",
	"requestheader-extra-headers-prefix", "requestheader-allowed-names",
}

// bundleKeys are the ConfigMap keys holding PEM CA bundles.
var bundleKeys = []string{"client-ca-file", "requestheader-client-ca-file"}

// mergeAuthConfigData returns the ConfigMap data holding both what is
// published (current) and what this replica must publish (mine). A value
// of current that does not parse is replaced by mine.
func mergeAuthConfigData(current, mine map[string]string) (map[string]string, error) {
	merged := map[string]string{}
	for key, value := range current {
		merged[key] = value
	}
	for _, key := range listKeys {
		have, want := decodeList(current[key]), decodeList(mine[key])
		if _, ok := mine[key]; !ok && have == nil {
			continue
		}
		encoded, err := json.Marshal(unionStrings(have, want))
		if err != nil {
			return nil, err
		}
		merged[key] = string(encoded)
	}
	for _, key := range bundleKeys {
		bundle, err := unionBundles([]byte(current[key]), []byte(mine[key]))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		merged[key] = string(bundle)
	}
	return merged, nil
}

// decodeList reads a JSON list; a missing or broken value reads as empty.
func decodeList(value string) []string {
	var list []string
	if value == "" || json.Unmarshal([]byte(value), &list) != nil {
		return nil
	}
	return list
}

// unionStrings is a then the values of b not in a; never nil.
func unionStrings(a, b []string) []string {
	out := make([]string, 0, len(a)+len(b))
	for _, v := range slices.Concat(a, b) {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// unionBundles is the certificates of a then those of b not in a, as PEM.
// A published bundle that does not parse is dropped in favour of b.
func unionBundles(a, b []byte) ([]byte, error) {
	mine, err := parseBundle(b)
	if err != nil {
		return nil, err
	}
	published, err := parseBundle(a)
	if err != nil {
		published = nil
	}
	var out bytes.Buffer
	var seen [][]byte
	for _, der := range slices.Concat(published, mine) {
		if slices.ContainsFunc(seen, func(s []byte) bool { return bytes.Equal(s, der) }) {
			continue
		}
		seen = append(seen, der)
		if err := pem.Encode(&out, &pem.Block{Type: certutil.CertificateBlockType, Bytes: der}); err != nil {
			return nil, err
		}
	}
	return out.Bytes(), nil
}

// parseBundle returns the DER of each certificate in a PEM bundle.
func parseBundle(bundle []byte) ([][]byte, error) {
	if len(bytes.TrimSpace(bundle)) == 0 {
		return nil, nil
	}
	certs, err := certutil.ParseCertsPEM(bundle)
	if err != nil {
		return nil, err
	}
	ders := make([][]byte, 0, len(certs))
	for _, c := range certs {
		ders = append(ders, c.Raw)
	}
	return ders, nil
}
