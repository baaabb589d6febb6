package aggtest_test

import (
	"context"
	"fmt"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/aggkit/aggkit/examples/wardle/server"
	"github.com/aggkit/aggkit/pkg/aggtest"
)

// A test of an extension server through the aggregator, as a user would
// reach it: the control plane and the server run in the test process.
func ExampleStart() {
	var t *testing.T // the test's own t

	env := aggtest.Start(t, server.New())
	client := dynamic.NewForConfigOrDie(env.Config)
	flunders := schema.GroupVersionResource{Group: server.Group, Version: "v1beta1", Resource: "flunders"}
	list, err := client.Resource(flunders).Namespace("default").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println(len(list.Items))
}
