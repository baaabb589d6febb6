package scaffold

import (
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		check   func(string) error
		input   string
		wantErr string // empty: valid
	}{
		{"domain", validateDomain, "example.com", ""},
		{"domain without dot", validateDomain, "example", "with a dot"},
		{"domain upper case", validateDomain, "Example.com", "DNS name"},
		{"domain missing", validateDomain, "", "--domain is required"},
		{"group", validateGroup, "insurance", ""},
		{"group with dash", validateGroup, "car-insurance", ""},
		{"group upper case", validateGroup, "Insurance", "DNS label"},
		{"group with dot", validateGroup, "insurance.example", "DNS label"},
		{"version GA", validateVersion, "v1", ""},
		{"version beta", validateVersion, "v1beta1", ""},
		{"version alpha", validateVersion, "v2alpha3", ""},
		{"version zero", validateVersion, "v0", "v1, v1beta1 or v2alpha3"},
		{"version without number", validateVersion, "v1beta", "Kubernetes API version"},
		{"version without v", validateVersion, "1", "Kubernetes API version"},
		{"kind", validateKind, "Policy", ""},
		{"kind with digits", validateKind, "S3Bucket", ""},
		{"kind lower case", validateKind, "policy", "CamelCase"},
		{"kind with dash", validateKind, "Car-Policy", "CamelCase"},
		{"kind ending in List", validateKind, "PolicyList", "List"},
		{"kind missing", validateKind, "", "--kind is required"},
		{"name", validateName, "insurance", ""},
		{"name upper case", validateName, "Insurance", "--name"},
		{"module", validateModule, "github.com/me/insurance", ""},
		{"module with space", validateModule, "github.com/me/my api", "module path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.check(tt.input)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("%q: unexpected error %v", tt.input, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("%q: error %v, want one containing %q", tt.input, err, tt.wantErr)
			}
		})
	}
}

func TestNames(t *testing.T) {
	tests := []struct{ kind, receiver string }{
		{"Policy", "p"},
		{"Insurer", "i"},
	}
	for _, tt := range tests {
		if got := receiverOf(tt.kind); got != tt.receiver {
			t.Errorf("receiverOf(%s) = %s, want %s", tt.kind, got, tt.receiver)
		}
	}
	if got := modelPackage("insurance.example.com", "v1beta1"); got != "com.example.insurance.v1beta1" {
		t.Errorf("modelPackage = %s", got)
	}
}
