package controlplane

import (
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// TestServiceRangeFlags: the Service allocation flags are parsed and
// checked as kube-apiserver's are, each bad value named in the error.
func TestServiceRangeFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string // "" for none mentioning these flags
	}{
		{name: "defaults"},
		{name: "an IPv6 range", args: []string{"--service-cluster-ip-range=fd00:10::/108"}},
		{name: "a custom node port range", args: []string{"--service-node-port-range=31000-31100"}},
		{name: "dual-stack", args: []string{"--service-cluster-ip-range=10.0.0.0/24,fd00::/108"}, wantErr: "dual-stack"},
		{name: "not a CIDR", args: []string{"--service-cluster-ip-range=10.0.0.300/24"}, wantErr: "--service-cluster-ip-range"},
		{name: "too large an IPv4 range", args: []string{"--service-cluster-ip-range=10.0.0.0/8"}, wantErr: "--service-cluster-ip-range"},
		{name: "no range", args: []string{"--service-cluster-ip-range="}, wantErr: "--service-cluster-ip-range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := NewOptions()
			o.DataDir = t.TempDir()
			fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
			o.AddFlags(fs)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatalf("parse %v: %v", tt.args, err)
			}
			var got []string
			for _, err := range o.Validate() {
				if strings.Contains(err.Error(), "service-") {
					got = append(got, err.Error())
				}
			}
			switch {
			case tt.wantErr == "" && len(got) > 0:
				t.Errorf("unexpected errors: %v", got)
			case tt.wantErr != "" && !strings.Contains(strings.Join(got, "\n"), tt.wantErr):
				t.Errorf("errors %v, want one containing %q", got, tt.wantErr)
			}
		})
	}
}

// A node port range that is not a range is refused when parsed.
func TestServiceNodePortRangeFlagRejectsBadRanges(t *testing.T) {
	for _, value := range []string{"32767-30000", "abc", "30000-70000"} {
		o := NewOptions()
		fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
		o.AddFlags(fs)
		err := fs.Parse([]string{"--service-node-port-range=" + value})
		if err == nil {
			t.Errorf("--service-node-port-range=%s was accepted", value)
			continue
		}
		if !strings.Contains(err.Error(), "service-node-port-range") {
			t.Errorf("--service-node-port-range=%s: error %q does not name the flag", value, err)
		}
	}
}

// TestInFlightFlags: priority and fairness is on by default and needs a
// positive total limit, as kube-apiserver's; without it, zero means no
// limit.
func TestInFlightFlags(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr bool
	}{
		{args: nil},
		{args: []string{"--max-requests-inflight=0", "--max-mutating-requests-inflight=0"}, wantErr: true},
		{args: []string{"--max-requests-inflight=0", "--max-mutating-requests-inflight=1"}},
		{args: []string{"--enable-priority-and-fairness=false", "--max-requests-inflight=0", "--max-mutating-requests-inflight=0"}},
		{args: []string{"--max-requests-inflight=-1"}, wantErr: true},
	}
	for _, tt := range tests {
		o := NewOptions()
		o.DataDir = t.TempDir()
		fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
		o.AddFlags(fs)
		if err := fs.Parse(tt.args); err != nil {
			t.Fatalf("parse %v: %v", tt.args, err)
		}
		var got []string
		for _, err := range o.Validate() {
			if strings.Contains(err.Error(), "inflight") {
				got = append(got, err.Error())
			}
		}
		if (len(got) > 0) != tt.wantErr {
			t.Errorf("%v: errors %v, want an error: %v", tt.args, got, tt.wantErr)
		}
	}
	if !NewOptions().EnablePriorityAndFairness {
		t.Error("--enable-priority-and-fairness is off by default; kube-apiserver has it on")
	}
}
