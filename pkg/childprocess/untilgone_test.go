package childprocess

import (
	"context"
	"testing"
)

func TestUntilGoneEndsWhenTheServerExits(t *testing.T) {
	gone := make(chan struct{})
	ctx, cancel := UntilGone(context.Background(), gone)
	defer cancel()
	if ctx.Err() != nil {
		t.Fatalf("ended before the server exited: %v", ctx.Err())
	}
	close(gone)
	<-ctx.Done() // hangs (test timeout) if exiting does not end the wait
	if ctx.Err() != context.Canceled {
		t.Errorf("err %v, want context.Canceled", ctx.Err())
	}
}

func TestUntilGoneEndsWithItsParent(t *testing.T) {
	parent, cancelParent := context.WithCancel(context.Background())
	ctx, cancel := UntilGone(parent, make(chan struct{}))
	defer cancel()
	cancelParent()
	<-ctx.Done()
	if ctx.Err() != context.Canceled {
		t.Errorf("err %v, want context.Canceled", ctx.Err())
	}
}
