// Package kubeversion names and orders Kubernetes API versions: which
// strings are versions (v1, v1beta1, v2alpha3) and which of them clients
// prefer. The scaffold, code generation, the extension library, build
// config and run local all ask it, so they agree.
package kubeversion

import (
	"regexp"
	"slices"

	"k8s.io/apimachinery/pkg/version"
)

// pattern is stricter than apimachinery's parser: no v0, no leading zeros.
var pattern = regexp.MustCompile(`^v[1-9][0-9]*((alpha|beta)[1-9][0-9]*)?$`)

// Valid reports whether v is a Kubernetes API version like v1, v1beta1 or
// v2alpha3.
func Valid(v string) bool { return pattern.MatchString(v) }

// Compare orders a before b (negative) when Kubernetes prefers a: GA before
// beta before alpha, higher numbers first
// (version.CompareKubeAwareVersionStrings, reversed).
func Compare(a, b string) int { return version.CompareKubeAwareVersionStrings(b, a) }

// Sort orders versions most preferred first, whatever order they came in.
func Sort(versions []string) { slices.SortStableFunc(versions, Compare) }
