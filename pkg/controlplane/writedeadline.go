package controlplane

import (
	"fmt"
	"net/http"
	"time"

	apirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/klog/v2"
)

// writeGrace is how long past its deadline a request may still write: long
// enough for the timeout filter's or the proxy's 504 to reach a client
// that reads, short against --request-timeout.
const writeGrace = 5 * time.Second

// withWriteDeadline gives every request a write deadline of the request
// timeout plus writeGrace from its arrival (the request deadline itself is
// set further in). A handler blocked writing to a client that does not
// read (a full TCP window, an HTTP/2 stream window of zero) then fails its
// write, returns and gives back its in-flight seat: the request deadline
// alone cannot unblock it, and the timeout filter waits on the same write.
// Setting it first thing also replaces what an earlier request on the
// same HTTP/1.1 connection left there. Long-running requests drop it
// again in clearLongRunningWriteDeadline.
func withWriteDeadline(handler http.Handler, requestTimeout time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setWriteDeadline(w, r, time.Now().Add(requestTimeout+writeGrace))
		handler.ServeHTTP(w, r)
	})
}

// clearLongRunningWriteDeadline removes the write deadline of watches,
// upgrades and the other long-running requests, which --request-timeout
// does not bound. It needs the RequestInfo, so it sits inside the chain.
func clearLongRunningWriteDeadline(handler http.Handler, longRunning apirequest.LongRunningRequestCheck) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if info, ok := apirequest.RequestInfoFrom(r.Context()); ok && longRunning(r, info) {
			setWriteDeadline(w, r, time.Time{})
		}
		handler.ServeHTTP(w, r)
	})
}

func setWriteDeadline(w http.ResponseWriter, r *http.Request, deadline time.Time) {
	if err := http.NewResponseController(w).SetWriteDeadline(deadline); err != nil {
		klog.V(2).InfoS("Cannot set the response's write deadline", "path", r.URL.Path, "writer", fmt.Sprintf("%T", w), "err", err)
	}
}
