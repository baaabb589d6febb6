package etcd

import (
	"bytes"
	"context"
	"flag"
	"strings"
	"testing"

	"k8s.io/klog/v2"
)

// TestStopIsQuiet: stopping the member logs nothing as an error; etcd
// reports its closed listeners as errors, which would read as failures on
// every Ctrl-C.
func TestStopIsQuiet(t *testing.T) {
	var logged bytes.Buffer
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	_ = fs.Set("logtostderr", "false")
	_ = fs.Set("alsologtostderr", "false")
	klog.SetOutput(&logged)
	defer klog.SetOutput(nil)

	e, err := StartEmbedded(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(e.ClientURL, "http://127.0.0.1:") {
		t.Errorf("client URL %q", e.ClientURL)
	}
	e.Stop()
	klog.Flush()
	for _, line := range strings.Split(logged.String(), "\n") {
		if strings.HasPrefix(line, "E") {
			t.Errorf("error logged by a clean start and stop: %s", line)
		}
	}
}
