package availability_test

import (
	"context"
	"os"
	"time"

	"k8s.io/apiserver/pkg/server/dynamiccertificates"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/component-base/metrics/legacyregistry"
	aggregatorclient "k8s.io/kube-aggregator/pkg/client/clientset_generated/clientset"
	aggregatorinformers "k8s.io/kube-aggregator/pkg/client/informers/externalversions"

	"github.com/aggkit/aggkit/pkg/aggregator/availability"
	"github.com/aggkit/aggkit/pkg/aggregator/backend"
	"github.com/aggkit/aggkit/pkg/aggregator/resolve"
)

// How a server wires the controller, with one writer elected among replicas.
func ExampleNew() {
	ctx := context.Background()
	config := &rest.Config{Host: "https://127.0.0.1:6443"} // the server's loopback config
	kube := kubernetes.NewForConfigOrDie(config)
	aggregator := aggregatorclient.NewForConfigOrDie(config)
	kubeInformers := informers.NewSharedInformerFactory(kube, 10*time.Minute)
	aggregatorInformers := aggregatorinformers.NewSharedInformerFactory(aggregator, 10*time.Minute)

	proxyCert, err := dynamiccertificates.NewDynamicServingContentFromFiles("aggregator-proxy-cert", "proxy.crt", "proxy.key")
	if err != nil {
		panic(err)
	}
	services := kubeInformers.Core().V1().Services()
	slices := kubeInformers.Discovery().V1().EndpointSlices()
	endpoints := kubeInformers.Core().V1().Endpoints()

	var controller *availability.Controller
	hostname, _ := os.Hostname()
	elector, err := availability.NewLeaseElector(availability.LeaseConfig{
		Client:           kube.CoordinationV1(),
		Identity:         hostname, // add a random suffix in real use
		OnStartedLeading: func() { controller.Resync() },
	})
	if err != nil {
		panic(err)
	}
	metrics := availability.NewMetrics()
	if err := metrics.Register(legacyregistry.Register); err != nil {
		panic(err)
	}
	controller, err = availability.New(availability.Config{
		APIServiceClient:      aggregator.ApiregistrationV1(),
		APIServiceInformer:    aggregatorInformers.Apiregistration().V1().APIServices(),
		ServiceInformer:       services,
		EndpointSliceInformer: slices,
		EndpointsInformer:     endpoints,
		Resolver:              resolve.NewEndpointResolver(services.Lister(), slices.Lister(), endpoints.Lister()),
		Transports:            backend.NewTransports(proxyCert), // share it with the proxy
		Metrics:               metrics,
		Elector:               elector,
	})
	if err != nil {
		panic(err)
	}

	kubeInformers.Start(ctx.Done())
	aggregatorInformers.Start(ctx.Done())
	go elector.Run(ctx)
	go controller.Run(ctx, 5)
}
