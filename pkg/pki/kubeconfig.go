package pki

import (
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Kubeconfig describes a one-cluster, one-user kubeconfig.
type Kubeconfig struct {
	Server    string
	CAPEM     []byte
	CertPEM   []byte
	KeyPEM    []byte
	Token     string
	Context   string // defaults to "aggkit"
	Namespace string
}

// Write stores the kubeconfig at path with owner-only permissions: it holds
// credentials.
func (k Kubeconfig) Write(path string) error {
	data, err := clientcmd.Write(k.Config())
	if err != nil {
		return err
	}
	return writeFile(path, data, 0o600)
}

// Config returns the kubeconfig as client-go's structure.
func (k Kubeconfig) Config() clientcmdapi.Config {
	name := k.Context
	if name == "" {
		name = "aggkit"
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[name] = &clientcmdapi.Cluster{Server: k.Server, CertificateAuthorityData: k.CAPEM}
	cfg.AuthInfos[name] = &clientcmdapi.AuthInfo{ClientCertificateData: k.CertPEM, ClientKeyData: k.KeyPEM, Token: k.Token}
	cfg.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: name, Namespace: k.Namespace}
	cfg.CurrentContext = name
	return *cfg
}
