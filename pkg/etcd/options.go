package etcd

import (
	"fmt"
	"time"

	"github.com/spf13/pflag"
)

// Options say where the store is: an etcd cluster when Servers is set,
// otherwise an embedded member under the data directory.
type Options struct {
	Servers  []string
	CAFile   string
	CertFile string
	KeyFile  string
	// Prefix is the key prefix under which every object is stored.
	Prefix string
	// WriteTimeout bounds how long a write waits for etcd to commit it, and
	// is how long a read waits before checking that etcd has a leader.
	// etcd itself gives up only after 5 s plus two election timeouts (7 s
	// by default), so a write sent to a leader that just died would stall
	// that long; 0 leaves it to etcd.
	WriteTimeout time.Duration
}

// DefaultWriteTimeout is well above a healthy commit (milliseconds; etcd
// warns at 100 ms) and below etcd's own 7 s, so a leader change costs
// about this much plus the election.
const DefaultWriteTimeout = 3 * time.Second

// AddFlags registers the store flags under kube-apiserver's names.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.StringSliceVar(&o.Servers, "etcd-servers", o.Servers,
		"List of etcd servers to connect with (scheme://ip:port), comma separated. When empty, an embedded etcd keeps its data under --data-dir.")
	fs.StringVar(&o.CAFile, "etcd-cafile", o.CAFile, "SSL Certificate Authority file used to secure etcd communication.")
	fs.StringVar(&o.CertFile, "etcd-certfile", o.CertFile, "SSL certification file used to secure etcd communication.")
	fs.StringVar(&o.KeyFile, "etcd-keyfile", o.KeyFile, "SSL key file used to secure etcd communication.")
	fs.StringVar(&o.Prefix, "etcd-prefix", o.Prefix, "The prefix to prepend to all resource paths in etcd.")
	fs.DurationVar(&o.WriteTimeout, "etcd-write-timeout", o.WriteTimeout,
		"How long a write waits for etcd to commit it before answering 503 with Retry-After (the write may or may not be stored), and how long a read waits before it checks for an etcd leader and, finding none, answers 503 with Retry-After. 0 waits for etcd's own timeout (5s plus two election timeouts) for writes, and the request timeout for reads.")
}

// Validate reports flag combinations that cannot work.
func (o *Options) Validate() []error {
	var errs []error
	if len(o.Servers) == 0 && (o.CAFile != "" || o.CertFile != "" || o.KeyFile != "") {
		errs = append(errs, fmt.Errorf("--etcd-cafile, --etcd-certfile and --etcd-keyfile need --etcd-servers"))
	}
	if o.WriteTimeout < 0 {
		errs = append(errs, fmt.Errorf("--etcd-write-timeout must not be negative"))
	}
	if (o.CertFile == "") != (o.KeyFile == "") {
		errs = append(errs, fmt.Errorf("--etcd-certfile and --etcd-keyfile go together"))
	}
	return errs
}

// Embedded reports whether aggkit should run its own etcd member.
func (o *Options) Embedded() bool { return len(o.Servers) == 0 }
