package controlplane

import (
	"context"
	"encoding/json"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
	"k8s.io/klog/v2"
)

// authConfigMapName is where extension API servers read how to trust the
// aggregator and which client CA to honour.
const authConfigMapName = "extension-apiserver-authentication"

// authConfigResync repairs the ConfigMap if someone edits or deletes it.
const authConfigResync = time.Minute

// publishAuthenticationConfig keeps kube-system/extension-apiserver-authentication
// equal to the flags and the current CA file contents, with kube-apiserver's
// keys and formats. It returns when ctx ends.
func (s *Server) publishAuthenticationConfig(ctx context.Context) {
	changed := make(chan struct{}, 1)
	notify := listenerFunc(func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	})
	s.authn.clientCAFile.AddListener(notify)
	if n, ok := s.authn.requestHeader.CAContentProvider.(dynamiccertificates.Notifier); ok {
		n.AddListener(notify)
	}

	for {
		if err := s.writeAuthConfigMap(ctx); err != nil {
			klog.ErrorS(err, "Publishing the extension-apiserver-authentication ConfigMap failed; retrying")
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
				continue
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-changed:
		case <-time.After(authConfigResync):
		}
	}
}

func (s *Server) authConfigData() (map[string]string, error) {
	rh := s.authn.requestHeader
	lists := map[string][]string{
		"requestheader-username-headers":     rh.UsernameHeaders.Value(),
		"requestheader-group-headers":        rh.GroupHeaders.Value(),
		"requestheader-extra-headers-prefix": rh.ExtraHeaderPrefixes.Value(),
		"requestheader-allowed-names":        rh.AllowedClientNames.Value(),
	}
	if uid := rh.UIDHeaders.Value(); len(uid) > 0 {
		lists["requestheader-uid-headers"] = uid
	}
	data := map[string]string{
		"client-ca-file":               string(s.authn.clientCAFile.CurrentCABundleContent()),
		"requestheader-client-ca-file": string(rh.CAContentProvider.CurrentCABundleContent()),
	}
	for key, list := range lists {
		if list == nil {
			list = []string{}
		}
		encoded, err := json.Marshal(list)
		if err != nil {
			return nil, err
		}
		data[key] = string(encoded)
	}
	return data, nil
}

func (s *Server) writeAuthConfigMap(ctx context.Context) error {
	data, err := s.authConfigData()
	if err != nil {
		return err
	}
	cms := s.Client.CoreV1().ConfigMaps(metav1.NamespaceSystem)
	current, err := cms.Get(ctx, authConfigMapName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: authConfigMapName, Namespace: metav1.NamespaceSystem}, Data: data}
		_, err = cms.Create(ctx, cm, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	if equality.Semantic.DeepEqual(current.Data, data) {
		return nil
	}
	current.Data = data
	_, err = cms.Update(ctx, current, metav1.UpdateOptions{})
	return err
}

// listenerFunc adapts a function to dynamiccertificates' Listener.
type listenerFunc func()

func (f listenerFunc) Enqueue() { f() }
