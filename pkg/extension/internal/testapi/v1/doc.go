// Package v1 is a small API (group test.aggkit.io) that exercises every
// optional interface of package extension in its tests: Widget is stored and
// uses them all, Gauge is computed.
//
// +k8s:openapi-gen=true
// +k8s:deepcopy-gen=package
// +groupName=test.aggkit.io
// +k8s:openapi-model-package=io.aggkit.test.v1
package v1
