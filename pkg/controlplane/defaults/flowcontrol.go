package defaults

import (
	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
)

// Upstream flowcontrol.apiserver.k8s.io/v1 defaults.
const (
	DefaultMatchingPrecedence       = int32(1000)
	DefaultNominalConcurrencyShares = int32(30)
	DefaultHandSize                 = int32(8)
	DefaultQueues                   = int32(64)
	DefaultQueueLengthLimit         = int32(50)
)

// SetDefaultsFlowSchema sets matchingPrecedence 1000 when zero.
func SetDefaultsFlowSchema(obj *flowcontrolv1.FlowSchema) {
	if obj.Spec.MatchingPrecedence == 0 {
		obj.Spec.MatchingPrecedence = DefaultMatchingPrecedence
	}
}

// SetDefaultsPriorityLevelConfiguration applies upstream v1 defaults:
// limited.nominalConcurrencyShares 30 and lendablePercent 0; exempt
// nominalConcurrencyShares and lendablePercent 0; queuing handSize 8,
// queues 64, queueLengthLimit 50. limitResponse.type has no default upstream
// (it is required), so none is set here.
func SetDefaultsPriorityLevelConfiguration(obj *flowcontrolv1.PriorityLevelConfiguration) {
	if l := obj.Spec.Limited; l != nil {
		if l.NominalConcurrencyShares == nil {
			l.NominalConcurrencyShares = ptrTo(DefaultNominalConcurrencyShares)
		}
		if l.LendablePercent == nil {
			l.LendablePercent = ptrTo(int32(0))
		}
		if q := l.LimitResponse.Queuing; q != nil {
			if q.HandSize == 0 {
				q.HandSize = DefaultHandSize
			}
			if q.Queues == 0 {
				q.Queues = DefaultQueues
			}
			if q.QueueLengthLimit == 0 {
				q.QueueLengthLimit = DefaultQueueLengthLimit
			}
		}
	}
	if e := obj.Spec.Exempt; e != nil {
		if e.NominalConcurrencyShares == nil {
			e.NominalConcurrencyShares = ptrTo(int32(0))
		}
		if e.LendablePercent == nil {
			e.LendablePercent = ptrTo(int32(0))
		}
	}
}
