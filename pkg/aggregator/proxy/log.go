package proxy

import (
	"log"
	"strings"

	"k8s.io/klog/v2"
)

// errorLog routes httputil.ReverseProxy's own messages (mostly clients or
// backends closing streams mid-copy) to klog at V(2) instead of stderr.
var errorLog = log.New(klogWriter{}, "", 0)

type klogWriter struct{}

func (klogWriter) Write(p []byte) (int, error) {
	klog.V(2).InfoS("Reverse proxy", "msg", strings.TrimSpace(string(p)))
	return len(p), nil
}
