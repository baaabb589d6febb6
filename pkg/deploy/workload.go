package deploy

import (
	"maps"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// Paths inside the server's container.
const (
	servingMount = "/var/run/aggkit/serving"
	dataMount    = "/var/lib/aggkit"
	// nonRootUser is the distroless "nonroot" user; any non-root UID works.
	nonRootUser = 65532
)

// servingSecretName is the kubernetes.io/tls Secret holding the serving
// certificate (tls.crt, tls.key) and its CA (ca.crt, public only).
func servingSecretName(c Config) string { return c.Name + "-serving-cert" }

func dataClaimName(c Config) string { return c.Name + "-data" }

// podLabels select the server's pods; the Service, Deployment and
// PodDisruptionBudget use them.
func podLabels(c Config) map[string]string {
	return map[string]string{"app.kubernetes.io/name": c.Name, "app.kubernetes.io/component": "apiserver"}
}

func objectMeta(c Config, name string) metav1.ObjectMeta {
	labels := commonLabels(c.Name)
	maps.Copy(labels, podLabels(c))
	return metav1.ObjectMeta{Name: name, Namespace: c.Namespace, Labels: labels}
}

func servingSecret(c Config) *corev1.Secret {
	return &corev1.Secret{
		TypeMeta:   typeMeta("v1", "Secret"),
		ObjectMeta: objectMeta(c, servingSecretName(c)),
		Type:       corev1.SecretTypeTLS,
		Data: map[string][]byte{
			corev1.TLSCertKey:       c.Serving.CertPEM,
			corev1.TLSPrivateKeyKey: c.Serving.KeyPEM,
			"ca.crt":                c.Serving.CA.CertPEM(),
		},
	}
}

// dataClaim is the volume of the embedded etcd, so a restarted or
// rescheduled pod finds its data again.
func dataClaim(c Config) *corev1.PersistentVolumeClaim {
	return &corev1.PersistentVolumeClaim{
		TypeMeta:   typeMeta("v1", "PersistentVolumeClaim"),
		ObjectMeta: objectMeta(c, dataClaimName(c)),
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{
				corev1.ResourceStorage: resource.MustParse(c.StorageSize)}},
		},
	}
}

func serverArgs(c Config) []string {
	args := []string{
		"--secure-port=" + strconv.Itoa(containerPort),
		"--tls-cert-file=" + servingMount + "/" + corev1.TLSCertKey,
		"--tls-private-key-file=" + servingMount + "/" + corev1.TLSPrivateKeyKey,
	}
	if len(c.EtcdServers) > 0 {
		return append(args, "--etcd-servers="+strings.Join(c.EtcdServers, ","))
	}
	return append(args, "--data-dir="+dataMount+"/data")
}

func deployment(c Config) *appsv1.Deployment {
	probe := func(path string, failures int32) *corev1.Probe {
		return &corev1.Probe{
			ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
				Path: path, Port: intstr.FromString("https"), Scheme: corev1.URISchemeHTTPS}},
			PeriodSeconds: 10, TimeoutSeconds: 5, FailureThreshold: failures,
		}
	}
	volumes := []corev1.Volume{
		{Name: "serving-cert", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
			SecretName: servingSecretName(c), DefaultMode: ptr.To[int32](0o440)}}},
		// The root filesystem is read-only; some libraries still want /tmp.
		{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
	}
	mounts := []corev1.VolumeMount{
		{Name: "serving-cert", MountPath: servingMount, ReadOnly: true},
		{Name: "tmp", MountPath: "/tmp"},
	}
	strategy := appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType}
	if len(c.EtcdServers) == 0 {
		volumes = append(volumes, corev1.Volume{Name: "data", VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: dataClaimName(c)}}})
		mounts = append(mounts, corev1.VolumeMount{Name: "data", MountPath: dataMount})
		// Two pods must never run etcd on the same data: the old pod stops
		// before the new one starts.
		strategy = appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType}
	}
	pod := corev1.PodSpec{
		ServiceAccountName: c.ServiceAccount,
		SecurityContext: &corev1.PodSecurityContext{
			RunAsNonRoot: ptr.To(true), RunAsUser: ptr.To[int64](nonRootUser), RunAsGroup: ptr.To[int64](nonRootUser),
			// Makes the data volume and the Secret readable by that user.
			FSGroup:        ptr.To[int64](nonRootUser),
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
		Containers: []corev1.Container{{
			Name:  "apiserver",
			Image: c.Image,
			Args:  serverArgs(c),
			Ports: []corev1.ContainerPort{{Name: "https", ContainerPort: containerPort, Protocol: corev1.ProtocolTCP}},
			Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
				Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("512Mi")},
			},
			ReadinessProbe: probe("/readyz", 3),
			LivenessProbe:  probe("/livez", 6),
			StartupProbe:   probe("/livez", 30),
			SecurityContext: &corev1.SecurityContext{
				AllowPrivilegeEscalation: ptr.To(false), ReadOnlyRootFilesystem: ptr.To(true),
				Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			},
			VolumeMounts: mounts,
		}},
		Volumes: volumes,
	}
	if c.Replicas > 1 {
		// Spread replicas over nodes where the scheduler can.
		pod.Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
			PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{
				Weight: 100, PodAffinityTerm: corev1.PodAffinityTerm{
					TopologyKey: corev1.LabelHostname, LabelSelector: &metav1.LabelSelector{MatchLabels: podLabels(c)}},
			}},
		}}
	}
	meta := objectMeta(c, c.Name)
	return &appsv1.Deployment{
		TypeMeta:   typeMeta(appsv1.SchemeGroupVersion.String(), "Deployment"),
		ObjectMeta: meta,
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(c.Replicas),
			Selector: &metav1.LabelSelector{MatchLabels: podLabels(c)},
			Strategy: strategy,
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: meta.Labels}, Spec: pod},
		},
	}
}

// disruptionBudget lets a drain take one pod at a time: with 2 replicas one
// keeps serving, and a single replica can still be moved.
func disruptionBudget(c Config) *policyv1.PodDisruptionBudget {
	return &policyv1.PodDisruptionBudget{
		TypeMeta:   typeMeta(policyv1.SchemeGroupVersion.String(), "PodDisruptionBudget"),
		ObjectMeta: objectMeta(c, c.Name),
		Spec: policyv1.PodDisruptionBudgetSpec{
			MaxUnavailable: ptr.To(intstr.FromInt32(1)),
			Selector:       &metav1.LabelSelector{MatchLabels: podLabels(c)},
		},
	}
}

func service(c Config) *corev1.Service {
	return &corev1.Service{
		TypeMeta:   typeMeta("v1", "Service"),
		ObjectMeta: objectMeta(c, c.Name),
		Spec: corev1.ServiceSpec{
			Selector: podLabels(c),
			Ports: []corev1.ServicePort{{Name: "https", Protocol: corev1.ProtocolTCP, Port: servicePort,
				TargetPort: intstr.FromString("https")}},
		},
	}
}
