package scaffold

import (
	"fmt"
	"regexp"
	"strings"

	"golang.org/x/mod/module"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/aggkit/aggkit/pkg/kubeversion"
)

var (
	kindPattern = regexp.MustCompile(`^[A-Z][A-Za-z0-9]*$`)
)

// validateDomain accepts a DNS subdomain with at least one dot.
func validateDomain(domain string) error {
	if domain == "" {
		return fmt.Errorf("--domain is required, e.g. --domain example.com: API groups are named <group>.<domain>")
	}
	if errs := validation.IsDNS1123Subdomain(domain); len(errs) > 0 || !strings.Contains(domain, ".") {
		return fmt.Errorf("domain %q: want a DNS name with a dot, like example.com", domain)
	}
	return nil
}

// validateName accepts a DNS label: the name becomes a binary, a Service and
// a namespace.
func validateName(name string) error {
	if errs := validation.IsDNS1123Label(name); len(errs) > 0 {
		return fmt.Errorf("project name %q: %s; it names the binary, Service and namespace, give one with --name", name, strings.Join(errs, "; "))
	}
	return nil
}

func validateModule(path string) error {
	if err := module.CheckPath(path); err != nil {
		return fmt.Errorf("module path %q: %w", path, err)
	}
	return nil
}

// validateGroup accepts the short group, a DNS label such as "insurance".
func validateGroup(group string) error {
	if group == "" {
		return fmt.Errorf("--group is required, e.g. --group insurance for insurance.<domain>")
	}
	if errs := validation.IsDNS1123Label(group); len(errs) > 0 {
		return fmt.Errorf("group %q: want a DNS label (lower-case letters, digits and '-'), e.g. insurance; the domain is added to it", group)
	}
	return nil
}

func validateVersion(version string) error {
	if !kubeversion.Valid(version) {
		return fmt.Errorf("version %q: want a Kubernetes API version like v1, v1beta1 or v2alpha3", version)
	}
	return nil
}

func validateKind(kind string) error {
	switch {
	case kind == "":
		return fmt.Errorf("--kind is required, e.g. --kind Policy")
	case !kindPattern.MatchString(kind):
		return fmt.Errorf("kind %q: want a CamelCase name of letters and digits starting with a capital, e.g. Policy", kind)
	case strings.HasSuffix(kind, "List"):
		return fmt.Errorf("kind %q: may not end in List, the suffix of the list type aggkit makes for it", kind)
	}
	return nil
}

// receiverOf is the method receiver name of a kind: its first letter.
func receiverOf(kind string) string { return strings.ToLower(kind[:1]) }

// modelPackage is the +k8s:openapi-model-package of a version:
// insurance.example.com and v1 make com.example.insurance.v1.
func modelPackage(group, version string) string {
	parts := strings.Split(group, ".")
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return strings.Join(append(parts, version), ".")
}
