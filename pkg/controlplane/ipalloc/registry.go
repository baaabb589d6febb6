package ipalloc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// errAllocated reports an item some Service already holds.
var errAllocated = errors.New("already allocated")

// Owner names the Service an item is allocated to, and when.
type Owner struct {
	Namespace string    `json:"namespace"`
	Name      string    `json:"name"`
	Allocated time.Time `json:"allocated"`
}

func (o Owner) sameService(other Owner) bool {
	return o.Namespace == other.Namespace && o.Name == other.Name
}

// claim is one allocated item as stored: its owner and the etcd revision
// that wrote it, which a release compares so that it never removes a later
// allocation of the same item.
type claim struct {
	item     string
	owner    Owner
	revision int64
}

// registry keeps one etcd key per allocated item under prefix.
type registry struct {
	client *clientv3.Client
	prefix string
}

func (r *registry) key(item string) string { return r.prefix + item }

// claim allocates item to owner if nobody holds it; errAllocated otherwise.
func (r *registry) claim(ctx context.Context, item string, owner Owner) (int64, error) {
	value, err := json.Marshal(owner)
	if err != nil {
		return 0, err
	}
	key := r.key(item)
	resp, err := r.client.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, string(value))).
		Commit()
	if err != nil {
		return 0, fmt.Errorf("allocate %s: %w", key, err)
	}
	if !resp.Succeeded {
		return 0, errAllocated
	}
	return resp.Header.Revision, nil
}

// taken lists the allocated items.
func (r *registry) taken(ctx context.Context) (map[string]bool, error) {
	resp, err := r.client.Get(ctx, r.prefix, clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", r.prefix, err)
	}
	items := make(map[string]bool, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		items[strings.TrimPrefix(string(kv.Key), r.prefix)] = true
	}
	return items, nil
}

// isTaken reports whether item is allocated.
func (r *registry) isTaken(ctx context.Context, item string) (bool, error) {
	resp, err := r.client.Get(ctx, r.key(item), clientv3.WithCountOnly())
	if err != nil {
		return false, fmt.Errorf("read %s: %w", r.key(item), err)
	}
	return resp.Count > 0, nil
}

// list returns every claim. A value that does not parse (written by hand)
// keeps a zero owner, which repair treats as unused and long allocated.
func (r *registry) list(ctx context.Context) ([]claim, error) {
	resp, err := r.client.Get(ctx, r.prefix, clientv3.WithPrefix())
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", r.prefix, err)
	}
	claims := make([]claim, 0, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		c := claim{item: strings.TrimPrefix(string(kv.Key), r.prefix), revision: kv.ModRevision}
		_ = json.Unmarshal(kv.Value, &c.owner)
		claims = append(claims, c)
	}
	return claims, nil
}

// release frees item if it is still the allocation written at revision.
func (r *registry) release(ctx context.Context, item string, revision int64) error {
	key := r.key(item)
	_, err := r.client.Txn(ctx).
		If(clientv3.Compare(clientv3.ModRevision(key), "=", revision)).
		Then(clientv3.OpDelete(key)).
		Commit()
	if err != nil {
		return fmt.Errorf("release %s: %w", key, err)
	}
	return nil
}

// releaseOwned frees item if it is allocated to owner's Service.
func (r *registry) releaseOwned(ctx context.Context, item string, owner Owner) error {
	resp, err := r.client.Get(ctx, r.key(item))
	if err != nil {
		return fmt.Errorf("read %s: %w", r.key(item), err)
	}
	if len(resp.Kvs) == 0 {
		return nil
	}
	var current Owner
	if err := json.Unmarshal(resp.Kvs[0].Value, &current); err != nil || !current.sameService(owner) {
		return nil
	}
	return r.release(ctx, item, resp.Kvs[0].ModRevision)
}
