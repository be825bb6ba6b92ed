package domain

// applicationEventTypes are the events of applications (заявления).
var applicationEventTypes = []eventType{}

// applications is every application of the account and its status.
type applications struct{}

// apply folds one application event; others leave it unchanged.
func (s *applications) apply(e Event) {}
