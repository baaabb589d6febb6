package main

import (
	"flag"
	"fmt"
	"os"

	"k8s.io/klog/v2"
)

// logControlPlaneTo sends klog (the in-process control plane of `run
// local` logs through it) to a file, so the terminal shows only progress.
// klog is process-wide, so the command sets it, not pkg/runlocal. The
// returned function flushes it and sends klog back to stderr.
func logControlPlaneTo(path string) (restore func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("control plane log: %w", err)
	}
	flags := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(flags)
	set := func(name, value string) { _ = flags.Set(name, value) }
	set("logtostderr", "false")
	set("alsologtostderr", "false")
	// Errors too: a control plane refusing a request is in its log, and
	// `aggkit run local` reports what matters itself.
	set("stderrthreshold", "FATAL")
	klog.SetOutput(f)
	return func() {
		klog.Flush()
		set("logtostderr", "true")
		f.Close()
	}, nil
}
