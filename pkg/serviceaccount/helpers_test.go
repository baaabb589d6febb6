package serviceaccount

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// objectStore is an in-memory stand-in for the API's storage: it answers
// like a lister, NotFound included.
type objectStore struct {
	mu              sync.Mutex
	serviceAccounts map[string]*corev1.ServiceAccount
	secrets         map[string]*corev1.Secret
	pods            map[string]*corev1.Pod
}

func newObjectStore() *objectStore {
	return &objectStore{
		serviceAccounts: map[string]*corev1.ServiceAccount{},
		secrets:         map[string]*corev1.Secret{},
		pods:            map[string]*corev1.Pod{},
	}
}

func (s *objectStore) addServiceAccount(ns, name string, uid types.UID) *corev1.ServiceAccount {
	s.mu.Lock()
	defer s.mu.Unlock()
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: uid}}
	s.serviceAccounts[ns+"/"+name] = sa
	return sa
}

func (s *objectStore) addSecret(ns, name string, uid types.UID) *corev1.Secret {
	s.mu.Lock()
	defer s.mu.Unlock()
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: uid}}
	s.secrets[ns+"/"+name] = secret
	return secret
}

func (s *objectStore) addPod(ns, name string, uid types.UID, serviceAccount string) *corev1.Pod {
	s.mu.Lock()
	defer s.mu.Unlock()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: uid},
		Spec:       corev1.PodSpec{ServiceAccountName: serviceAccount},
	}
	s.pods[ns+"/"+name] = pod
	return pod
}

func (s *objectStore) delete(kind, ns, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := ns + "/" + name
	switch kind {
	case "ServiceAccount":
		delete(s.serviceAccounts, key)
	case "Secret":
		delete(s.secrets, key)
	case "Pod":
		delete(s.pods, key)
	}
}

func (s *objectStore) GetServiceAccount(_ context.Context, ns, name string) (*corev1.ServiceAccount, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sa, ok := s.serviceAccounts[ns+"/"+name]; ok {
		return sa.DeepCopy(), nil
	}
	return nil, apierrors.NewNotFound(corev1.Resource("serviceaccounts"), name)
}

func (s *objectStore) GetSecret(_ context.Context, ns, name string) (*corev1.Secret, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if secret, ok := s.secrets[ns+"/"+name]; ok {
		return secret.DeepCopy(), nil
	}
	return nil, apierrors.NewNotFound(corev1.Resource("secrets"), name)
}

func (s *objectStore) GetPod(_ context.Context, ns, name string) (*corev1.Pod, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if pod, ok := s.pods[ns+"/"+name]; ok {
		return pod.DeepCopy(), nil
	}
	return nil, apierrors.NewNotFound(corev1.Resource("pods"), name)
}

var (
	rsaKeyOnce sync.Once
	rsaKey     *rsa.PrivateKey
)

// testRSAKey generates one 2048-bit key per test binary; RSA generation is
// slow on the shared 2-core machine.
func testRSAKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	rsaKeyOnce.Do(func() {
		var err error
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return rsaKey
}

func testECKey(t *testing.T, curve elliptic.Curve) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func mustIssuer(t *testing.T, name string, key crypto.Signer) *Issuer {
	t.Helper()
	iss, err := NewIssuer(name, key)
	if err != nil {
		t.Fatal(err)
	}
	return iss
}
