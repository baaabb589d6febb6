package openapi

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"

	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"

	"github.com/aggkit/aggkit/pkg/aggregator/discovery"
)

// The identity a backend sees on OpenAPI fetches: the same as the
// aggregator's availability probes and discovery fetches.
const (
	fetchUser  = "system:kube-aggregator"
	fetchGroup = "system:masters"
)

// maxDocumentBytes bounds what a backend may send as one OpenAPI document.
const maxDocumentBytes = 64 << 20

// document is one fetched OpenAPI document and the ETag that names it.
type document struct {
	body []byte
	// etag is the backend's ETag, or a hash of body when it sent none, so a
	// changed document always has a different etag.
	etag string
	// backendETag is sent back as If-None-Match; empty when the backend
	// sent none.
	backendETag string
}

// fetchResult says what a fetch learnt about a document.
type fetchResult int

const (
	fetched     fetchResult = iota // a new document was read
	notModified                    // the backend answered 304 to If-None-Match
	notFound                       // the backend does not serve this document
)

// fetchDocument GETs path from apiService's backend as JSON, with
// If-None-Match when previous came with a backend ETag.
func fetchDocument(ctx context.Context, fetch discovery.Fetcher, apiService *apiregistrationv1.APIService, path string, previous *document) (*document, fetchResult, error) {
	header := http.Header{}
	header.Set("Accept", "application/json")
	header.Set("X-Remote-User", fetchUser)
	header.Set("X-Remote-Group", fetchGroup)
	if previous != nil && previous.backendETag != "" {
		header.Set("If-None-Match", previous.backendETag)
	}
	resp, err := fetch(ctx, apiService, path, header)
	if err != nil {
		return nil, 0, fmt.Errorf("GET %s of APIService %s: %w", path, apiService.Name, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified && previous != nil:
		return previous, notModified, nil
	case resp.StatusCode == http.StatusNotFound:
		return nil, notFound, nil
	case resp.StatusCode != http.StatusOK:
		return nil, 0, fmt.Errorf("GET %s of APIService %s: status %d", path, apiService.Name, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocumentBytes+1))
	if err != nil {
		return nil, 0, fmt.Errorf("read %s of APIService %s: %w", path, apiService.Name, err)
	}
	if len(body) > maxDocumentBytes {
		return nil, 0, fmt.Errorf("%s of APIService %s is larger than %d bytes", path, apiService.Name, maxDocumentBytes)
	}
	doc := &document{body: body, backendETag: resp.Header.Get("ETag")}
	doc.etag = doc.backendETag
	if doc.etag == "" {
		doc.etag = fmt.Sprintf("sha256:%x", sha256.Sum256(body))
	}
	if previous != nil && previous.etag == doc.etag {
		return previous, notModified, nil
	}
	return doc, fetched, nil
}
