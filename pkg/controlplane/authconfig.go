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
	certutil "k8s.io/client-go/util/cert"
	"k8s.io/client-go/util/retry"
	"k8s.io/klog/v2"
)

// authConfigMapName is where extension API servers read how to trust the
// aggregator and which client CA to honour.
const authConfigMapName = "extension-apiserver-authentication"

// authConfigResync repairs the ConfigMap if someone edits or deletes it.
const authConfigResync = time.Minute

// publishAuthenticationConfig keeps kube-system/extension-apiserver-authentication
// holding the flags and the current CA file contents, with kube-apiserver's
// keys and formats, merged with what other replicas publish (authmerge.go).
// It returns when ctx ends.
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
		"requestheader-allowed-names":        s.publishedAllowedNames(),
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

// publishedAllowedNames is --requestheader-allowed-names, or when that is
// empty the common name of the proxy client certificate: backends then
// accept this replica's proxy, not every certificate the front-proxy CA
// signed, and replicas sharing a proxy certificate publish the same names
// however their flags are spelled. Empty only without a readable proxy
// certificate.
func (s *Server) publishedAllowedNames() []string {
	if names := s.authn.requestHeader.AllowedClientNames.Value(); len(names) > 0 {
		return names
	}
	certs, err := certutil.CertsFromFile(s.opts.ProxyClientCertFile)
	if err != nil || certs[0].Subject.CommonName == "" {
		klog.ErrorS(err, "No common name in the proxy client certificate to publish as requestheader-allowed-names", "file", s.opts.ProxyClientCertFile)
		return nil
	}
	return []string{certs[0].Subject.CommonName}
}

// writeAuthConfigMap merges this replica's data into the ConfigMap (see
// mergeAuthConfigData), retrying when another replica wrote in between.
func (s *Server) writeAuthConfigMap(ctx context.Context) error {
	data, err := s.authConfigData()
	if err != nil {
		return err
	}
	cms := s.Client.CoreV1().ConfigMaps(metav1.NamespaceSystem)
	return retry.OnError(retry.DefaultRetry, func(err error) bool {
		return apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err)
	}, func() error {
		current, err := cms.Get(ctx, authConfigMapName, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: authConfigMapName, Namespace: metav1.NamespaceSystem}, Data: data}
			_, err = cms.Create(ctx, cm, metav1.CreateOptions{})
			return err
		}
		if err != nil {
			return err
		}
		merged, err := mergeAuthConfigData(current.Data, data)
		if err != nil {
			return err
		}
		if equality.Semantic.DeepEqual(current.Data, merged) {
			return nil
		}
		current.Data = merged
		_, err = cms.Update(ctx, current, metav1.UpdateOptions{})
		return err
	})
}

// listenerFunc adapts a function to dynamiccertificates' Listener.
type listenerFunc func()

func (f listenerFunc) Enqueue() { f() }
