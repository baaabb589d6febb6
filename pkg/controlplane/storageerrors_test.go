package controlplane

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"go.etcd.io/etcd/server/v3/embed"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// TestObjectTooLargeIs413 writes objects around the two limits a write
// meets: etcd's --max-request-bytes (1.5 MiB; met first, refused by etcd
// itself up to 2 MiB and by gRPC's message limit above) and the apiserver's
// 3 MiB body limit. Every refusal is a 413 Status naming the limit, and
// nothing is stored.
//
// ClusterRoles have no size validation, so one long resource name puts them
// at any size. ConfigMaps and Secrets hold at most 1 MiB of data, but with
// many small keys the managedFields that list each key carry the object
// past etcd's limit: the way a caller met the 500.
func TestObjectTooLargeIs413(t *testing.T) {
	ts := startServer(t, nil)
	ctx := context.Background()
	etcdLimit := int(embed.DefaultMaxRequestBytes)
	etcdMessage := strconv.Itoa(etcdLimit)
	roles := ts.client.RbacV1().ClusterRoles()
	role := func(name string, size int) *rbacv1.ClusterRole {
		return &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: []rbacv1.PolicyRule{{
			Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"configmaps"}, ResourceNames: []string{strings.Repeat("x", size)}}}}
	}

	roleSizes := []struct {
		name string
		size int
		// limit is in the message of the 413; empty when stored.
		limit string
	}{
		{name: "just under etcd's limit", size: etcdLimit - 8<<10},
		{name: "just over etcd's limit", size: etcdLimit, limit: etcdMessage},
		{name: "over gRPC's message limit", size: 5 << 19, limit: etcdMessage},
		{name: "over the body limit", size: 7 << 19, limit: "3145728"},
	}
	for i, tc := range roleSizes {
		t.Run("clusterrole "+tc.name, func(t *testing.T) {
			name := fmt.Sprintf("big-%d", i)
			_, err := roles.Create(ctx, role(name, tc.size), metav1.CreateOptions{})
			if tc.limit == "" {
				if err != nil {
					t.Fatalf("create of %d bytes: %v", tc.size, err)
				}
				return
			}
			expectTooLarge(t, err, tc.limit)
			if _, err := roles.Get(ctx, name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				t.Errorf("after the 413, get: %v, want NotFound", err)
			}
		})
	}

	// keys small entries of 16 bytes: 60k of them are 960 KB of data,
	// under the 1 MiB validation allows, and about 2 MiB stored.
	keys := func(n int) map[string]string {
		data := make(map[string]string, n)
		for i := range n {
			data[fmt.Sprintf("k%05d", i)] = "0123456789"
		}
		return data
	}
	t.Run("configmap with many keys", func(t *testing.T) {
		cms := ts.client.CoreV1().ConfigMaps(metav1.NamespaceDefault)
		for _, n := range []int{45000, 60000} {
			name := fmt.Sprintf("keys-%d", n)
			_, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name}, Data: keys(n)}, metav1.CreateOptions{})
			expectTooLarge(t, err, etcdMessage)
			if _, err := cms.Get(ctx, name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				t.Errorf("after the 413, get %s: %v, want NotFound", name, err)
			}
		}
	})
	t.Run("secret with many keys", func(t *testing.T) {
		secrets := ts.client.CoreV1().Secrets(metav1.NamespaceDefault)
		data := map[string][]byte{}
		for k, v := range keys(60000) {
			data[k] = []byte(v)
		}
		_, err := secrets.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "keys"}, Data: data}, metav1.CreateOptions{})
		expectTooLarge(t, err, etcdMessage)
		if _, err := secrets.Get(ctx, "keys", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("after the 413, get: %v, want NotFound", err)
		}
	})

	t.Run("patch and update past etcd's limit", func(t *testing.T) {
		small, err := roles.Create(ctx, role("grows", 10), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		patch := fmt.Sprintf(`{"rules":[{"verbs":["get"],"apiGroups":[""],"resources":["configmaps"],"resourceNames":[%q]}]}`, strings.Repeat("x", etcdLimit))
		_, err = roles.Patch(ctx, "grows", types.MergePatchType, []byte(patch), metav1.PatchOptions{})
		expectTooLarge(t, err, etcdMessage)
		_, err = roles.Update(ctx, role("grows", etcdLimit), metav1.UpdateOptions{})
		expectTooLarge(t, err, etcdMessage)
		now, err := roles.Get(ctx, "grows", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if now.ResourceVersion != small.ResourceVersion {
			t.Errorf("after the 413s: resourceVersion %s, was %s", now.ResourceVersion, small.ResourceVersion)
		}
	})
}

func expectTooLarge(t *testing.T, err error, limit string) {
	t.Helper()
	status, ok := err.(apierrors.APIStatus)
	if !ok {
		t.Fatalf("error %v (%T), want a 413 Status", err, err)
	}
	s := status.Status()
	if s.Code != 413 || s.Reason != metav1.StatusReasonRequestEntityTooLarge || !strings.Contains(s.Message, limit) {
		t.Errorf("status %d %s %q, want 413 RequestEntityTooLarge naming %s", s.Code, s.Reason, s.Message, limit)
	}
}
