package rbac

// DecisionKey is decisionKey, for the external tests.
var DecisionKey = decisionKey
