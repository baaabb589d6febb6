package ipalloc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/aggkit/aggkit/pkg/controlplane"
	"github.com/aggkit/aggkit/pkg/controlplane/ipalloc"
	"github.com/aggkit/aggkit/pkg/etcd"
)

const ipKeys = "/registry/aggkit.io/allocations/serviceips/"

// TestServiceAllocationRepairAfterRestart damages the allocations while
// the control plane is down, as a crash or an older aggkit would leave
// them, and checks that the restarted one repairs them before it is ready.
func TestServiceAllocationRepairAfterRestart(t *testing.T) {
	dir := dataDir(t)
	narrowPorts := func(o *controlplane.Options) { smallNodePorts(o) }
	s := startServer(t, dir, narrowPorts)
	mustCreate(t, s, service("kept", withClusterIP("10.0.0.5")))
	mustCreate(t, s, service("np", withType(corev1.ServiceTypeNodePort), withNodePorts(30007)))
	mustCreate(t, s, service("legacy"))
	s.stop()

	store, err := etcd.StartEmbedded(context.Background(), dir+"/etcd")
	if err != nil {
		t.Fatal(err)
	}
	client, err := clientv3.New(clientv3.Config{Endpoints: []string{store.ClientURL}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	mustEtcd := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// A lost allocation: the Service holds 10.0.0.5, its key is gone.
	mustEtcd(client.Delete(ctx, ipKeys+"10.0.0.5"))
	// Leaks from a crash between allocating and storing: an old one, and
	// one young enough to belong to a create still in flight.
	mustEtcd(client.Put(ctx, ipKeys+"10.0.0.6", owner(t, "ghost", time.Now().Add(-time.Hour))))
	mustEtcd(client.Put(ctx, ipKeys+"10.0.0.7", owner(t, "in-flight", time.Now())))
	// A Service stored before allocation existed.
	legacyIP := stripClusterIP(t, client, "legacy")
	mustEtcd(client.Delete(ctx, ipKeys+legacyIP))
	client.Close()
	store.Stop()

	s = startServer(t, dir, narrowPorts)
	cases := []struct {
		name, ip  string
		wantTaken bool
	}{
		{name: "a lost allocation is restored", ip: "10.0.0.5", wantTaken: true},
		{name: "an old leak is freed", ip: "10.0.0.6"},
		{name: "a young leak is kept", ip: "10.0.0.7", wantTaken: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := create(t, s, service("probe-"+strings.ReplaceAll(tc.ip, ".", "-"), withClusterIP(tc.ip)))
			if tc.wantTaken {
				wantInvalid(t, err, "spec.clusterIPs[0]", "provided IP is already allocated")
			} else if err != nil {
				t.Fatalf("%s should be free again: %v", tc.ip, err)
			}
		})
	}
	t.Run("a node port survives the restart", func(t *testing.T) {
		_, err := create(t, s, service("np-probe", withType(corev1.ServiceTypeNodePort), withNodePorts(30007)))
		wantInvalid(t, err, "spec.ports[0].nodePort", "provided port is already allocated")
	})
	t.Run("a Service stored without a cluster IP gets one", func(t *testing.T) {
		svc, err := s.client.CoreV1().Services(metav1.NamespaceDefault).Get(ctx, "legacy", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		wantDynamicIP(t, svc.Spec.ClusterIP, "10.0.0.0/24")
		_, err = create(t, s, service("legacy-probe", withClusterIP(svc.Spec.ClusterIP)))
		wantInvalid(t, err, "spec.clusterIPs[0]", "provided IP is already allocated")
	})
}

func owner(t *testing.T, name string, allocated time.Time) string {
	t.Helper()
	value, err := json.Marshal(ipalloc.Owner{Namespace: metav1.NamespaceDefault, Name: name, Allocated: allocated})
	if err != nil {
		t.Fatal(err)
	}
	return string(value)
}

// stripClusterIP rewrites the stored Service without its cluster IP and
// returns the IP it had.
func stripClusterIP(t *testing.T, client *clientv3.Client, name string) string {
	t.Helper()
	ctx := context.Background()
	resp, err := client.Get(ctx, "/registry/services/", clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	codec := protobuf.NewSerializer(scheme.Scheme, scheme.Scheme)
	for _, kv := range resp.Kvs {
		if !strings.HasSuffix(string(kv.Key), "/default/"+name) {
			continue
		}
		obj, _, err := codec.Decode(kv.Value, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		svc := obj.(*corev1.Service)
		ip := svc.Spec.ClusterIP
		svc.Spec.ClusterIP, svc.Spec.ClusterIPs = "", nil
		svc.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "Service"}
		var buf bytes.Buffer
		if err := codec.Encode(svc, &buf); err != nil {
			t.Fatal(err)
		}
		if _, err := client.Put(ctx, string(kv.Key), buf.String()); err != nil {
			t.Fatal(err)
		}
		return ip
	}
	t.Fatalf("no stored Service default/%s", name)
	return ""
}
