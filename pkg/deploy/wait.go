package deploy

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	aggregatorclient "k8s.io/kube-aggregator/pkg/client/clientset_generated/clientset"

	"github.com/aggkit/aggkit/pkg/childprocess"
)

// pollInterval is how often WaitAvailable lists the APIServices: one request
// each time, short since registering a local server should feel instant.
const pollInterval = 100 * time.Millisecond

// WaitAvailable returns once every named APIService has the condition
// Available=True. It writes a line to progress whenever an APIService's
// state changes. When ctx ends first, the error quotes each APIService that
// is not Available with its current reason and message.
func WaitAvailable(ctx context.Context, cfg *rest.Config, apiServices []string, progress io.Writer) error {
	cfg = rest.CopyConfig(cfg)
	// The poll interval is the rate limit; the client's own limiter would
	// only fail the last request before a deadline.
	cfg.QPS, cfg.RateLimiter = -1, nil
	client, err := aggregatorclient.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("wait for APIServices: %w", err)
	}
	last := map[string]string{}
	for {
		list, err := client.ApiregistrationV1().APIServices().List(ctx, metav1.ListOptions{})
		if ctx.Err() == nil {
			if err != nil {
				for _, name := range apiServices {
					last[name] = "cannot list APIServices: " + err.Error()
				}
			} else {
				report(progress, apiServices, last, states(list.Items, apiServices))
			}
		}
		var pending []string
		for _, name := range apiServices {
			if last[name] != available {
				pending = append(pending, name+": "+orDefault(last[name], "not read yet"))
			}
		}
		if len(pending) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("APIServices not Available (%w): %s", context.Cause(ctx), strings.Join(pending, "; "))
		case <-time.After(pollInterval):
		}
	}
}

const available = "Available"

// states describes each named APIService's Available condition in words.
func states(items []apiregistrationv1.APIService, names []string) map[string]string {
	out := map[string]string{}
	for _, name := range names {
		out[name] = "not found"
	}
	for _, svc := range items {
		if _, wanted := out[svc.Name]; wanted {
			out[svc.Name] = state(&svc)
		}
	}
	return out
}

func state(svc *apiregistrationv1.APIService) string {
	for _, c := range svc.Status.Conditions {
		if c.Type != apiregistrationv1.Available {
			continue
		}
		if c.Status == apiregistrationv1.ConditionTrue {
			return available
		}
		return fmt.Sprintf("Available=%s, reason %s: %s", c.Status, c.Reason, c.Message)
	}
	return "no Available condition yet"
}

// report writes the states that changed since last, and records them.
func report(progress io.Writer, names []string, last, now map[string]string) {
	for _, name := range names {
		s := now[name]
		if last[name] == s {
			continue
		}
		last[name] = s
		if progress != nil {
			fmt.Fprintf(progress, "apiservice/%s: %s\n", name, s)
		}
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// ServerClient reaches the extension server directly (not through the
// aggregator): it trusts the serving CA and presents the control plane's
// admin certificate, which the server accepts (its client CA comes from
// the control plane) and authorizes (system:masters is always allowed).
func ServerClient(admin *rest.Config, servingCA []byte, port int) (*rest.Config, *http.Client, error) {
	cfg := rest.AnonymousClientConfig(admin)
	cfg.CertData, cfg.KeyData = admin.CertData, admin.KeyData
	cfg.CertFile, cfg.KeyFile = admin.CertFile, admin.KeyFile
	cfg.Host = fmt.Sprintf("https://127.0.0.1:%d", port)
	cfg.CAData, cfg.CAFile = servingCA, ""
	client, err := rest.HTTPClientFor(cfg)
	return cfg, client, err
}

// WaitServerReady polls the /readyz of the extension server on
// 127.0.0.1:port, which servingCA verifies, until it answers ok or ctx ends.
// pkg/extension reports ready once it has loaded both CAs it authenticates
// with, so a probe from the aggregator after that is not taken for
// anonymous.
func WaitServerReady(ctx context.Context, admin *rest.Config, servingCA []byte, port int) error {
	cfg, client, err := ServerClient(admin, servingCA, port)
	if err != nil {
		return err
	}
	defer client.CloseIdleConnections()
	return childprocess.PollReadyz(ctx, client, cfg.Host, "server", nil, nil)
}
