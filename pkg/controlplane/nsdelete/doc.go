// Package nsdelete is the namespace deletion controller of aggkit's built-in
// control plane. It does what Kubernetes' namespace controller does for a
// namespace whose metadata.deletionTimestamp is set: it finds every
// namespaced resource type served anywhere (built-in, CRD-like or aggregated)
// through discovery, deletes all content of the namespace with the metadata
// client, reports progress in the namespace's status conditions, and, once the
// namespace is empty, removes the "kubernetes" finalizer through the finalize
// subresource and deletes the namespace.
//
// The controller has the usual shape: namespace informer events enqueue a key
// into a rate-limited workqueue, and workers call the sync func on each key.
// Namespaces whose content is still going away (objects held by their own
// finalizers) are requeued with rate limiting until they are empty.
package nsdelete
