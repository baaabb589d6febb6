package validation

import (
	"sort"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// wantErr names one expected error by type and field path.
type wantErr struct {
	typ  field.ErrorType
	path string
}

func req(path string) wantErr         { return wantErr{field.ErrorTypeRequired, path} }
func inv(path string) wantErr         { return wantErr{field.ErrorTypeInvalid, path} }
func unsupported(path string) wantErr { return wantErr{field.ErrorTypeNotSupported, path} }
func forbidden(path string) wantErr   { return wantErr{field.ErrorTypeForbidden, path} }
func dup(path string) wantErr         { return wantErr{field.ErrorTypeDuplicate, path} }

// expectErrors fails unless got holds exactly the wanted errors (any order).
func expectErrors(t *testing.T, got field.ErrorList, want ...wantErr) {
	t.Helper()
	var g, w []string
	for _, e := range got {
		g = append(g, string(e.Type)+" "+e.Field)
	}
	for _, e := range want {
		w = append(w, string(e.typ)+" "+e.path)
	}
	sort.Strings(g)
	sort.Strings(w)
	if strings.Join(g, "\n") != strings.Join(w, "\n") {
		t.Errorf("errors mismatch\n got: %q\nwant: %q\nfull: %v", g, w, got)
	}
}

// caseOf is one table entry: a change to a valid object and the errors it
// must produce.
type caseOf[T any] struct {
	name   string
	mutate func(T)
	want   []wantErr
}

// runCases applies each case to a fresh valid object from valid() and checks
// validate's result.
func runCases[T any](t *testing.T, valid func() T, validate func(T) field.ErrorList, cases []caseOf[T]) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obj := valid()
			if tc.mutate != nil {
				tc.mutate(obj)
			}
			expectErrors(t, validate(obj), tc.want...)
		})
	}
}

// runUpdateCases is runCases for updates: old is valid(), the new object is
// valid() changed by mutate.
func runUpdateCases[T any](t *testing.T, valid func() T, validate func(T, T) field.ErrorList, cases []caseOf[T]) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			old, obj := valid(), valid()
			// Stored objects always carry a resourceVersion, and an update must too.
			for _, o := range []any{old, obj} {
				o.(metav1.Object).SetResourceVersion("1")
			}
			if tc.mutate != nil {
				tc.mutate(obj)
			}
			expectErrors(t, validate(obj, old), tc.want...)
		})
	}
}

func ptr[T any](v T) *T { return &v }
