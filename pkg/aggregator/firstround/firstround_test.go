package firstround

import "testing"

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestTracker(t *testing.T) {
	tr := New[string]()
	tr.Processed("early") // a worker ran before Start
	if closed(tr.Done()) {
		t.Fatal("done before the round started")
	}
	tr.Start([]string{"early", "a", "b"})
	tr.Processed("unknown")
	tr.Processed("a")
	if closed(tr.Done()) {
		t.Fatal("done with b still pending")
	}
	tr.Processed("b")
	if !closed(tr.Done()) {
		t.Fatal("not done after every key was processed")
	}
	tr.Processed("a") // again: no second close
	tr.Start(nil)     // again: ignored

	empty := New[int]()
	empty.Start(nil)
	if !closed(empty.Done()) {
		t.Fatal("a round of nothing is not done at once")
	}
}
