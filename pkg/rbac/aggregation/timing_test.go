package aggregation

import "time"

// pollInterval is how often tests re-read state while waiting for the
// controller; it bounds nothing.
const pollInterval = 10 * time.Millisecond

// waitBackstop ends a wait that will never succeed, so the test fails with
// a message rather than at the global test timeout.
const waitBackstop = 30 * time.Second
