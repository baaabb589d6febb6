package reviews

import (
	"errors"
	"net/http"
	"reflect"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// checkStatusError asserts err is an API status error with HTTP code
// wantCode and, for 422s, exactly the invalid field paths wantFields.
func checkStatusError(t *testing.T, err error, wantCode int, wantFields []string) {
	t.Helper()
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		t.Fatalf("want HTTP %d status error, got %v", wantCode, err)
	}
	if got := int(status.Status().Code); got != wantCode {
		t.Fatalf("HTTP code = %d, want %d (%v)", got, wantCode, err)
	}
	if wantCode != http.StatusUnprocessableEntity {
		return
	}
	var fields []string
	for _, c := range status.Status().Details.Causes {
		fields = append(fields, c.Field)
	}
	if !reflect.DeepEqual(fields, wantFields) {
		t.Fatalf("invalid fields = %q, want %q (%v)", fields, wantFields, err)
	}
}
