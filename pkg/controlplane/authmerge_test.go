package controlplane

import (
	"path/filepath"
	"strings"
	"testing"

	certutil "k8s.io/client-go/util/cert"

	"github.com/aggkit/aggkit/pkg/pki"
)

func TestMergeAuthConfigData(t *testing.T) {
	caPEM := func(name string) string {
		dir := t.TempDir()
		ca, err := pki.LoadOrCreateCA(filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key"), name)
		if err != nil {
			t.Fatal(err)
		}
		return string(ca.CertPEM())
	}
	a, b := caPEM("a"), caPEM("b")
	for _, tc := range []struct {
		name             string
		current, mine    map[string]string
		wantNames        string
		wantCAs          int
		wantUsernameHdrs string
	}{
		{"empty published list keeps mine",
			map[string]string{"requestheader-allowed-names": `[]`, "requestheader-client-ca-file": a},
			map[string]string{"requestheader-allowed-names": `["aggregator"]`, "requestheader-client-ca-file": a},
			`["aggregator"]`, 1, ""},
		{"mine empty never empties the published list",
			map[string]string{"requestheader-allowed-names": `["aggregator"]`, "requestheader-client-ca-file": a},
			map[string]string{"requestheader-allowed-names": `[]`, "requestheader-client-ca-file": a},
			`["aggregator"]`, 1, ""},
		{"different names and CAs: the union, published first",
			map[string]string{"requestheader-allowed-names": `["aggregator"]`, "requestheader-client-ca-file": a,
				"requestheader-username-headers": `["X-Remote-User"]`},
			map[string]string{"requestheader-allowed-names": `["front-proxy-client","aggregator"]`, "requestheader-client-ca-file": b + a,
				"requestheader-username-headers": `["X-Remote-User"]`},
			`["aggregator","front-proxy-client"]`, 2, `["X-Remote-User"]`},
		{"nothing published yet",
			nil,
			map[string]string{"requestheader-allowed-names": `["aggregator"]`, "requestheader-client-ca-file": a},
			`["aggregator"]`, 1, ""},
		{"a broken published value is replaced",
			map[string]string{"requestheader-allowed-names": `not json`, "requestheader-client-ca-file": "garbage"},
			map[string]string{"requestheader-allowed-names": `["aggregator"]`, "requestheader-client-ca-file": a},
			`["aggregator"]`, 1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			merged, err := mergeAuthConfigData(tc.current, tc.mine)
			if err != nil {
				t.Fatal(err)
			}
			if got := merged["requestheader-allowed-names"]; got != tc.wantNames {
				t.Errorf("allowed names = %s, want %s", got, tc.wantNames)
			}
			certs, err := certutil.ParseCertsPEM([]byte(merged["requestheader-client-ca-file"]))
			if err != nil || len(certs) != tc.wantCAs {
				t.Errorf("front-proxy CAs = %d (%v), want %d", len(certs), err, tc.wantCAs)
			}
			if got := merged["requestheader-username-headers"]; got != tc.wantUsernameHdrs {
				t.Errorf("username headers = %q, want %q", got, tc.wantUsernameHdrs)
			}
			// Merging again changes nothing: replicas converge.
			again, err := mergeAuthConfigData(merged, tc.mine)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range merged {
				if again[k] != v {
					t.Errorf("a second merge changed %s: %q -> %q", k, v, again[k])
				}
			}
			if strings.Contains(merged["client-ca-file"], "garbage") {
				t.Error("garbage kept")
			}
		})
	}
}
