package etcd

import (
	"strings"
	"sync/atomic"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"k8s.io/klog/v2"
)

// klogCore hands the embedded member's warnings and errors to klog, in the
// process's one log format, instead of etcd's JSON on stderr. Once the
// member is being stopped it drops them: closing the listeners makes etcd
// report "use of closed network connection" and the like as errors, which
// on every Ctrl-C would read as failures.
type klogCore struct {
	stopping *atomic.Bool
	fields   []zapcore.Field
}

func newKlogLogger(stopping *atomic.Bool) *zap.Logger {
	return zap.New(klogCore{stopping: stopping})
}

func (c klogCore) Enabled(l zapcore.Level) bool { return l >= zapcore.WarnLevel }

func (c klogCore) With(fields []zapcore.Field) zapcore.Core {
	return klogCore{stopping: c.stopping, fields: append(append([]zapcore.Field(nil), c.fields...), fields...)}
}

func (c klogCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) && !c.stopping.Load() {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c klogCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	enc := zapcore.NewMapObjectEncoder()
	for _, f := range append(append([]zapcore.Field(nil), c.fields...), fields...) {
		f.AddTo(enc)
	}
	kv := make([]any, 0, 2*len(enc.Fields)+2)
	kv = append(kv, "component", "etcd")
	for k, v := range enc.Fields {
		kv = append(kv, k, v)
	}
	if e.Level >= zapcore.ErrorLevel && !startupRace(e.Message, enc.Fields) {
		klog.ErrorS(nil, e.Message, kv...)
	} else {
		klog.V(1).InfoS(e.Message, kv...)
	}
	return nil
}

func (c klogCore) Sync() error { return nil }

// startupRace reports etcd's one known error of a healthy first start: when
// the single member elects itself within etcd's first backend commit (100
// ms; see TickMs in StartEmbedded), the storage version monitor finds no
// term stored yet. It tries again every 4 s, and then succeeds.
func startupRace(message string, fields map[string]any) bool {
	err, _ := fields["error"].(string)
	return message == "failed to update storage version" && strings.HasSuffix(err, "missing term information")
}
