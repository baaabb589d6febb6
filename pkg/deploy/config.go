package deploy

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Config describes an extension server deployed into a cluster.
type Config struct {
	// Name names the Service, the Deployment and the Secret.
	Name, Namespace string
	// Image runs the server binary as its entrypoint; the Deployment only
	// passes flags.
	Image string
	// Group and Versions are what the server serves; one APIService each.
	Group    string
	Versions []string
	// Replicas defaults to 2 with EtcdServers and is 1 without: embedded
	// storage lives on one pod's volume.
	Replicas int32
	// EtcdServers are the etcd the server stores in. Empty: embedded etcd
	// on a PersistentVolumeClaim of StorageSize.
	EtcdServers []string
	StorageSize string
	// ServiceAccount the pods run as and the RBAC binds;
	// DefaultServiceAccount if empty.
	ServiceAccount string
	// Serving is the CA and serving certificate; nil makes new ones.
	Serving *Serving
}

// containerPort is where the server listens in its pod.
const containerPort = 8443

// defaultStorageSize is the embedded etcd's volume when none is given.
const defaultStorageSize = "1Gi"

// complete fills in defaults and reports every invalid field at once.
func (c Config) complete() (Config, error) {
	if c.ServiceAccount == "" {
		c.ServiceAccount = DefaultServiceAccount
	}
	if c.StorageSize == "" {
		c.StorageSize = defaultStorageSize
	}
	embedded := len(c.EtcdServers) == 0
	if c.Replicas == 0 {
		c.Replicas = 2
		if embedded {
			c.Replicas = 1
		}
	}
	var errs []error
	check := func(field string, msgs []string) {
		if len(msgs) > 0 {
			errs = append(errs, fmt.Errorf("%s: %s", field, strings.Join(msgs, "; ")))
		}
	}
	// The Service name must be a DNS label (it heads the certificate's names).
	check("name "+quote(c.Name), validation.IsDNS1035Label(c.Name))
	check("namespace "+quote(c.Namespace), validation.IsDNS1123Label(c.Namespace))
	check("service account "+quote(c.ServiceAccount), validation.IsDNS1123Subdomain(c.ServiceAccount))
	if c.Image == "" {
		errs = append(errs, errors.New("image: required"))
	}
	if !strings.Contains(c.Group, ".") {
		errs = append(errs, fmt.Errorf("group %q: a full API group with a dot is required, e.g. insurance.example.com", c.Group))
	} else {
		check("group "+quote(c.Group), validation.IsDNS1123Subdomain(c.Group))
	}
	if len(c.Versions) == 0 {
		errs = append(errs, errors.New("versions: at least one is required"))
	}
	for _, v := range c.Versions {
		check("version "+quote(v), validation.IsDNS1035Label(v))
	}
	if c.Replicas < 0 {
		errs = append(errs, fmt.Errorf("replicas: %d is negative", c.Replicas))
	}
	if embedded && c.Replicas > 1 {
		errs = append(errs, fmt.Errorf("replicas: %d replicas need --etcd-servers; embedded storage keeps the data on one pod's volume, so it runs 1 replica", c.Replicas))
	}
	if _, err := resource.ParseQuantity(c.StorageSize); err != nil {
		errs = append(errs, fmt.Errorf("storage size %q: %w", c.StorageSize, err))
	}
	return c, errors.Join(errs...)
}

func quote(s string) string { return fmt.Sprintf("%q", s) }

// Objects are everything that runs the server in a cluster, in the order
// they are applied: Namespace, ServiceAccount, RBAC, the serving Secret,
// the embedded storage's claim (without EtcdServers), Deployment,
// PodDisruptionBudget, Service and one APIService per version.
func Objects(c Config) ([]runtime.Object, error) {
	c, err := c.complete()
	if err != nil {
		return nil, fmt.Errorf("deploy config: %w", err)
	}
	if c.Serving == nil {
		if c.Serving, err = NewServing(c.Name, c.Namespace); err != nil {
			return nil, err
		}
	}
	if err := c.Serving.verify(c.Name, c.Namespace); err != nil {
		return nil, fmt.Errorf("deploy config: %w", err)
	}
	objs := identityObjects(c.Name, c.Namespace, c.ServiceAccount)
	objs = append(objs, servingSecret(c))
	if len(c.EtcdServers) == 0 {
		objs = append(objs, dataClaim(c))
	}
	objs = append(objs, deployment(c), disruptionBudget(c), service(c))
	return append(objs, apiServices(c.Name, c.Namespace, c.Group, c.Versions, c.Serving.CA.CertPEM())...), nil
}

// APIServiceNames are the names of the APIServices Objects makes.
func (c Config) APIServiceNames() []string {
	var names []string
	for _, v := range c.Versions {
		names = append(names, APIServiceName(c.Group, v))
	}
	return names
}

// PKIDir is where WriteConfig keeps the serving CA and certificate, under
// the output folder. It is not part of the kustomization.
const PKIDir = "pki"

// WriteConfig makes c's objects with the serving CA and certificate kept
// under outDir/pki (reused on the next run, so the caBundle stays the same)
// and writes them to outDir with WriteYAML. It returns the objects.
func WriteConfig(outDir string, c Config) ([]runtime.Object, error) {
	if _, err := c.complete(); err != nil {
		return nil, fmt.Errorf("deploy config: %w", err)
	}
	if c.Serving == nil {
		var err error
		if c.Serving, err = LoadOrCreateServing(filepath.Join(outDir, PKIDir), c.Name, c.Namespace); err != nil {
			return nil, err
		}
	}
	objs, err := Objects(c)
	if err != nil {
		return nil, err
	}
	return objs, WriteYAML(outDir, objs)
}
