package proxy

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// FuzzIdentityHeaders sends requests with any headers, in any case, any
// number of times, with and without impersonation, through the real
// impersonation and authorization filters: the backend sees exactly the
// user that was authorized in X-Remote-*, and no header that could claim an
// identity unless the proxy set it.
//
// headers is "Name: value" lines; flipCase flips the case of the letters of
// the names, one bit each; allowImpersonation is the authorizer's answer to
// impersonation.
func FuzzIdentityHeaders(f *testing.F) {
	h := newHarness(f, nil)
	c := newChainFront(f, h)
	var trace int
	f.Fuzz(func(t *testing.T, headers string, flipCase uint64, allowImpersonation bool) {
		c.allowImpersonation.Store(allowImpersonation)
		trace++
		id := strconv.Itoa(trace)
		lines := []string{traceHeader + ": " + id}
		for _, line := range strings.Split(headers, "\n") {
			name, value, ok := strings.Cut(strings.TrimSuffix(line, "\r"), ":")
			if !ok || strings.ContainsAny(line, "\r") || strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t") {
				continue // one header per line: bare CRs end no line, and a leading blank folds it into the previous one
			}
			if strings.EqualFold(strings.TrimSpace(name), traceHeader) ||
				strings.Contains(strings.ToLower(value), strings.ToLower(traceHeader)) {
				continue // the test's own header must arrive (Connection could drop it)
			}
			lines = append(lines, flipLetters(name, &flipCase)+":"+value)
		}
		code, err := c.sendRaw(groupPath+"/namespaces/default/flunders", lines...)
		if err != nil {
			t.Fatal(err)
		}
		authorized, received := c.take(id)
		if received == nil {
			if code == http.StatusOK {
				t.Fatalf("status 200 but the backend saw nothing")
			}
			return // refused before the proxy (bad header, impersonation denied)
		}
		if authorized == nil {
			t.Fatalf("the backend got a request that was never authorized")
		}
		checkIdentity(t, received.Header, authorized)
	})
}

// checkIdentity fails t unless header holds exactly authorized's user in
// X-Remote-*, and no other header that names an identity.
func checkIdentity(t *testing.T, header http.Header, authorized *seen) {
	t.Helper()
	u := authorized.User
	if got := header.Values(headerRemoteUser); !slices.Equal(got, []string{u.GetName()}) {
		t.Errorf("X-Remote-User %q; authorized %q", got, u.GetName())
	}
	var wantUID []string
	if u.GetUID() != "" {
		wantUID = []string{u.GetUID()}
	}
	if got := header.Values(headerRemoteUID); !slices.Equal(got, wantUID) {
		t.Errorf("X-Remote-Uid %q; authorized %q", got, wantUID)
	}
	if got := header.Values(headerRemoteGroup); !slices.Equal(got, u.GetGroups()) {
		t.Errorf("X-Remote-Group %q; authorized %q", got, u.GetGroups())
	}
	gotExtra := map[string][]string{}
	for name, values := range header {
		lower := asciiLower(name)
		switch {
		case strings.HasPrefix(lower, "x-remote-extra-"):
			key, err := url.PathUnescape(lower[len("x-remote-extra-"):])
			if err != nil {
				t.Errorf("extra header %s does not decode: %v", name, err)
			}
			gotExtra[key] = append(gotExtra[key], values...)
		case lower == "authorization", strings.HasPrefix(lower, "impersonate-"),
			// the harness's --requestheader-* names, which backends would read
			lower == "x-custom-user", lower == "x-custom-group", lower == "x-custom-uid", strings.HasPrefix(lower, "x-custom-extra-"),
			strings.HasPrefix(lower, "x-remote-") && lower != "x-remote-user" && lower != "x-remote-uid" && lower != "x-remote-group":
			t.Errorf("backend got %s: %q, which the proxy never sets", name, values)
		}
	}
	wantExtra := map[string][]string{}
	for key, values := range u.GetExtra() {
		if len(values) > 0 {
			wantExtra[asciiLower(key)] = values
		}
	}
	if len(gotExtra) != len(wantExtra) {
		t.Errorf("extras %q; authorized %q", gotExtra, wantExtra)
	}
	for key, values := range wantExtra {
		if !slices.Equal(gotExtra[key], values) {
			t.Errorf("extra %q = %q; authorized %q", key, gotExtra[key], values)
		}
	}
}

// asciiLower lowercases ASCII letters only, as backends do with header
// names; strings.ToLower would also rewrite invalid UTF-8.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// flipLetters flips the case of name's ASCII letters, one bit of *bits
// each.
func flipLetters(name string, bits *uint64) string {
	b := []byte(name)
	for i, c := range b {
		if 'a' <= c|0x20 && c|0x20 <= 'z' {
			if *bits&1 == 1 {
				b[i] = c ^ 0x20
			}
			*bits = *bits>>1 | *bits<<63
		}
	}
	return string(b)
}
