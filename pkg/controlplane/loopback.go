package controlplane

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
	genericoptions "k8s.io/apiserver/pkg/server/options"

	"github.com/aggkit/aggkit/pkg/pki"
)

// loopbackValidity matches what k8s.io/apiserver gives its loopback
// certificate; it lives only as long as the process.
const loopbackValidity = (3*365 + 1) * 24 * time.Hour

// applyServing does what SecureServingOptionsWithLoopback.ApplyTo does, with
// a P-256 loopback certificate: ApplyTo generates two RSA-2048 keys on every
// start, 50-300 ms of CPU before anything else can go on.
func applyServing(o *genericoptions.SecureServingOptionsWithLoopback, cfg *genericapiserver.Config) error {
	if err := o.SecureServingOptions.ApplyTo(&cfg.SecureServing); err != nil {
		return err
	}
	certPEM, keyPEM, err := loopbackCertificate()
	if err != nil {
		return fmt.Errorf("loopback certificate: %w", err)
	}
	provider, err := dynamiccertificates.NewStaticSNICertKeyContent("self-signed loopback", certPEM, keyPEM, genericapiserver.LoopbackClientServerNameOverride)
	if err != nil {
		return fmt.Errorf("loopback certificate: %w", err)
	}
	// First, so that it wins over any other certificate for the same name.
	cfg.SecureServing.SNICerts = append([]dynamiccertificates.SNICertKeyContentProvider{provider}, cfg.SecureServing.SNICerts...)
	token, err := loopbackToken()
	if err != nil {
		return err
	}
	// Complete authorizes the token as system:masters.
	if cfg.LoopbackClientConfig, err = cfg.SecureServing.NewLoopbackClientConfig(token, certPEM); err != nil {
		return err
	}
	// As kube-apiserver: no gzip between the server and itself. Each of
	// the server's own informers would otherwise keep a gzip compressor on
	// its watch (3 MiB of idle heap in all) and compress every event.
	cfg.LoopbackClientConfig.DisableCompression = true
	return nil
}

// loopbackCertificate is a self-signed serving certificate for the name
// the loopback client asks for; the client trusts exactly this certificate.
func loopbackCertificate() (certPEM, keyPEM []byte, err error) {
	name := genericapiserver.LoopbackClientServerNameOverride
	return pki.SelfSigned(pki.CertSpec{
		CommonName: fmt.Sprintf("%s@%d", name, time.Now().Unix()),
		DNSNames:   []string{name},
		Server:     true,
	}, loopbackValidity)
}

// loopbackToken is the bearer token the loopback client presents.
func loopbackToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}
