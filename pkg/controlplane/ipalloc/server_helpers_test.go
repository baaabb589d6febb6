package ipalloc_test

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/aggkit/aggkit/pkg/controlplane"
	"github.com/aggkit/aggkit/pkg/controlplane/inprocess"
)

// testServer is a real aggkit control plane in this process.
type testServer struct {
	client kubernetes.Interface
	stop   func()
}

// startServer runs a control plane on dataDir (its own embedded etcd
// unless configure sets --etcd-servers) until the test ends or stop is
// called, and returns once /readyz is ok: the first repair has then run.
func startServer(t *testing.T, dataDir string, configure func(*controlplane.Options)) *testServer {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	opts := controlplane.NewOptions()
	opts.DataDir = dataDir
	opts.SecureServing.Listener = listener
	opts.SecureServing.BindPort = listener.Addr().(*net.TCPAddr).Port
	if configure != nil {
		configure(opts)
	}
	cp, err := inprocess.StartWith(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			if err := cp.Stop(); err != nil {
				t.Logf("aggkit stopped: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	cfg := rest.CopyConfig(cp.Admin)
	cfg.QPS, cfg.Burst = -1, 0
	return &testServer{client: kubernetes.NewForConfigOrDie(cfg), stop: stop}
}

func dataDir(t *testing.T) string { return filepath.Join(t.TempDir(), "aggkit") }

// service is a ClusterIP Service with one port, changed by edits.
func service(name string, edits ...func(*corev1.Service)) *corev1.Service {
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: metav1.NamespaceDefault},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "https", Port: 443, TargetPort: intstr.FromInt32(8443)}}}}
	for _, edit := range edits {
		edit(svc)
	}
	return svc
}

func withClusterIP(ip string) func(*corev1.Service) {
	return func(svc *corev1.Service) { svc.Spec.ClusterIP = ip }
}

func withType(typ corev1.ServiceType) func(*corev1.Service) {
	return func(svc *corev1.Service) {
		svc.Spec.Type = typ
		if typ == corev1.ServiceTypeExternalName {
			svc.Spec.ExternalName = "example.com"
		}
	}
}

func withNodePorts(ports ...int32) func(*corev1.Service) {
	return func(svc *corev1.Service) {
		svc.Spec.Ports = nil
		for i, p := range ports {
			svc.Spec.Ports = append(svc.Spec.Ports, corev1.ServicePort{Name: "p" + string(rune('a'+i)), Port: int32(80 + i), NodePort: p})
		}
	}
}

func create(t *testing.T, s *testServer, svc *corev1.Service) (*corev1.Service, error) {
	t.Helper()
	return s.client.CoreV1().Services(svc.Namespace).Create(context.Background(), svc, metav1.CreateOptions{})
}

func mustCreate(t *testing.T, s *testServer, svc *corev1.Service) *corev1.Service {
	t.Helper()
	out, err := create(t, s, svc)
	if err != nil {
		t.Fatalf("create %s: %v", svc.Name, err)
	}
	return out
}

func mustDelete(t *testing.T, s *testServer, name string) {
	t.Helper()
	if err := s.client.CoreV1().Services(metav1.NamespaceDefault).Delete(context.Background(), name, metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete %s: %v", name, err)
	}
}

// wantInvalid checks a 422 with a field error at path whose detail has
// detail in it.
func wantInvalid(t *testing.T, err error, path, detail string) {
	t.Helper()
	if !apierrors.IsInvalid(err) {
		t.Fatalf("want 422 Invalid at %s, got %v", path, err)
	}
	for _, cause := range err.(apierrors.APIStatus).Status().Details.Causes {
		if cause.Field == path && strings.Contains(cause.Message, detail) {
			return
		}
	}
	t.Fatalf("want a field error at %s saying %q, got %v", path, detail, err)
}
